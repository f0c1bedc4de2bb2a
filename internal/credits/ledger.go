package credits

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/periodic"
)

// Store is where a Ledger settles: pome.Store's SettleCredits.
type Store interface {
	SettleCredits(ctx context.Context, keyIDs []string, now time.Time, settle func(*pome.CreditState) error) error
}

// DefaultLeaseTTL is how long a lease outlives its node's last settle: a
// node that dies returns what it held within about this long (plus a
// flush). A live node renews its leases well before.
const DefaultLeaseTTL = 30 * time.Second

// The sizing of a lease, in multiples of what the node spent on the key in
// its last flush interval: it arms twice that (a burst that spends it
// settles early, and doubles it), and holds holdFactor times its arm.
const (
	armFactor  = 2
	holdFactor = 4
	// idleFlushes is how many flushes without spending a node keeps a
	// lease before it gives the lease back.
	idleFlushes = 3
	// sweepInterval is how often a flush with nothing of its own to settle
	// still calls the store, to reclaim the expired leases of dead nodes
	// on keys nobody uses (a key's own settle reclaims its leases too).
	sweepInterval = 10 * time.Second
)

// Ledger spends keys' credits on one node. It is safe for concurrent use.
type Ledger struct {
	store Store
	node  string
	ttl   time.Duration
	now   func() time.Time

	accounts sync.Map // key id → *account; read-mostly: a spend takes no lock of the ledger

	mu        sync.Mutex
	lastSweep time.Time // Flush's

	// flushing serializes flushes: an open settle (Flush) is one at a time.
	flushing sync.Mutex
}

// account is one key's lease on this node.
type account struct {
	mu        sync.Mutex
	period    time.Time // the refill period of the lease
	armed     int64     // what the node may spend before it settles
	spent     int64     // spent since the last settle, out of armed
	held      int64     // held at the last settle
	remaining int64     // the key's Remaining at the last settle
	expires   time.Time // when the lease expires, by this node's clock
	// until is when the lease stops being spendable, unix nanoseconds: a
	// margin before it expires, or the next refill if sooner.
	until    int64
	interval int64 // spent in the current flush interval
	rate     int64 // spent in the last flush interval
	idle     int   // flushes in a row without spending
	gone     bool  // dropped from the ledger: Spend takes a new account
	// settling, while a flush settles the account without its lock (an
	// open settle, Flush), is closed when the grant is in: a spend that
	// needs the store waits for it rather than settling alongside.
	settling chan struct{}
	// forgot: Forget came during an open settle, whose grant must not
	// make the lease spendable again.
	forgot bool
}

// canPay reports whether the armed part pays need at now without the store.
func (a *account) canPay(now time.Time, need int64) bool {
	return now.UnixNano() < a.until && a.armed-a.spent >= need
}

// New returns a Ledger of node (an id unique to this process) on store,
// reading time from now (time.Now if nil).
func New(store Store, node string, ttl time.Duration, now func() time.Time) *Ledger {
	if now == nil {
		now = time.Now
	}
	return &Ledger{store: store, node: node, ttl: ttl, now: now}
}

// Spend spends cost of the credits of key keyID at now: it answers what
// is left after it, or pome.ErrQuotaExceeded, with nothing spent, when less
// than cost is left (or nothing, for a cost of 0, which spends nothing). It
// settles with the store only when this node's armed part cannot pay. It
// does not allocate once the key's lease is armed (BenchmarkAuthorizeCredits).
func (l *Ledger) Spend(ctx context.Context, keyID string, now time.Time, cost int64) (int64, error) {
	need := max(cost, 1)
	a := l.lock(keyID)
	for a.settling != nil && !a.canPay(now, need) {
		// A flush is settling the key: its grant may pay, and two
		// settles of one key must not cross.
		done := a.settling
		a.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		a = l.lock(keyID)
	}
	defer a.mu.Unlock()
	if !a.canPay(now, need) {
		if now.UnixNano() < a.until && need > a.remaining-a.spent {
			// Not even all the key has left could pay: what it had at
			// the last settle, less what this node spent since, only
			// falls until a change or a refill, each of which ends the
			// lease's use (Forget, until). No store call.
			return max(a.remaining-a.spent, 0), pome.ErrQuotaExceeded
		}
		arm := max(need, armFactor*a.rate, armFactor*(a.interval+need))
		if err := l.settle(ctx, keyID, a, now, arm, holdFactor*arm); err != nil {
			return 0, err
		}
		if a.armed-a.spent < need {
			return max(a.remaining-a.spent, 0), pome.ErrQuotaExceeded
		}
	}
	a.spent += cost
	a.interval += cost
	return max(a.remaining-a.spent, 0), nil
}

// clockMargin is how much earlier than its expiry a node stops spending a
// lease: another node, whose clock may run ahead, reclaims it at expiry.
const clockMargin = 5 * time.Second

// settle settles one key now, with a's lock held: it reports a's spending
// and asks for a lease of hold with arm.
func (l *Ledger) settle(ctx context.Context, keyID string, a *account, now time.Time, arm, hold int64) error {
	return l.settleBatch(ctx, now, map[string]*settling{keyID: {
		a: a, r: request{node: l.node, period: a.period, spent: a.spent, hold: hold, arm: arm},
	}})
}

// settling is one account's request in a settle, the caller holding its
// lock, unless open: then the account goes on spending its armed part
// while the store is asked (Flush).
type settling struct {
	a    *account
	r    request
	g    grant
	open bool
}

// settleBatch settles the keys of batch in one store transaction, each with
// its request (and the keys with an expired lease with none: the store
// adds them), then gives each account its grant. On an error nothing
// changed, here or in the store.
func (l *Ledger) settleBatch(ctx context.Context, now time.Time, batch map[string]*settling) error {
	keys := make([]string, 0, len(batch))
	for id := range batch {
		keys = append(keys, id)
	}
	err := l.store.SettleCredits(ctx, keys, now, func(st *pome.CreditState) error {
		if s := batch[st.KeyID]; s != nil {
			s.g = apply(st, now, l.ttl, &s.r)
		} else {
			apply(st, now, l.ttl, nil)
		}
		return nil
	})
	for _, s := range batch {
		if s.open {
			s.a.mu.Lock()
		}
		if err == nil {
			// What an open account spent meanwhile is spent out of the new
			// lease, which covers it (Flush).
			spent := s.a.spent - s.r.spent
			s.a.grant(s.g, now.Add(l.ttl))
			s.a.spent = spent
		}
		if s.open {
			close(s.a.settling)
			s.a.settling = nil
			if s.a.forgot {
				s.a.until, s.a.forgot = 0, false
			}
			s.a.mu.Unlock()
		}
	}
	return err
}

// grant takes in what a settle granted, for a lease that expires then. The
// lease is spendable until a margin before it expires (another node, whose
// clock may run ahead, reclaims it at expiry) or the next refill, which
// replaces the balance it was taken from.
func (a *account) grant(g grant, expires time.Time) {
	a.period, a.held, a.armed, a.remaining, a.expires = g.period, g.held, g.armed, g.remaining, expires
	a.spent = 0
	until := expires.Add(-clockMargin)
	if !g.next.IsZero() && g.next.Before(until) {
		until = g.next
	}
	a.until = until.UnixNano()
	if g.unlimited {
		a.armed, a.remaining = 1<<62, 1<<62 // never settles again until forgotten
	}
}

// lock returns keyID's account, made on first use, locked.
func (l *Ledger) lock(keyID string) *account {
	for {
		v, ok := l.accounts.Load(keyID)
		if !ok {
			v, _ = l.accounts.LoadOrStore(keyID, &account{})
		}
		a := v.(*account)
		a.mu.Lock()
		if !a.gone {
			return a
		}
		a.mu.Unlock() // Flush dropped it meanwhile
	}
}

// Forget makes the next spend of keyID settle with the store: its credits
// changed (a PATCH, on any node; the change log tells every node).
func (l *Ledger) Forget(keyID string) {
	v, ok := l.accounts.Load(keyID)
	if !ok {
		return
	}
	a := v.(*account)
	a.mu.Lock()
	a.until = 0 // spend nothing more before settling
	a.forgot = a.settling != nil
	a.mu.Unlock()
}

// Flush settles, in one store transaction, every lease this node spent
// from since the last flush or must renew, sized to what it spent in the
// interval, and gives back the leases of keys idle for idleFlushes
// flushes; with release, it gives back every lease (a graceful shutdown).
// It also reclaims the expired leases of other nodes (SettleCredits).
//
// A key in use is settled open: its requests go on spending what is left
// of its armed part while the store answers (the store's transaction is
// tens of milliseconds for a thousand keys, and a request must not wait
// for it: the p99 of docs/performance.md), and the new lease arms that
// much more, so that it covers them: the store still holds, for the
// node, at least what the node spent and has not reported
// (TestSpendWhileFlushing). A spend that needs the store meanwhile waits
// for the grant. A key given back stays locked from the request to the
// grant, so that nothing is spent from a lease being returned.
func (l *Ledger) Flush(ctx context.Context, release bool) error {
	l.flushing.Lock()
	defer l.flushing.Unlock()
	now := l.now()
	var ids []string
	l.accounts.Range(func(id, _ any) bool {
		ids = append(ids, id.(string))
		return true
	})
	slices.Sort(ids) // one lock order for every flush
	batch := make(map[string]*settling)
	defer func() {
		for _, s := range batch {
			if !s.open {
				s.a.mu.Unlock()
			}
		}
	}()
	for _, id := range ids {
		a := l.lock(id)
		a.rate, a.interval = a.interval, 0
		if a.rate == 0 {
			a.idle++
		} else {
			a.idle = 0
		}
		arm := armFactor * a.rate
		switch {
		case a.held == 0 && a.spent == 0:
			if a.idle >= idleFlushes || release {
				l.drop(id, a)
			}
			a.mu.Unlock()
			continue
		case release || a.idle >= idleFlushes:
			arm = 0
		case a.spent == 0 && a.expires.Sub(now) > l.ttl/2:
			a.mu.Unlock() // nothing to report, and no renewal due yet
			continue
		}
		s := &settling{a: a, r: request{node: l.node, period: a.period, spent: a.spent, hold: holdFactor * arm, arm: arm}}
		if arm > 0 {
			// Open: what is left armed may be spent during the settle.
			s.r.arm += max(a.armed-a.spent, 0)
			s.r.hold = max(s.r.hold, s.r.arm)
			s.open = true
			a.settling = make(chan struct{})
			a.mu.Unlock()
		}
		batch[id] = s
	}
	if len(batch) == 0 && (release || !l.sweepDue(now)) {
		return nil // a stop sweeps nothing: the other nodes do
	}
	err := l.settleBatch(ctx, now, batch)
	// Swept or not, the next sweep waits its interval: a database that
	// does not answer is not asked every second.
	l.mu.Lock()
	l.lastSweep = now
	l.mu.Unlock()
	return err // on an error, the spending is reported next time
}

// sweepDue reports whether sweepInterval has passed since the last flush
// that reached the store.
func (l *Ledger) sweepDue(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return now.Sub(l.lastSweep) >= sweepInterval
}

// drop removes an account that holds nothing, locked by the caller.
func (l *Ledger) drop(id string, a *account) {
	l.accounts.Delete(id)
	a.gone = true
}

// Run settles every interval until ctx ends (Flush), then gives back every
// lease, within finalTimeout: a graceful stop strands nothing. It returns
// that last settle's error.
func (l *Ledger) Run(ctx context.Context, interval, finalTimeout time.Duration, log *slog.Logger) error {
	return periodic.Run(ctx, interval, finalTimeout, func(fctx context.Context) {
		if err := l.Flush(fctx, false); err != nil && ctx.Err() == nil {
			log.Warn("credit settle failed; spending is reported at the next", "err", err)
		}
	}, func(fctx context.Context) error {
		if err := l.Flush(fctx, true); err != nil {
			return fmt.Errorf("credits: leases not given back at shutdown (they return when they expire): %w", err)
		}
		return nil
	})
}
