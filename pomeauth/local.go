package pomeauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/sqlite"
)

// The timings of `pome serve` (cmd/pome/serve.go), kept equal: a cached key
// is trusted at most 5 minutes while the change log is read, 30 s when it
// cannot be; the log is read every second (at once on PostgreSQL's NOTIFY),
// usage is written every second.
const (
	verifyCacheTTL    = 30 * time.Second
	followedCacheTTL  = 5 * time.Minute
	followInterval    = time.Second
	flushInterval     = time.Second
	finalFlushTimeout = 5 * time.Second
)

// Config says where Pome's database is and which limits apply. Set
// DatabaseURL or DataDir.
type Config struct {
	// DatabaseURL is the PostgreSQL URL of the Pome deployment
	// (postgres://...), as given to `pome serve --database-url`.
	DatabaseURL string
	// DataDir is the directory of Pome's embedded SQLite database, as given
	// to `pome serve --data-dir`; the database must exist. This process and
	// the Pome server share the file, so they must run on one machine.
	DataDir string
	// KeyPrefix is the deployment's key prefix (`pome serve --key-prefix`);
	// empty means "pme".
	KeyPrefix string
	// PlanLimits are the per-key limits by plan tier, in requests per
	// minute, as `pome serve --key-rate-limit` (0 or absent: unlimited).
	// They are counted in this process's memory.
	PlanLimits map[string]int
	// AuthFailuresPerMinute bounds failed authentications per client IP
	// (as --auth-failure-rate-limit); 0 means the default, 100; a negative
	// value turns the limit off.
	AuthFailuresPerMinute int
	// Logger receives warnings (an unreadable change log, a failed usage
	// flush); nil discards them.
	Logger *slog.Logger
}

// Auth verifies keys in process. Make it with New; Close it to stop its
// background loops and write the last usage counts.
type Auth struct {
	store    *syncStore
	verifier *apikey.Verifier
	meter    *meter.Meter
	limiter  ratelimit.Limiter
	plans    map[string]ratelimit.Rule
	failures ratelimit.Rule
	now      func() time.Time

	stop      context.CancelFunc
	stopMeter context.CancelFunc
	loops     sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New opens Pome's database and starts following its change log and
// counting usage. It fails if the database cannot be opened.
func New(ctx context.Context, cfg Config) (*Auth, error) {
	format := pome.DefaultKeyFormat
	if cfg.KeyPrefix != "" {
		var err error
		if format, err = pome.NewKeyFormat(cfg.KeyPrefix); err != nil {
			return nil, err
		}
	}
	rules := ratelimit.DefaultRules()
	plans := make(map[string]ratelimit.Rule, len(cfg.PlanLimits))
	for tier, n := range cfg.PlanLimits {
		if n > 0 {
			plans[tier] = ratelimit.PlanRule(tier, n)
		}
	}
	failures := rules.AuthFailureIP
	switch {
	case cfg.AuthFailuresPerMinute > 0:
		failures.Limit = cfg.AuthFailuresPerMinute
	case cfg.AuthFailuresPerMinute < 0:
		failures.Limit = 0
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	store, err := open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	now := time.Now
	s := newSyncStore(store)
	a := &Auth{
		store:    s,
		verifier: apikey.NewVerifier(s, format, verifyCacheTTL, now),
		meter:    meter.New(s),
		limiter:  ratelimit.NewMemory(now, 0),
		plans:    plans,
		failures: failures,
		now:      now,
	}
	a.verifier.SetFollowedTTL(followedCacheTTL)
	followCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	meterCtx, stopMeter := context.WithCancel(context.WithoutCancel(ctx))
	a.stop, a.stopMeter = stop, stopMeter
	a.loops.Go(func() { a.verifier.Follow(followCtx, followInterval, log) })
	a.loops.Go(func() { a.meter.Run(meterCtx, flushInterval, finalFlushTimeout, log) })
	return a, nil
}

func open(ctx context.Context, cfg Config) (pome.Store, error) {
	switch {
	case cfg.DatabaseURL != "":
		return postgres.Open(ctx, cfg.DatabaseURL)
	case cfg.DataDir != "":
		path := filepath.Join(cfg.DataDir, "pome.db")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("pomeauth: no Pome database at %s: %w", path, err)
		}
		return sqlite.Open(ctx, path)
	}
	return nil, errors.New("pomeauth: set Config.DatabaseURL or Config.DataDir")
}

// Close stops following the change log, writes the usage counted so far and
// closes the database. Call it after the HTTP server has drained.
func (a *Auth) Close() error {
	a.closeOnce.Do(func() {
		a.stop()
		a.stopMeter()
		a.loops.Wait()
		a.store.close()
		a.closeErr = a.store.Close()
	})
	return a.closeErr
}

// Sync applies now the changes made elsewhere (revocations, bans, role
// changes) that the change log holds, rather than at the next poll, and
// returns once they are applied. Nothing needs it in normal running: Pome's
// own bound (within a second) holds without it.
func (a *Auth) Sync(ctx context.Context) error { return a.store.sync(ctx) }

// Verify checks key for permission as a request would: the same errors
// (*pome.Error: ErrInvalidAPIKey, ErrKeyRevoked, ErrKeyExpired,
// ErrTeamBanned, ErrInsufficientPermissions, ErrRateLimited), the plan
// limit, and one use counted when it passes.
func (a *Auth) Verify(ctx context.Context, key string, p Permission) (Identity, error) {
	return a.verify(ctx, key, p, nil, nil)
}

// verify is Verify; gate, if not nil, is called before a store read, and
// limited, if not nil, receives the plan limit's decision.
func (a *Auth) verify(ctx context.Context, key string, p Permission, gate func() error, limited func(ratelimit.Rule, ratelimit.Decision)) (Identity, error) {
	owner, err := a.verifier.VerifyGated(ctx, key, gate)
	if err != nil {
		return Identity{}, err
	}
	if !owner.Role.Can(p.action()) {
		return Identity{}, pome.ErrInsufficientPermissions
	}
	if rule, ok := a.plans[owner.Team.PlanTier]; ok {
		d, err := a.limiter.Allow(ctx, owner.Key.ID, rule)
		if err != nil {
			return Identity{}, pome.ErrUnavailable.WithCause(err)
		}
		if limited != nil {
			limited(rule, d)
		}
		if !d.Allowed {
			return Identity{}, pome.ErrRateLimited
		}
	}
	a.meter.Record(owner.Key.ID, a.now())
	return Identity{
		UserID: owner.User.ID, UserEmail: owner.User.Email,
		TeamID: owner.Team.ID, TeamSlug: owner.Team.Slug, PlanTier: owner.Team.PlanTier,
		KeyID: owner.Key.ID, KeyName: owner.Key.Name, KeyPrefix: owner.Key.Prefix,
		Role: string(owner.Role),
	}, nil
}

// Middleware authenticates every request by its API key before next sees
// it, as Pome's public API does, and puts the caller's Identity in its
// context. Refusals are SPEC §8 JSON errors; failed authentications count
// against the client's address (r.RemoteAddr: put the middleware behind
// whatever sets it from a trusted proxy header, if any).
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := a.authorize(w, r)
		if err != nil {
			writeError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

// authorize is the gate of internal/httpserver (keyGate.authorize) for a
// service of its own: failures charged to the client IP (before a store
// read, refunded if the key exists), then the plan limit.
func (a *Auth) authorize(w http.ResponseWriter, r *http.Request) (Identity, error) {
	ctx := r.Context()
	ip := httpapi.ClientIP(r)
	limitFailures := !a.failures.Unlimited()
	var (
		d                    ratelimit.Decision
		charged, gateRefused bool
	)
	gate := func() error {
		if !limitFailures {
			return nil
		}
		var err error
		if d, err = a.limiter.Allow(ctx, ip, a.failures); err != nil {
			return pome.ErrUnavailable.WithCause(err)
		}
		if !d.Allowed {
			gateRefused = true
			return pome.ErrRateLimited
		}
		charged = true
		return nil
	}
	key, err := httpapi.APIKeyFrom(r.Header)
	var id Identity
	if err == nil {
		id, err = a.verify(ctx, key, PermissionOf(r.Method), gate, func(rule ratelimit.Rule, pd ratelimit.Decision) {
			ratelimit.SetHeaders(w.Header(), rule, pd)
		})
	}
	failed := errors.Is(err, pome.ErrInvalidAPIKey) || errors.Is(err, pome.ErrMissingAPIKey) ||
		errors.Is(err, pome.ErrConflictingCredentials)
	switch {
	case gateRefused:
		ratelimit.SetHeaders(w.Header(), a.failures, d)
	case failed && limitFailures:
		if !charged {
			var lerr error
			if d, lerr = a.limiter.Allow(ctx, ip, a.failures); lerr != nil {
				return Identity{}, pome.ErrUnavailable.WithCause(lerr)
			}
		}
		ratelimit.SetHeaders(w.Header(), a.failures, d)
		if !d.Allowed {
			return Identity{}, pome.ErrRateLimited
		}
	case charged:
		// The key exists (or the store could not say): not a failure.
		a.limiter.Refund(context.WithoutCancel(ctx), ip, a.failures)
	}
	return id, err
}

// syncStore is the database as the verifier's follower sees it: a
// pome.ChangeNotifier whose signal also fires when Sync asks, so that Sync
// can wake the follower and tell when a read of the change log that began
// after the call has been applied. It passes the database's own
// notifications (PostgreSQL) through.
type syncStore struct {
	pome.Store
	inner pome.ChangeNotifier // nil on SQLite

	mu      sync.Mutex
	poke    chan struct{} // closed by sync: wakes the follower
	waiters []*waiter
	done    chan struct{}
}

// waiter is a sync call: done after the follower's second read start since.
type waiter struct {
	seen int
	ch   chan struct{}
}

func newSyncStore(s pome.Store) *syncStore {
	n, _ := s.(pome.ChangeNotifier)
	return &syncStore{Store: s, inner: n, poke: make(chan struct{}), done: make(chan struct{})}
}

// ChangeSignal is called by the follower before each read of the change
// log, so each call also marks the end of the previous read.
func (s *syncStore) ChangeSignal() <-chan struct{} {
	out := make(chan struct{})
	s.mu.Lock()
	pending := false
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		w.seen++
		if w.seen >= 2 {
			close(w.ch)
			continue
		}
		pending = true
		kept = append(kept, w)
	}
	s.waiters = kept
	poke := s.poke
	s.mu.Unlock()
	if pending {
		// A read starts now; once it is done the follower must come back
		// at once, to mark it done.
		close(out)
		return out
	}
	var inner <-chan struct{}
	if s.inner != nil {
		inner = s.inner.ChangeSignal()
	}
	go func() {
		select {
		case <-inner:
		case <-poke:
		case <-s.done:
		}
		close(out)
	}()
	return out
}

func (s *syncStore) sync(ctx context.Context) error {
	w := &waiter{ch: make(chan struct{})}
	s.mu.Lock()
	s.waiters = append(s.waiters, w)
	close(s.poke)
	s.poke = make(chan struct{})
	s.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errors.New("pomeauth: closed")
	}
}

func (s *syncStore) close() { close(s.done) }
