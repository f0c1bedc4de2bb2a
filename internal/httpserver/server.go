// Package httpserver is Pome's HTTP surface: the public API, the management
// API and the dashboard, operations endpoints and gateway mode, each
// audience in its own middleware chain (surfaces.go), with every route in
// one table (routes.go).
package httpserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/buildinfo"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/secretscan"
	"github.com/pomehq/pome/internal/webhook"
)

// Config is everything the handler needs; cmd/pome wires it.
type Config struct {
	Accounts *account.Service
	Keys     *apikey.Service
	Webhooks *webhook.Service
	// Gate decides every request of the public API and the gateway.
	Gate *authz.Gate
	// Verifier forgets the keys of a member whose role changed.
	Verifier *apikey.Verifier
	Meter    *meter.Meter
	// Ready reports whether the database answers (GET /readyz).
	Ready func(ctx context.Context) error
	// Pools reports the store's connection pools for /metrics
	// (pome_db_pool_*); nil exports none.
	Pools func() []pome.PoolStats
	Log   *slog.Logger
	// AccessLog receives the access log, one JSON line a request in the
	// shape of Log's JSON lines (accesslog.go); nil writes none.
	AccessLog io.Writer
	// Metrics receives Pome's collectors; GET /metrics serves it.
	Metrics *prometheus.Registry
	// PrivateMetrics leaves GET /metrics out: MetricsHandler serves it on a
	// listener of its own.
	PrivateMetrics bool
	// SecureCookies marks the session cookie Secure with the __Host- prefix,
	// for deployments served over HTTPS.
	SecureCookies bool
	Now           func() time.Time

	// Limiter counts the management API's rate limits of Rules; nil turns
	// them off. (The public API's are the Gate's.)
	Limiter ratelimit.Limiter
	Rules   ratelimit.Rules
	// RateLimited is told of every management request a per-user limit
	// refuses, with the rule's name (the audit log records it); nil means
	// Accounts.RecordRateLimited.
	RateLimited func(ctx context.Context, m pome.Member, rule string)

	// Gateway lists the upstream APIs of gateway mode (gateway.go); none
	// turns it off.
	Gateway Gateway

	// PublicURL is where people reach the deployment (--public-url), as
	// scheme://host[:port]: the base of the links Pome hands out. Empty:
	// not configured.
	PublicURL string
	// PortalReturnOrigins are the origins a portal session's return_url
	// may be on (--portal-return-origins); none: no return_url is taken.
	PortalReturnOrigins account.ReturnOrigins

	// GitHubKeys checks the signatures of GitHub's secret scanning alerts
	// (POST /v1/secret-scanning/github, github.go); nil leaves the route
	// out.
	GitHubKeys *secretscan.Keys

	// Proxies are the trusted reverse proxies in front of Pome, whose
	// X-Forwarded-For says who the client is (every per-IP limit, the audit
	// log, the access log, the gateway's X-Forwarded-*); none by default.
	Proxies httpapi.TrustedProxies
}

// New returns the handler for every route of Pome. Log, Metrics and Now
// default to a discarding logger, a fresh registry and time.Now; Ready
// defaults to always ready.
func New(cfg Config) http.Handler {
	return newHandler(cfg, nil)
}

// newHandler builds the handler; extra, if not nil, adds routes (tests use it
// to reach the middleware with a handler that panics).
func newHandler(cfg Config, extra func(mux *http.ServeMux)) http.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	if cfg.RateLimited == nil && cfg.Accounts != nil {
		// The audit log records refusals (account.Service.RecordRateLimited).
		cfg.RateLimited = cfg.Accounts.RecordRateLimited
	}
	mux := http.NewServeMux()
	patterns := addRoutes(mux, cfg)
	if extra != nil {
		extra(mux)
	}
	m := newMetrics(cfg.Metrics, patterns)
	registerStats(cfg.Metrics, cfg.Verifier, cfg.Meter, cfg.Gate)
	registerPoolsAndRefusals(cfg.Metrics, cfg.Pools, cfg.Limiter)
	registerBuildInfo(cfg.Metrics, buildinfo.Read())

	// The chain every response passes, innermost first; each surface's own
	// runs inside the mux (surfaces.go). Every response, errors included,
	// has a request id and the API headers; the access log and the metrics
	// see the final status, including the 500 of a recovered panic, because
	// recovery happens inside them.
	var h http.Handler = mux
	h = recoverPanics(cfg.Log)(h)
	h = refuseConflictingFraming(cfg.Log)(h)
	h = m.middleware(h)
	h = accessLog(cfg.AccessLog, cfg.Proxies)(h)
	h = abortAfterLog(h)
	h = apiHeaders(h)
	h = securityHeaders(cfg.SecureCookies)(h)
	h = requestID(h)
	return h
}
