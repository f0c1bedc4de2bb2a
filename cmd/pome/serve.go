package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/logbuf"
	"github.com/pomehq/pome/internal/node"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/redact"
	"github.com/pomehq/pome/internal/secretscan"
)

// Timings of the server that are not the node's (internal/node).
const (
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
	upstreamScope upstreamScopeFlags
	upstreamWait  time.Duration
	upstreamIdle  time.Duration
	metricsAddr   string
	deploy        deployFlags
	stale         time.Duration
	proxies       proxyFlags
	githubKeys    string // --github-keys-url; "": no secret scanning endpoint
	// webhookAllowPrivate is --webhook-allow-private.
	webhookAllowPrivate bool
}

func (a *app) serveCmd() *cobra.Command {
	var cfg serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run the Pome server",
		Long: `Runs the Pome server: the public API (/v1), the management API (/api), the
dashboard and /healthz, /readyz, /metrics. With no flags it listens on
127.0.0.1:8080 and keeps its data in embedded SQLite under ./pome-data,
creating it. With --database-url it runs on PostgreSQL, and any number of
nodes may share that database; with --redis-url they share rate-limit
counters too (see docs/deploy.md). With --upstream it is also a gateway in
front of the platform's own API: requests are authenticated by API key,
then forwarded with the caller's identity in Pome-* headers (see
docs/protect.md). With --tls-cert and --tls-key, or --tls-domain (Let's
Encrypt), it serves HTTPS itself; --public-url says where people reach it
(see docs/production.md). SIGINT, SIGTERM or SIGHUP drains in-flight requests,
flushes usage counts and exits.`,
		Example: `  pome serve --addr 127.0.0.1:8080 --data-dir /var/lib/pome --signup closed
  POME_ADDR=0.0.0.0:8080 pome serve
  POME_DATABASE_URL=postgres://pome@db/pome POME_REDIS_URL=redis://cache:6379/0 pome serve
  pome serve --upstream /v1/=http://127.0.0.1:9000 --upstream /files/=http://127.0.0.1:9001
  pome serve --addr :443 --tls-domain keys.example.com --data-dir /var/lib/pome`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), cfg)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	cfg.storage.register(fs)
	fs.StringVar(&cfg.redisURL, "redis-url", "", "Redis `URL` (redis://host:6379/0) for rate-limit counters shared by every node; without it each node counts in memory")
	fs.StringVar(&cfg.signup, "signup", "open", "`mode`: open (anyone may sign up) or closed (only pome admin user create makes users)")
	fs.StringVar(&cfg.keyPrefix, "key-prefix", pome.DefaultKeyPrefix, "prefix of new API keys, 2 to 8 lowercase letters")
	fs.BoolVar(&cfg.webhookAllowPrivate, "webhook-allow-private", false, "deliver webhooks to loopback, private and link-local addresses too (refused by default: a webhook URL must not reach the deployment's own network)")
	fs.BoolVar(&cfg.secureCookies, "secure-cookies", false, "mark the session cookie Secure (__Host-pome_session) and send HSTS: HTTPS ends at a proxy in front (implied by an https --public-url)")
	cfg.limits.register(fs)
	fs.Var(&cfg.upstreams, "upstream", "gateway mode: forward authenticated requests to `[/PREFIX/=]URL` (repeatable; without a prefix, every path Pome does not serve itself)")
	fs.Var(&cfg.upstreamScope, "upstream-scope", "gateway mode: a scope every key must have for the upstream of a prefix, as `/PREFIX/=SCOPE` (repeatable; a prefix's scopes add up)")
	fs.DurationVar(&cfg.upstreamWait, "upstream-timeout", httpserver.DefaultUpstreamResponseTimeout, "gateway mode: how long to wait for an upstream's response headers before answering 504")
	fs.DurationVar(&cfg.upstreamIdle, "upstream-idle-timeout", httpserver.DefaultUpstreamIdleTimeout, "gateway mode: how long an upstream may send nothing in the middle of a response body before Pome cuts it")
	cfg.deploy.register(fs)
	fs.StringVar(&cfg.metricsAddr, "metrics-addr", "", "serve /metrics on this private `HOST:PORT` only, not on --addr")
	fs.DurationVar(&cfg.stale, "stale-if-unavailable", node.DefaultStaleIfUnavailable, "while the database cannot be reached, keep serving cached API keys for this long after the last read of the change log (0: off)")
	fs.StringVar(&cfg.githubKeys, "github-keys-url", secretscan.DefaultKeysURL, "`URL` of GitHub's secret scanning public keys, which sign the alerts of POST /v1/secret-scanning/github (empty: no such endpoint)")
	fs.Var(&cfg.proxies, "trusted-proxies", "reverse proxies in front of Pome (repeatable; IPs or CIDR prefixes): from them, X-Forwarded-For names the client and X-Forwarded-Proto/-Host are believed")
	cmd.RegisterFlagCompletionFunc("signup", cobra.FixedCompletions([]cobra.Completion{"open", "closed"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.MarkFlagDirname("data-dir")
	return cmd
}

func (a *app) serve(ctx context.Context, cfg serveConfig) error {
	if err := cfg.check(); err != nil {
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
	logOut := logbuf.New(a.stderr, logBufferSize)
	flushCtx, stopFlush := context.WithCancel(context.WithoutCancel(ctx))
	var flusher sync.WaitGroup
	flusher.Go(func() { logOut.Run(flushCtx, logFlushInterval) })
	defer func() { stopFlush(); flusher.Wait() }()
	log := slog.New(redact.New(logOut.Handler(slog.NewJSONHandler(logOut, nil), slog.LevelWarn)))
	return runServer(ctx, cfg, format, log, logOut, a.stdout)
}

func (c *serveConfig) check() error {
	if err := c.storage.check(); err != nil {
		return err
	}
	if c.redisURL != "" && !strings.HasPrefix(c.redisURL, "redis://") && !strings.HasPrefix(c.redisURL, "rediss://") {
		// The value is not echoed: it may hold a password.
		return usagef("--redis-url (POME_REDIS_URL) must be a redis:// or rediss:// URL")
	}
	if c.stale < 0 {
		return usagef("--stale-if-unavailable (POME_STALE_IF_UNAVAILABLE) must not be negative")
	}
	if c.signup != "open" && c.signup != "closed" {
		return usagef("--signup must be open or closed, not %q", c.signup)
	}
	if err := c.deploy.check(c.secureCookies); err != nil {
		return err
	}
	if err := c.upstreamScope.apply(c.upstreams.list); err != nil {
		return err
	}
	if c.githubKeys != "" {
		if u, err := url.Parse(c.githubKeys); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usagef("--github-keys-url %q must be an http(s) URL, or empty for no secret scanning endpoint", c.githubKeys)
		}
	}
	if c.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.metricsAddr); err != nil {
			return usagef("--metrics-addr %q must be HOST:PORT", c.metricsAddr)
		}
	}
	var err error
	if c.rules, err = c.limits.rules(); err != nil {
		return err
	}
	return nil
}

// runServer runs a node, serves until ctx ends, then shuts down in the
// order that loses nothing: drain requests, then close the node (its final
// usage flush, then the store). Counts that the final flush could not
// write make it fail: exit 1, with how many were lost.
func runServer(ctx context.Context, cfg serveConfig, format pome.KeyFormat, log *slog.Logger, accessLog, stdout io.Writer) (err error) {
	// Certificates are read first: a bad file stops serve before anything
	// is opened.
	tlsConfig, acmeChallenges, err := cfg.deploy.tlsConfig(cfg.storage.dataDir)
	if err != nil {
		return err
	}
	// Listen next: a busy address must not leave a database created or
	// migrated behind. Connections wait in the backlog meanwhile.
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	servers := &httpServers{log: log}
	defer servers.close() // if serving never starts
	var metricsAddr string
	if cfg.metricsAddr != "" {
		if _, metricsAddr, err = servers.listen(cfg.metricsAddr, httpserver.MetricsHandler(metrics), nil); err != nil {
			return err
		}
	}
	if acmeChallenges != nil {
		if _, _, err := servers.listen(cfg.deploy.acmeHTTPAddr, acmeChallenges, nil); err != nil {
			return err
		}
	}
	// Its handler needs the node: it is set once the node is open.
	apiServer, addr, err := servers.listen(cfg.addr, nil, tlsConfig)
	if err != nil {
		return err
	}
	unlock, err := cfg.storage.storage(true).Lock()
	if err != nil {
		return err
	}
	defer unlock() // after the node is closed: deferred first
	n, err := node.Open(ctx, cfg.storage.storage(true), cfg.redisURL, node.Config{
		KeyFormat:           format,
		Rules:               cfg.rules,
		SignupOpen:          cfg.signup == "open",
		Negative:            &node.NegativeCache{TTL: cfg.limits.negTTL, Size: cfg.limits.negSize},
		StaleIfUnavailable:  cfg.stale,
		WebhookAllowPrivate: cfg.webhookAllowPrivate,
		Log:                 log,
	})
	if errors.Is(err, node.ErrRedisURL) {
		return usagef("--redis-url (POME_REDIS_URL): %v", err)
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := n.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("stop: %w", cerr))
		}
	}()
	apiServer.Handler = httpserver.New(httpserver.Config{
		Accounts:      n.Accounts,
		Keys:          n.Keys,
		Webhooks:      n.Webhooks,
		Gate:          n.Gate,
		Verifier:      n.Verifier,
		Meter:         n.Meter,
		Ready:         n.Store.Ping,
		Pools:         poolsOf(n.Store),
		Log:           log,
		AccessLog:     accessLog,
		Metrics:       metrics,
		SecureCookies: cfg.deploy.https(cfg.secureCookies),
		Limiter:       n.Limiter,
		Rules:         cfg.rules,
		RateLimited:   n.Accounts.RecordRateLimited,
		Now:           n.Now,
		Gateway:       httpserver.Gateway{Upstreams: cfg.upstreams.list, ResponseTimeout: cfg.upstreamWait, IdleTimeout: cfg.upstreamIdle},

		PrivateMetrics: cfg.metricsAddr != "",
		PublicURL:      cfg.deploy.publicURL,

		PortalReturnOrigins: cfg.deploy.portalReturn,
		Proxies:             cfg.proxies.list,
		GitHubKeys:          githubKeys(cfg.githubKeys, n.Now),
	})

	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	if metricsAddr != "" {
		fmt.Fprintf(stdout, "Pome metrics on http://%s/metrics\n", metricsAddr)
	}
	fmt.Fprintf(stdout, "Pome listening on %s://%s\n", scheme, addr)
	log.Info("pome listening", "addr", addr, "scheme", scheme, "metrics_addr", metricsAddr, "public_url", cfg.deploy.publicURL, "tls_domains", cfg.deploy.tlsDomains, "database", cfg.storage.storage(false).String(), "shared_limits", cfg.redisURL != "", "signup", cfg.signup, "upstreams", cfg.upstreams.String(), "trusted_proxies", cfg.proxies.String())

	// The deferred Close ends the node once the servers are drained: its
	// meter's final flush writes what the requests counted.
	if err := servers.serve(ctx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// poolsOf is the store's report of its connection pools for /metrics
// (both stores give one), nil for a store without.
func poolsOf(store pome.Store) func() []pome.PoolStats {
	if p, ok := store.(interface{ PoolStats() []pome.PoolStats }); ok {
		return p.PoolStats
	}
	return nil
}

// githubKeys are the keys of --github-keys-url, nil for none.
func githubKeys(keysURL string, now func() time.Time) *secretscan.Keys {
	if keysURL == "" {
		return nil
	}
	return secretscan.New(keysURL, secretscan.FetchTimeout, now)
}
