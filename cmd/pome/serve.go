package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/logbuf"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/redact"
	"github.com/pomehq/pome/internal/redis"
	"github.com/pomehq/pome/internal/servicetoken"
	"github.com/pomehq/pome/internal/sqlite"
)

const serveUsage = `Usage: pome serve [flags]

Runs the Pome server: the public API (/v1), the management API (/api) and
/healthz, /readyz, /metrics. With no flags it listens on 127.0.0.1:8080 and
keeps its data in embedded SQLite under ./pome-data, creating it.
With --database-url it runs on PostgreSQL, and any number of nodes may share
that database; with --redis-url they share rate-limit counters too (see
docs/deploy.md). With --upstream it is also a gateway in front of the
platform's own API: requests are authenticated by API key, then forwarded
with the caller's identity in Pome-* headers (see docs/protect.md). SIGINT or SIGTERM drains in-flight requests, flushes usage
counts and exits.

Example:
  pome serve --addr 127.0.0.1:8080 --data-dir /var/lib/pome --signup closed
  POME_ADDR=0.0.0.0:8080 pome serve
  POME_DATABASE_URL=postgres://pome@db/pome POME_REDIS_URL=redis://cache:6379/0 pome serve
  pome serve --upstream /v1/=http://127.0.0.1:9000 --upstream /files/=http://127.0.0.1:9001
`

// Timings of the server. They are not flags: nothing has needed to change
// them yet, and each is chosen against a SPEC bound.
const (
	// verifyCacheTTL bounds how long a verified key is trusted without
	// reading the store while the change log cannot be read; the change
	// log makes revocations and bans elsewhere take effect long before it
	// runs out.
	verifyCacheTTL = 30 * time.Second
	// followedCacheTTL is how long a verified key is trusted while the
	// change log is read (apikey.Verifier.SetFollowedTTL): the bound on an
	// invalidation that was lost. Longer than verifyCacheTTL so that a
	// node serving many keys does not re-read each of them twice a minute.
	followedCacheTTL = 5 * time.Minute
	// followInterval is how often the change log is polled: `pome admin`
	// changes reach this server within about a second (SPEC §9 allows 5 s).
	// On PostgreSQL, NOTIFY wakes the follower at once, and the poll is the
	// catch-up for notifications lost to a reconnection: changes on another
	// node apply within 1 s (SPEC §5) even then.
	followInterval = time.Second
	// flushInterval is how often usage counts are written (SPEC §7: at
	// least every second), and so the most a crash can lose.
	flushInterval = time.Second
	// finalFlushTimeout bounds the last flush on shutdown.
	finalFlushTimeout = 5 * time.Second
	// shutdownTimeout bounds the drain of in-flight requests; it leaves a
	// usual 30 s termination grace period room for the final flush.
	shutdownTimeout = 20 * time.Second
	// logFlushInterval is how often buffered log lines are written out, and
	// so how many a crash can lose (never a warning or an error: those are
	// written at once). logBufferSize is how much is held at most between
	// two writes.
	logFlushInterval = 100 * time.Millisecond
	logBufferSize    = 64 << 10
)

type serveConfig struct {
	addr          string
	storage       storageFlags
	redisURL      string
	signup        string
	keyPrefix     string
	secureCookies bool
	limits        limitFlags
	rules         ratelimit.Rules // from limits, set by check
	upstreams     upstreamFlags
	upstreamWait  time.Duration
}

func serve(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs := newFlagSet("serve", serveUsage, stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	cfg.storage.register(fs)
	fs.StringVar(&cfg.redisURL, "redis-url", "", "Redis `URL` (redis://host:6379/0) for rate-limit counters shared by every node; without it each node counts in memory")
	fs.StringVar(&cfg.signup, "signup", "open", "`mode`: open (anyone may sign up) or closed (only pome admin user create makes users)")
	fs.StringVar(&cfg.keyPrefix, "key-prefix", pome.DefaultKeyPrefix, "prefix of new API keys, 2 to 8 lowercase letters")
	fs.BoolVar(&cfg.secureCookies, "secure-cookies", false, "mark the session cookie Secure (__Host-pome_session) and send HSTS; set when served over HTTPS")
	cfg.limits.register(fs)
	fs.Var(&cfg.upstreams, "upstream", "gateway mode: forward authenticated requests to `[/PREFIX/=]URL` (repeatable; without a prefix, every path Pome does not serve itself)")
	fs.DurationVar(&cfg.upstreamWait, "upstream-timeout", httpserver.DefaultUpstreamResponseTimeout, "gateway mode: how long to wait for an upstream's response headers before answering 504")
	if err := parseFlags(fs, args, getenv, nil); err != nil {
		return err
	}
	if err := cfg.check(fs); err != nil {
		return err
	}
	format, err := pome.NewKeyFormat(cfg.keyPrefix)
	if err != nil {
		return usagef("--key-prefix %q must be 2 to 8 lowercase letters", cfg.keyPrefix)
	}
	// The log is buffered (internal/logbuf): the access log's line a request
	// would otherwise cost a write system call each. Warnings and errors are
	// written at once; the rest within logFlushInterval, and all of it
	// before serve returns.
	logOut := logbuf.New(stderr, logBufferSize)
	flushCtx, stopFlush := context.WithCancel(context.WithoutCancel(ctx))
	var flusher sync.WaitGroup
	flusher.Go(func() { logOut.Run(flushCtx, logFlushInterval) })
	defer func() { stopFlush(); flusher.Wait() }()
	log := slog.New(redact.New(logOut.Handler(slog.NewJSONHandler(logOut, nil), slog.LevelWarn)))
	return runServer(ctx, cfg, format, log, logOut, stdout)
}

func (c *serveConfig) check(fs *flag.FlagSet) error {
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := c.storage.check(); err != nil {
		return err
	}
	if c.redisURL != "" && !strings.HasPrefix(c.redisURL, "redis://") && !strings.HasPrefix(c.redisURL, "rediss://") {
		// The value is not echoed: it may hold a password.
		return usagef("--redis-url (POME_REDIS_URL) must be a redis:// or rediss:// URL")
	}
	if c.signup != "open" && c.signup != "closed" {
		return usagef("--signup must be open or closed, not %q", c.signup)
	}
	var err error
	if c.rules, err = c.limits.rules(); err != nil {
		return err
	}
	return nil
}

// runServer wires the parts, serves until ctx ends, then shuts down in the
// order that loses nothing: drain requests, flush usage, close the store.
func runServer(ctx context.Context, cfg serveConfig, format pome.KeyFormat, log *slog.Logger, accessLog, stdout io.Writer) error {
	store, err := openStore(ctx, cfg.storage, true)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the store failed", "err", err)
		}
	}()

	now := time.Now
	limiter, closeLimiter, err := newLimiter(ctx, cfg.redisURL, now, log)
	if err != nil {
		return err
	}
	defer closeLimiter()
	verifier := apikey.NewVerifier(store, format, verifyCacheTTL, now)
	verifier.SetFollowedTTL(followedCacheTTL)
	verifier.SetNegativeCache(cfg.limits.negTTL, cfg.limits.negSize)
	accounts := account.New(store, account.Config{SignupOpen: cfg.signup == "open"}, now)
	usage := meter.New(store)
	sts, ok := store.(pome.ServiceTokenStore)
	if !ok {
		return errors.New("the store cannot hold service tokens")
	}
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	handler := httpserver.New(httpserver.Config{
		Accounts:      accounts,
		Keys:          apikey.New(store, format, verifier, now),
		Verifier:      verifier,
		Meter:         usage,
		Ready:         store.Ping,
		Log:           log,
		AccessLog:     accessLog,
		Metrics:       metrics,
		SecureCookies: cfg.secureCookies,
		Limiter:       limiter,
		Rules:         cfg.rules,
		RateLimited:   accounts.RecordRateLimited,
		Now:           now,
		ServiceTokens: servicetoken.New(sts, now),
		Gateway:       httpserver.Gateway{Upstreams: cfg.upstreams.list, ResponseTimeout: cfg.upstreamWait},
	})

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// The background loops, owned here and ended below. The meter ends
	// only after the last request has been counted, so its final flush
	// writes everything.
	followCtx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	var follower sync.WaitGroup
	follower.Go(func() { verifier.Follow(followCtx, followInterval, log) })
	meterCtx, stopMeter := context.WithCancel(context.WithoutCancel(ctx))
	defer stopMeter()
	var meterDone sync.WaitGroup
	meterDone.Go(func() { usage.Run(meterCtx, flushInterval, finalFlushTimeout, log) })

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	fmt.Fprintf(stdout, "Pome listening on http://%s\n", addr)
	log.Info("pome listening", "addr", addr, "database", cfg.storage.describe(), "shared_limits", cfg.redisURL != "", "signup", cfg.signup, "upstreams", cfg.upstreams.String())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running past the timeout are cut; what they counted
		// is still flushed below.
		log.Error("draining requests timed out", "err", err)
		srv.Close()
	}
	if serveErr == nil {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	stopMeter()
	meterDone.Wait()
	stopFollow()
	follower.Wait()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	log.Info("stopped")
	return nil
}

// openStore opens the PostgreSQL database of --database-url if given, else
// the SQLite database in --data-dir. For SQLite, create makes the directory
// (0700: it holds every key digest and session) when missing; without it a
// missing database is an error, so that a mistyped --data-dir is not a new,
// empty database. PostgreSQL's database must exist; its schema is created
// or migrated either way.
func openStore(ctx context.Context, storage storageFlags, create bool) (pome.Store, error) {
	if storage.databaseURL != "" {
		store, err := postgres.Open(ctx, storage.databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database %s: %w", storage.describe(), err)
		}
		return store, nil
	}
	dataDir := storage.dataDir
	path := filepath.Join(dataDir, "pome.db")
	if create {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no Pome database at %s (check --data-dir, or run pome serve once): %w", path, err)
	}
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return store, nil
}

// describe names the database for logs and errors, without a password.
func (s storageFlags) describe() string {
	if s.databaseURL == "" {
		return filepath.Join(s.dataDir, "pome.db")
	}
	u, err := url.Parse(s.databaseURL)
	if err != nil {
		return "postgres"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// newLimiter returns the rate limiter: this node's memory, or with a Redis
// URL counters shared by every node in Redis. While Redis cannot be
// reached, the login and signup limits fail closed (503: they guard
// passwords against guessing, and a per-node fallback would multiply an
// attacker's budget by the number of nodes), and every other limit falls
// back to this node's memory (the public API and key management, revocation
// included, keep working, each node holding the quota on its own).
// docs/deploy.md tells operators the same.
func newLimiter(ctx context.Context, redisURL string, now func() time.Time, log *slog.Logger) (ratelimit.Limiter, func(), error) {
	memory := ratelimit.NewMemory(now, 0)
	if redisURL == "" {
		return memory, func() {}, nil
	}
	rules := ratelimit.DefaultRules()
	failClosed := map[string]bool{rules.LoginEmail.Name: true, rules.LoginIP.Name: true, rules.SignupIP.Name: true}
	l, err := redis.New(redisURL, redis.Options{
		Fallback:   memory,
		FailClosed: func(r ratelimit.Rule) bool { return failClosed[r.Name] },
		Log:        log,
		Now:        now,
	})
	if err != nil {
		return nil, nil, usagef("--redis-url (POME_REDIS_URL): %v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := l.Ping(pctx); err != nil {
		// Not fatal: Redis may come up after this node. Meanwhile the
		// limits behave as in any Redis outage.
		log.Warn("redis unreachable at start: login and signup answer 503, other limits count per node, until it answers", "err", err)
	}
	return l, func() { l.Close() }, nil
}
