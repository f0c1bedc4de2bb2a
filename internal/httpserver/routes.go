package httpserver

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// addRoutes maps the whole HTTP surface of Pome, and returns the patterns it
// registered (the metrics label them).
func addRoutes(mux *http.ServeMux, cfg Config) []string {
	log := cfg.Log
	sess := newSessions(cfg.Accounts, cfg.SecureCookies)
	// State-changing management routes refuse cross-origin browser requests.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(errorHandler(log, errCrossOrigin))
	guard := cop.Handler
	// Rate limits of SPEC §6 (ratelimits.go); the cross-origin guard runs
	// first, so a refused cross-site request spends nobody's quota.
	lim := &limits{log: log, limiter: cfg.Limiter, rules: cfg.Rules, onLimited: cfg.RateLimited}
	dash := &dashboard{log: log, accounts: cfg.Accounts, keys: cfg.Keys, sess: sess, lim: lim, now: cfg.Now}
	gate := &keyGate{log: log, verifier: cfg.Verifier, limiter: cfg.Limiter, plans: cfg.Rules.Plans, failures: cfg.Rules.AuthFailureIP}

	routes := []struct {
		pattern string
		handler http.Handler
	}{
		// Public API, authenticated by API key (SPEC §3).
		{"GET /v1/me", handleMe(log, gate, cfg.Meter, cfg.Now)},
		// Verification for backends in any language, by service token (verify.go).
		{"POST /v1/keys/verify", handleVerify(log, gate, cfg.ServiceTokens, cfg.Meter, cfg.Now)},

		// Management API, authenticated by session (SPEC §5).
		{"POST /api/auth/signup", guard(lim.perIP(cfg.Rules.SignupIP, handleSignup(log, cfg.Accounts, sess)))},
		{"POST /api/auth/login", guard(handleLogin(log, cfg.Accounts, sess, lim))},
		{"POST /api/auth/logout", guard(handleLogout(log, cfg.Accounts, sess))},
		{"GET /api/session", handleSession(log, cfg.Accounts, sess)},
		{"GET /api/keys", lim.perMember(cfg.Rules.ListKeys, sess, handleListKeys(log, sess, cfg.Keys, cfg.Now))},
		{"POST /api/keys", guard(lim.perMember(cfg.Rules.CreateKey, sess, handleCreateKey(log, sess, cfg.Keys, cfg.Now)))},
		{"DELETE /api/keys/{id}", guard(lim.perMember(cfg.Rules.RevokeKey, sess, handleRevokeKey(log, sess, cfg.Keys)))},
		{"GET /api/keys/{id}/usage", handleKeyUsage(log, sess, cfg.Keys)},
		// A roll mints a key: it spends the create-key quota.
		{"POST /api/keys/{id}/roll", guard(lim.perMember(cfg.Rules.CreateKey, sess, handleRollKey(log, sess, cfg.Keys, cfg.Now)))},
		{"GET /api/team/members", handleListMembers(log, sess, cfg.Accounts)},
		{"POST /api/team/members", guard(handleAddMember(log, sess, cfg.Accounts))},
		{"PATCH /api/team/members/{user_id}", guard(handleSetMemberRole(log, sess, cfg.Accounts, cfg.Verifier))},
		{"DELETE /api/team/members/{user_id}", guard(handleRemoveMember(log, sess, cfg.Accounts, cfg.Verifier))},
		{"GET /api/audit", handleAudit(log, sess, cfg.Accounts)},

		// The dashboard (pages.go): pages that read, with the API above for
		// every change; sign-out is a form post, guarded like the API.
		{"GET /{$}", handleRoot()},
		{"GET /signin", dash.handleAuthPage("signin", "Sign in")},
		{"GET /signup", dash.handleAuthPage("signup", "Sign up")},
		{"POST /signout", guard(dash.handleSignOut())},
		{"GET /keys", dash.handleKeysPage()},
		{"GET /keys/{id}", dash.handleKeyPage()},
		{"GET /settings", dash.handleSettingsPage()},
		{"GET /audit", dash.handleAuditPage()},
		{"GET /static/{name}", handleStatic(log)},

		// Operations (SPEC §10).
		{"GET /healthz", handleHealthz()},
		{"GET /readyz", handleReadyz(log, cfg.Ready)},
		{"GET /metrics", promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{})},
	}
	patterns := make([]string, 0, len(routes))
	for _, rt := range routes {
		mux.Handle(rt.pattern, rt.handler)
		patterns = append(patterns, rt.pattern)
	}
	// Gateway mode (gateway.go): the upstreams' prefixes, under Pome's own
	// paths.
	fallback := handleFallback(log, mux)
	patterns = append(patterns, addGatewayRoutes(mux, cfg, gate, patterns, fallback)...)
	// Everything else: a JSON 404, or a JSON 405 with Allow when the path
	// exists for other methods. ServeMux's own text answers never show.
	// An upstream of prefix "/" takes everything else instead.
	if !cfg.Gateway.coversRoot() {
		mux.Handle(fallbackPattern, fallback)
	}
	return patterns
}
