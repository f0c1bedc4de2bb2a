package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/credits"
)

// RunCreditLedger runs internal/credits on a backend: open returns n
// stores on one fresh database, one per node, as n processes would have.
// A credit is never spent twice, on one node or many, under parallel
// bursts, when a node dies holding a lease, at a refill, and while the
// balance is changed.
func RunCreditLedger(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T, n int) []pome.Store)
	}{
		{"ParallelBurstOneNode", func(t *testing.T, open func(*testing.T, int) []pome.Store) { testParallelBurst(t, open(t, 1)) }},
		{"ParallelBurstThreeNodes", func(t *testing.T, open func(*testing.T, int) []pome.Store) { testParallelBurst(t, open(t, 3)) }},
		{"DeadNodeLease", testDeadNodeLease},
		{"RefillAtBoundary", testRefillAtBoundary},
		{"IncrementWhileSpending", testIncrementWhileSpending},
		{"SpendWhileFlushing", testSpendWhileFlushing},
		{"AlertsOncePerCrossing", testAlertsOncePerCrossing},
		{"RefillRearmsAlerts", testRefillRearmsAlerts},
		{"UnlimitedKeyNeverAlerts", testUnlimitedKeyNeverAlerts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// ledgerClock is the nodes' shared clock: pometest.Clock's twin, since
// storetest, which the stores' own tests import, may not import the
// harness (deps_test.go).
type ledgerClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *ledgerClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *ledgerClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// ledgerScenario seeds, through the first store, a key of credits c, and
// returns it with a ledger per store on a clock standing at start.
func ledgerScenario(t *testing.T, stores []pome.Store, slug string, c *pome.Credits, start time.Time) (pome.Key, []*credits.Ledger, *ledgerClock) {
	t.Helper()
	clock := &ledgerClock{now: start}
	k := mustCreditKey(t, stores[0], mustAccount(t, stores[0], slug), c)
	return k, newLedgers(stores, clock), clock
}

func newLedgers(stores []pome.Store, clock *ledgerClock) []*credits.Ledger {
	ls := make([]*credits.Ledger, len(stores))
	for i, s := range stores {
		ls[i] = credits.New(s, fmt.Sprintf("node%d", i), credits.DefaultLeaseTTL, clock.Now)
	}
	return ls
}

// spendAll spends 1 of k's credits n times in parallel, spread over the
// ledgers in turn, and returns how many were accepted.
func spendAll(t *testing.T, ls []*credits.Ledger, clock *ledgerClock, k pome.Key, n int) int64 {
	t.Helper()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := ls[i%len(ls)].Spend(t.Context(), k.ID, clock.Now(), 1)
			switch {
			case err == nil:
				accepted.Add(1)
			case !errors.Is(err, pome.ErrQuotaExceeded):
				t.Errorf("Spend = %v, want nil or quota exceeded", err)
			}
		})
	}
	wg.Wait()
	return accepted.Load()
}

// remaining reads k's Remaining as the store has it.
func remaining(t *testing.T, s pome.Store, k pome.Key) int64 {
	t.Helper()
	got, err := s.KeyByIDAnyTeam(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Credits.Remaining
}

func flushAll(t *testing.T, ls []*credits.Ledger, release bool) {
	t.Helper()
	for _, l := range ls {
		if err := l.Flush(t.Context(), release); err != nil {
			t.Fatalf("Flush = %v", err)
		}
	}
}

func testParallelBurst(t *testing.T, stores []pome.Store) {
	k, ls, clock := ledgerScenario(t, stores, "burst", &pome.Credits{Remaining: 50}, t0)
	if got := spendAll(t, ls, clock, k, 200); got != 50 {
		t.Fatalf("200 parallel requests on %d node(s) on a key of 50 credits: %d accepted, want exactly 50", len(ls), got)
	}
	flushAll(t, ls, true)
	if got := remaining(t, stores[0], k); got != 0 {
		t.Errorf("after the burst and a graceful stop, remaining = %d, want 0", got)
	}
}

// A node killed with leases (it never flushes again): the key never lets
// more than its credits through, and what the dead node held but could not
// have spent (held less armed) returns once its lease expires.
func testDeadNodeLease(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	stores := open(t, 2)
	k, ls, clock := ledgerScenario(t, stores, "dead-node", &pome.Credits{Remaining: 1000}, t0)
	dead, live := ls[0], ls[1]
	var deadAccepted int64
	for range 10 {
		if _, err := dead.Spend(t.Context(), k.ID, clock.Now(), 1); err != nil {
			t.Fatalf("Spend on the node to be killed = %v", err)
		}
		deadAccepted++
	}
	var lease pome.CreditLease
	settleOnce(t, stores[1], []string{k.ID}, clock.Now(), func(st *pome.CreditState) { lease = st.Leases[0] })
	if lease.Held <= lease.Armed {
		t.Fatalf("the dead node's lease %+v holds nothing beyond its armed part: the test proves nothing", lease)
	}
	// The dead node is gone; the live one spends all it can.
	spendUntilRefused := func() int64 {
		var n int64
		for {
			_, err := live.Spend(t.Context(), k.ID, clock.Now(), 1)
			if errors.Is(err, pome.ErrQuotaExceeded) {
				return n
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	before := spendUntilRefused()
	if total := deadAccepted + before; total > 1000 {
		t.Fatalf("%d accepted before the dead node's lease expired, more than the key's 1000 credits", total)
	}
	clock.Advance(credits.DefaultLeaseTTL + time.Second)
	flushAll(t, []*credits.Ledger{live}, false) // reclaims expired leases
	after := spendUntilRefused()
	total := deadAccepted + before + after
	if total > 1000 {
		t.Fatalf("%d accepted in all, more than the key's 1000 credits", total)
	}
	// Lost: only what the dead node had armed and not spent.
	if total < 1000-lease.Armed {
		t.Fatalf("%d accepted in all: the dead node's lease %+v did not return held less armed", total, lease)
	}
	if after < lease.Held-lease.Armed {
		t.Errorf("after the lease expired, %d more were accepted, want at least the %d it stranded", after, lease.Held-lease.Armed)
	}
}

func testRefillAtBoundary(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	stores := open(t, 2)
	midnight := time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)
	k, ls, clock := ledgerScenario(t, stores, "refill", &pome.Credits{Remaining: 3,
		Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 5}, Period: midnight.AddDate(0, 0, -1)},
		midnight.Add(-2*time.Second))
	if got := spendAll(t, ls, clock, k, 10); got != 3 {
		t.Fatalf("before midnight, %d of 10 accepted, want the 3 left", got)
	}
	clock.Advance(2 * time.Second) // 00:00:00 UTC
	if got := spendAll(t, ls, clock, k, 10); got != 5 {
		t.Fatalf("at midnight, %d of 10 accepted, want the refill's 5", got)
	}
	flushAll(t, ls, true)
	if got := remaining(t, stores[0], k); got != 0 {
		t.Errorf("remaining = %d, want 0", got)
	}
}

// Increments made while nodes spend and settle lose nothing: what is left
// is what was given less what was accepted.
func testIncrementWhileSpending(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	stores := open(t, 2)
	k, ls, clock := ledgerScenario(t, stores, "increment", &pome.Credits{Remaining: 100}, t0)
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := stores[1].UpdateKey(t.Context(), k.TeamID, k.ID, func(k *pome.Key) error {
				k.Credits.Remaining += 10
				return nil
			}, t0, sysEvent(pome.AuditKeyUpdated, t0))
			if err != nil {
				t.Errorf("UpdateKey = %v", err)
			}
		})
		wg.Go(func() { accepted.Add(spendAll(t, ls, clock, k, 15)) })
		wg.Go(func() {
			clock.Advance(time.Second)
			flushAll(t, ls, false)
		})
	}
	wg.Wait()
	flushAll(t, ls, true)
	if got, want := remaining(t, stores[0], k), 100+200-accepted.Load(); got != want {
		t.Fatalf("remaining = %d after %d accepted; want 100 + 200 - %d = %d", got, accepted.Load(), accepted.Load(), want)
	}
}

// A flush settles a key in use without holding it (credits.Ledger.Flush):
// requests on three nodes spend while every node flushes over and over,
// and no credit is spent twice or lost: what was accepted and what the
// store has left add up to the credits, never more accepted than there
// were, and once every node gave its lease back, one node spends the rest.
func testSpendWhileFlushing(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	stores := open(t, 3)
	const credits = 2000
	k, ls, clock := ledgerScenario(t, stores, "flushing", &pome.Credits{Remaining: credits}, t0)
	var accepted atomic.Int64
	var spenders, flushers sync.WaitGroup
	for i := range 6 {
		spenders.Go(func() { accepted.Add(int64(spendN(t, ls[i%len(ls)], clock, k, 500))) })
	}
	done := make(chan struct{})
	for _, l := range ls {
		flushers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				// The clock stands still: a lease that expired would
				// count as spent, as a dead node's does.
				if err := l.Flush(t.Context(), false); err != nil {
					t.Errorf("Flush = %v", err)
					return
				}
			}
		})
	}
	spenders.Wait()
	close(done)
	flushers.Wait()
	if got := accepted.Load(); got > credits {
		t.Fatalf("%d spends accepted on a key of %d credits", got, credits)
	}
	flushAll(t, ls, true)
	if got, want := remaining(t, stores[0], k), credits-accepted.Load(); got != want {
		t.Fatalf("remaining = %d after %d accepted, want %d", got, accepted.Load(), want)
	}
	rest := spendN(t, ls[0], clock, k, credits)
	if got := accepted.Load() + int64(rest); got != credits {
		t.Errorf("%d accepted while flushing and %d after: %d, want exactly %d", accepted.Load(), rest, got, credits)
	}
}

// spendN spends 1 of k's credits n times in a row on l, and returns how
// many were accepted.
func spendN(t *testing.T, l *credits.Ledger, clock *ledgerClock, k pome.Key, n int) int {
	t.Helper()
	accepted := 0
	for range n {
		_, err := l.Spend(t.Context(), k.ID, clock.Now(), 1)
		switch {
		case err == nil:
			accepted++
		case !errors.Is(err, pome.ErrQuotaExceeded):
			t.Fatalf("Spend = %v, want nil or quota exceeded", err)
		}
	}
	return accepted
}

// A key spent down through the ledger records credits.low once, at the
// settle that takes it to 10 % of its base, and credits.exhausted once, at
// the one that takes it to 0; settles that find it there already record
// nothing more, until an increment lifts it above the threshold again.
func testAlertsOncePerCrossing(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	stores := open(t, 1)
	k, ls, clock := ledgerScenario(t, stores, "alerts", &pome.Credits{Remaining: 100, Base: 100}, t0)
	l, s := ls[0], stores[0]
	if got := spendN(t, l, clock, k, 89); got != 89 {
		t.Fatalf("%d of 89 accepted, want all", got)
	}
	flushAll(t, ls, true)
	wantCreditAlerts(t, s, k, 0, 0) // 11 left: above 10
	spendN(t, l, clock, k, 1)
	flushAll(t, ls, true)
	low, _ := wantCreditAlerts(t, s, k, 1, 0)
	wantAlert(t, low[0], k, map[string]any{"remaining": 10, "threshold": 10})
	if got := spendN(t, l, clock, k, 20); got != 10 {
		t.Fatalf("%d of 20 accepted with 10 left, want 10", got)
	}
	flushAll(t, ls, true)
	clock.Advance(time.Second)
	flushAll(t, ls, false) // a settle of a key at 0 crosses nothing
	_, exhausted := wantCreditAlerts(t, s, k, 1, 1)
	wantAlert(t, exhausted[0], k, map[string]any{"remaining": 0})

	// An increment lifts it above the threshold: both fire again, once.
	if _, err := s.UpdateKey(t.Context(), k.TeamID, k.ID, func(k *pome.Key) error {
		k.Credits.Remaining += 50
		return nil
	}, clock.Now(), sysEvent(pome.AuditKeyUpdated, clock.Now())); err != nil {
		t.Fatal(err)
	}
	wantCreditAlerts(t, s, k, 1, 1)
	l.Forget(k.ID) // as the change log tells every node
	if got := spendN(t, l, clock, k, 60); got != 50 {
		t.Fatalf("%d of 60 accepted after an increment of 50, want 50", got)
	}
	flushAll(t, ls, true)
	wantCreditAlerts(t, s, k, 2, 2)
}

// A refill lifts a spent key back to its amount: the next period's
// spending crosses both thresholds again, of the refill's amount.
func testRefillRearmsAlerts(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	stores := open(t, 1)
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	k, ls, clock := ledgerScenario(t, stores, "refill-alerts", &pome.Credits{Remaining: 40, Base: 40,
		Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 20}, Period: day}, day.Add(time.Hour))
	if got := spendN(t, ls[0], clock, k, 50); got != 40 {
		t.Fatalf("%d of 50 accepted, want the 40 left", got)
	}
	flushAll(t, ls, true)
	low, _ := wantCreditAlerts(t, stores[0], k, 1, 1)
	if low[0].Details["threshold"] != float64(4) {
		t.Errorf("credits.low details = %v, want threshold 4, a tenth of the 40 set", low[0].Details)
	}
	clock.Advance(24 * time.Hour) // the refill's period
	if got := spendN(t, ls[0], clock, k, 30); got != 20 {
		t.Fatalf("%d of 30 accepted after the refill, want its 20", got)
	}
	flushAll(t, ls, true)
	low, _ = wantCreditAlerts(t, stores[0], k, 2, 2)
	if low[0].Details["threshold"] != float64(2) {
		t.Errorf("credits.low details after the refill = %v, want threshold 2, a tenth of the refill's 20", low[0].Details)
	}
}

// A key without credits records neither event, however much it is used.
func testUnlimitedKeyNeverAlerts(t *testing.T, open func(t *testing.T, n int) []pome.Store) {
	stores := open(t, 1)
	k, ls, clock := ledgerScenario(t, stores, "unlimited-alerts", nil, t0)
	if got := spendAll(t, ls, clock, k, 100); got != 100 {
		t.Fatalf("%d of 100 accepted on an unlimited key, want all", got)
	}
	flushAll(t, ls, true)
	wantCreditAlerts(t, stores[0], k, 0, 0)
}
