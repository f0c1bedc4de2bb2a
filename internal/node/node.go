// Package node is the runtime of one Pome node: it opens the store and wires
// what verifies keys and counts their use (the verifier and its cache, the
// change-log follower, the meter, the rate limiter, the authorization gate,
// and the services of keys, accounts and service tokens) with the timings
// they run on. `pome serve` and the in-process pomeauth middleware both run
// a Node, so that both verify alike.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/credits"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/servicetoken"
	"github.com/pomehq/pome/internal/webhook"
)

// Timings of a node. They are not flags: nothing has needed to change them
// yet, and each is chosen against a bound of docs/api.md.
const (
	// CacheTTL bounds how long a verified key is trusted without reading
	// the store while the change log cannot be read; the change log makes
	// revocations and bans elsewhere take effect long before it runs out.
	CacheTTL = 30 * time.Second
	// FollowedCacheTTL is how long a verified key is trusted while the
	// change log is read (apikey.Verifier.SetFollowedTTL): the bound on an
	// invalidation that was lost. Longer than CacheTTL so that a node
	// serving many keys does not re-read each of them twice a minute.
	FollowedCacheTTL = 5 * time.Minute
	// FollowInterval is how often the change log is polled: `pome admin`
	// changes reach a running node within about a second. On PostgreSQL,
	// NOTIFY wakes the follower at once, and the poll is the catch-up for
	// notifications lost to a reconnection: changes on another node apply
	// within 1 s even then.
	FollowInterval = time.Second
	// FlushInterval is how often usage counts are written (at least every
	// second), and so the most a crash can lose.
	FlushInterval = time.Second
	// FinalFlushTimeout bounds the last flush on Close, its retries
	// included: with shutdownTimeout's 20 s drain (cmd/pome) a shutdown
	// fits in a usual 30 s termination grace period.
	FinalFlushTimeout = 5 * time.Second
	// DefaultStaleIfUnavailable is `pome serve`'s Config.StaleIfUnavailable:
	// long enough to ride out a failover, a restart or a network fault of
	// the database with every cached key working, short enough that a node
	// cut off from a database the others still reach (a revocation it
	// cannot read) stops serving its cache within a quarter of an hour.
	DefaultStaleIfUnavailable = 15 * time.Minute
)

// Config says how a node verifies keys and limits callers.
type Config struct {
	// KeyFormat is the deployment's key format; the zero value is
	// pome.DefaultKeyFormat.
	KeyFormat pome.KeyFormat
	// Rules are the rate limits; Limiter counts them. With a nil Limiter,
	// New turns every limit off and Open opens one (memory, or Redis).
	Rules   ratelimit.Rules
	Limiter ratelimit.Limiter
	// SignupOpen lets anyone sign up.
	SignupOpen bool
	// PasswordCost is the argon2id cost of new password hashes; the zero
	// value is production's (account.Config).
	PasswordCost account.PasswordCost
	// CacheTTL, if not zero, replaces the package's CacheTTL (tests).
	CacheTTL time.Duration
	// StaleIfUnavailable is how long after the change log was last read
	// cached keys keep being served while the database cannot be reached
	// (apikey.Verifier.SetStaleIfUnavailable); 0: not at all, every key is
	// read again at its ttl as usual, and answers 503 then.
	StaleIfUnavailable time.Duration
	// Negative, if not nil, sizes the verifier's negative cache (a TTL or
	// size of 0 turns it off); nil keeps apikey's defaults.
	Negative *NegativeCache
	// WebhookAllowPrivate lets webhooks be delivered to loopback, private
	// and link-local addresses (pome serve --webhook-allow-private).
	WebhookAllowPrivate bool
	// Now is the clock of every part; nil is time.Now.
	Now func() time.Time
	// Log receives the background loops' warnings; nil discards them.
	Log *slog.Logger
}

// NegativeCache sizes the verifier's cache of unknown keys.
type NegativeCache struct {
	TTL  time.Duration
	Size int
}

// Node is one node's parts, wired. Start runs its background loops; Close
// ends them, writing the last usage counts.
type Node struct {
	Store         pome.Store
	Verifier      *apikey.Verifier
	Meter         *meter.Meter
	Credits       *credits.Ledger
	Limiter       ratelimit.Limiter // nil: no limits; else a *ratelimit.Counted
	Gate          *authz.Gate
	Keys          *apikey.Service
	Accounts      *account.Service
	ServiceTokens *servicetoken.Service
	Webhooks      *webhook.Service
	Deliverer     *webhook.Deliverer
	Now           func() time.Time

	log        *slog.Logger
	sync       *syncSignal
	stop       context.CancelFunc // ends the follower
	stopMeter  context.CancelFunc // ends the meter, after a final flush
	loops      sync.WaitGroup
	meterErr   error          // the meter's final flush's, once the loops ended
	creditsErr error          // the ledger's last settle's, once the loops ended
	closers    []func() error // run by Close, in order
	closeOnce  sync.Once
	closeErr   error
}

// withDefaults fills what cfg leaves unset: the clock, a discarding log.
func (cfg Config) withDefaults() Config {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// New wires a node on store. Nothing runs until Start.
func New(store pome.Store, cfg Config) *Node {
	cfg = cfg.withDefaults()
	now, log := cfg.Now, cfg.Log
	format := cfg.KeyFormat
	if format == (pome.KeyFormat{}) {
		format = pome.DefaultKeyFormat
	}
	ttl := cfg.CacheTTL
	if ttl == 0 {
		ttl = CacheTTL
	}
	n := &Node{Store: store, Now: now, log: log, sync: newSyncSignal(store.ChangeSignal)}
	if cfg.Limiter != nil {
		// Counted for /metrics (pome_ratelimit_refusals_total).
		n.Limiter = ratelimit.Count(cfg.Limiter)
	}
	n.Verifier = apikey.NewVerifier(store, format, ttl, now)
	n.Verifier.SetFollowedTTL(FollowedCacheTTL)
	n.Verifier.SetStaleIfUnavailable(cfg.StaleIfUnavailable)
	n.Verifier.SetLog(log)
	if neg := cfg.Negative; neg != nil {
		n.Verifier.SetNegativeCache(neg.TTL, neg.Size)
	}
	n.Meter = meter.New(store)
	id := pome.NewID("node_") // whose credit leases and webhook claims
	n.Credits = credits.New(store, id, credits.DefaultLeaseTTL, now)
	n.Verifier.OnKeyChange(n.Credits.Forget)
	n.Keys = apikey.New(store, format, n.Verifier, now)
	n.Keys.SetPlans(cfg.Rules.PlanLimits())
	n.Accounts = account.New(store, account.Config{SignupOpen: cfg.SignupOpen, PasswordCost: cfg.PasswordCost}, now)
	n.ServiceTokens = servicetoken.New(store, now)
	n.Webhooks = webhook.NewService(store, cfg.WebhookAllowPrivate, now)
	n.Deliverer = webhook.NewDeliverer(store, id, webhook.NewClient(cfg.WebhookAllowPrivate), now, log)
	n.Gate = authz.New(authz.Config{
		Verifier: n.Verifier, Meter: n.Meter, Limiter: n.Limiter,
		Plans: cfg.Rules.Plans, Failures: cfg.Rules.AuthFailureIP,
		ServiceTokens: n.ServiceTokens, Credits: n.Credits, Now: now,
	})
	return n
}

// OnClose adds f to what Close runs after the loops have ended, in the
// order added: the store, the limiter's connection.
func (n *Node) OnClose(f func() error) { n.closers = append(n.closers, f) }

// Start runs the change-log follower, the meter's flushes, the webhook
// deliverer and the writer of canary keys' audit events until Close.
// The meter outlives ctx: it ends only in Close, after the last request has
// been counted, so that its final flush writes everything.
func (n *Node) Start(ctx context.Context) {
	followCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	meterCtx, stopMeter := context.WithCancel(context.WithoutCancel(ctx))
	n.stop, n.stopMeter = stop, stopMeter
	n.loops.Go(func() { n.Verifier.Follow(followCtx, FollowInterval, n.sync.signal) })
	n.loops.Go(func() { n.Deliverer.Run(followCtx, webhook.Interval) })
	n.loops.Go(func() { n.meterErr = n.Meter.Run(meterCtx, FlushInterval, FinalFlushTimeout, n.log) })
	n.loops.Go(func() { n.creditsErr = n.Credits.Run(meterCtx, FlushInterval, FinalFlushTimeout, n.log) })
	// Like the meter, canary uses are recorded up to the last request.
	n.loops.Go(func() { n.Verifier.RecordCanaries(meterCtx, FinalFlushTimeout, n.log) })
}

// Close ends the loops (the meter's final flush writes what was counted),
// then runs what OnClose added. Call it after the last request has been
// answered. Its error includes the final flush's, which says how many
// counts were lost.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		if n.stop != nil {
			n.stopMeter()
			n.stop()
			n.loops.Wait()
		}
		n.sync.close()
		errs := []error{n.meterErr, n.creditsErr}
		for _, f := range n.closers {
			errs = append(errs, f())
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// Sync applies now the changes made elsewhere (revocations, bans, role
// changes) that the change log holds, rather than at the next poll, and
// returns once they are applied. Nothing needs it in normal running: the
// follower's own bound (within a second) holds without it.
func (n *Node) Sync(ctx context.Context) error {
	if n.stop == nil {
		return fmt.Errorf("node: Sync before Start")
	}
	return n.sync.sync(ctx)
}
