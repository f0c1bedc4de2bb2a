// Package inprocess protects a Go service's HTTP handlers with Pome's API
// keys verified in the service's own process, against Pome's database
// (SQLite or PostgreSQL), with no network hop: it runs a Pome node
// (internal/node) as `pome serve` does — the same cache, change-log
// invalidation, plan limits, failed-authentication limit and usage
// counting — and decides each request with the same gate. A service that
// cannot reach the database uses pomeauth.NewRemote instead.
package inprocess

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/node"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/pomeauth"
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
	// TrustedProxies are the reverse proxies in front of the service (as
	// pome serve --trusted-proxies): from a connection of theirs, the
	// client — whose failed authentications are counted, and whose address
	// a key's allowed_cidrs must hold — is the rightmost X-Forwarded-For
	// address that is not theirs. Empty: the connection's address, and no
	// header is read.
	TrustedProxies []netip.Prefix
}

// Auth verifies keys in process. Make it with New; Close it to stop its
// background loops and write the last usage counts.
type Auth struct {
	node    *node.Node
	proxies httpapi.TrustedProxies
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
	if cfg.DatabaseURL == "" && cfg.DataDir == "" {
		return nil, errors.New("inprocess: set Config.DatabaseURL or Config.DataDir")
	}
	rules := ratelimit.DefaultRules()
	for tier, n := range cfg.PlanLimits {
		if n > 0 {
			rules.Plans[tier] = ratelimit.PlanRule(tier, n)
		}
	}
	switch {
	case cfg.AuthFailuresPerMinute > 0:
		rules.AuthFailureIP.Limit = cfg.AuthFailuresPerMinute
	case cfg.AuthFailuresPerMinute < 0:
		rules.AuthFailureIP.Limit = 0
	}
	n, err := node.Open(ctx, node.Storage{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir}, "",
		node.Config{KeyFormat: format, Rules: rules, Log: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return &Auth{node: n, proxies: cfg.TrustedProxies}, nil
}

// Close stops following the change log, writes the usage counted so far and
// closes the database. Call it after the HTTP server has drained.
func (a *Auth) Close() error { return a.node.Close() }

// Sync applies now the changes made elsewhere (revocations, bans, role
// changes) that the change log holds, rather than at the next poll, and
// returns once they are applied. Nothing needs it in normal running: Pome's
// own bound (within a second) holds without it.
func (a *Auth) Sync(ctx context.Context) error { return a.node.Sync(ctx) }

// Verify checks key for permission as a request would, from no known
// address (a key with allowed_cidrs is refused: use Middleware) and
// requiring no scope: the same errors
// (*pome.Error: ErrInvalidAPIKey, ErrKeyRevoked, ErrKeyExpired,
// ErrTeamBanned, ErrInsufficientPermissions, ErrRateLimited), the plan
// limit, and one use counted when it passes.
func (a *Auth) Verify(ctx context.Context, key string, p pomeauth.Permission) (pomeauth.Identity, error) {
	g, err := a.node.Gate.Authorize(ctx, authz.Attempt{Key: key, Action: p.Action()})
	if err != nil {
		return pomeauth.Identity{}, err
	}
	return identityOf(&g), nil
}

// Middleware authenticates every request by its API key before next sees
// it, as Pome's public API does, and puts the caller's Identity in its
// context (pomeauth.FromContext). Refusals are Pome's JSON errors; failed
// authentications count against the client's address (Config.TrustedProxies).
func (a *Auth) Middleware(next http.Handler) http.Handler { return a.Require()(next) }

// Require is Middleware for handlers that need scopes: a key whose scopes
// do not cover every one is refused with 403 insufficient_scope, as the
// gateway's --upstream-scope does.
func (a *Auth) Require(scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return a.middleware(next, scopes) }
}

func (a *Auth) middleware(next http.Handler, scopes []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, keyErr := httpapi.APIKeyFrom(r.Header)
		addr := a.proxies.ClientAddr(r)
		g, err := a.node.Gate.Authorize(&requestCtx{Context: r.Context(), r: r, addr: addr}, authz.Attempt{
			Key: key, KeyErr: keyErr, ClientIP: a.proxies.ClientIP(r), Action: httpapi.ActionOf(r.Method),
			From: httpapi.AddrFrom(addr), Scopes: scopes,
		})
		ratelimit.SetHeaders(w.Header(), g.Limit.Rule, g.Limit.Decision)
		httpapi.SetRetryAfter(w.Header(), g.Credits.RetryAfter)
		if err != nil {
			pomeauth.WriteError(w, err)
			return
		}
		next.ServeHTTP(w, pomeauth.Forward(r, identityOf(&g)))
	})
}

func identityOf(g *authz.Grant) pomeauth.Identity {
	o := &g.Owner
	id := pomeauth.Identity{
		UserID: o.User.ID, UserEmail: o.User.Email,
		TeamID: o.Team.ID, TeamSlug: o.Team.Slug, PlanTier: o.Team.PlanTier,
		KeyID: o.Key.ID, KeyName: o.Key.Name, KeyPrefix: o.Key.Prefix,
		Role: string(o.Role), Environment: o.Key.Environment(), Scopes: o.Key.Scopes,
		Meta: json.RawMessage(pome.KeyMetaJSON(o.Key.Meta)), TeamExternalID: o.Team.ExternalID,
	}
	if c := g.Credits; c.Metered {
		id.CreditsRemaining = &c.Remaining
	}
	return id
}

// requestCtx is a request's context that answers its request metadata
// itself, made only when asked: the audit events a use may record (an
// expired key's first refusal, a canary's every use) name the client, and
// no other request pays for a copy of it (as the server's recorder does).
type requestCtx struct {
	context.Context
	r    *http.Request
	addr string
}

func (c *requestCtx) Value(key any) any {
	if pome.IsRequestInfoKey(key) {
		return pome.RequestInfo{IP: c.addr, UserAgent: c.r.UserAgent()}
	}
	return c.Context.Value(key)
}
