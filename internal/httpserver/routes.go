package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// route is one route of Pome's HTTP surface, and the audience it serves.
type route struct {
	surface surface
	pattern string
	handler http.Handler
}

// routeTable lists the whole HTTP surface of Pome but gateway mode's
// upstreams (gateway.go), by audience. Each audience's routes run inside
// its own middleware chain (surfaces.go); no middleware looks at a path to
// tell which audience a request is for. It also returns the dashboard its
// pages share, whose 404 page the fallback shows browsers.
func routeTable(cfg Config) ([]route, *dashboard) {
	log := cfg.Log
	sess := newSessions(cfg.Accounts, cfg.SecureCookies)
	// Rate limits of the management API (ratelimits.go); the session
	// surface's cross-origin guard runs before them, so a refused
	// cross-site request spends nobody's quota.
	lim := &limits{log: log, limiter: cfg.Limiter, rules: cfg.Rules, onLimited: cfg.RateLimited, proxies: cfg.Proxies}
	dash := &dashboard{log: log, accounts: cfg.Accounts, keys: cfg.Keys, webhooks: cfg.Webhooks, sess: sess, lim: lim, now: cfg.Now}
	api := &sessionAPI{log: log, sess: sess, accounts: cfg.Accounts, keys: cfg.Keys, webhooks: cfg.Webhooks, verifier: cfg.Verifier, lim: lim, now: cfg.Now,
		publicURL: cfg.PublicURL}
	gate := cfg.Gate
	platform := &platformAPI{log: log, gate: gate, proxies: cfg.Proxies, accounts: cfg.Accounts, keys: cfg.Keys, webhooks: cfg.Webhooks,
		now: cfg.Now, publicURL: cfg.PublicURL, returnOrigins: cfg.PortalReturnOrigins}

	routes := []route{
		// Public API, authenticated by API key (me.go).
		{public, "GET /v1/me", handleMe(log, gate, cfg.Proxies)},
		// The platform API, by service token with a scope (platform*.go):
		// verification for backends in any language (verify.go), teams,
		// and any team's keys.
		{public, "POST /v1/keys/verify", platform.handle(pome.ScopeKeysVerify, platform.verify)},
		{public, "POST /v1/teams", platform.handle(pome.ScopeTeamsWrite, platform.createTeam)},
		{public, "GET /v1/teams", platform.handle(pome.ScopeTeamsRead, platform.findTeams)},
		{public, "GET /v1/teams/{id}", platform.handle(pome.ScopeTeamsRead, platform.getTeam)},
		{public, "PATCH /v1/teams/{id}", platform.handle(pome.ScopeTeamsWrite, platform.updateTeam)},
		{public, "POST /v1/teams/{id}/keys", platform.handle(pome.ScopeKeysWrite, platform.createKey)},
		{public, "GET /v1/teams/{id}/keys", platform.handle(pome.ScopeKeysRead, platform.listKeys)},
		{public, "GET /v1/teams/{id}/usage", platform.handle(pome.ScopeKeysRead, platform.teamUsage)},
		{public, "GET /v1/keys/{id}", platform.handle(pome.ScopeKeysRead, platform.getKey)},
		{public, "GET /v1/keys/{id}/usage", platform.handle(pome.ScopeKeysRead, platform.keyUsage)},
		{public, "PATCH /v1/keys/{id}", platform.handle(pome.ScopeKeysWrite, platform.updateKey)},
		{public, "DELETE /v1/keys/{id}", platform.handle(pome.ScopeKeysWrite, platform.revokeKey)},
		{public, "POST /v1/keys/{id}/roll", platform.handle(pome.ScopeKeysWrite, platform.rollKey)},
		// Portal sessions (platform_portal.go): a one-time link into the
		// dashboard for one of the platform's users.
		{public, "POST /v1/portal/sessions", platform.handle(pome.ScopePortalWrite, platform.createPortalSession)},
		// Webhook endpoints of one team or of every team
		// (platform_webhooks.go).
		{public, "POST /v1/webhooks", platform.handle(pome.ScopeWebhooksWrite, platform.createWebhook)},
		{public, "GET /v1/webhooks", platform.handle(pome.ScopeWebhooksWrite, platform.listWebhooks)},
		{public, "DELETE /v1/webhooks/{id}", platform.handle(pome.ScopeWebhooksWrite, platform.deleteWebhook)},
		{public, "GET /v1/webhooks/{id}/deliveries", platform.handle(pome.ScopeWebhooksWrite, platform.webhookDeliveries)},
		// Leaked keys (leaks.go): anyone may report a key found published,
		// with no credential; each address a few times a minute.
		{public, "POST /v1/keys/report-leak", lim.perIP(cfg.Rules.ReportLeakIP, handle(log, handleReportLeak(cfg.Keys, cfg.Proxies)))},

		// Management API, authenticated by session.
		{session, "POST /api/auth/signup", lim.perIP(cfg.Rules.SignupIP, api.handle(api.signup))},
		{session, "POST /api/auth/login", api.handle(api.login)},
		// Logout spends the per-user logout quota itself (endSession): a
		// request without a valid session ends nothing and counts for no one.
		{session, "POST /api/auth/logout", api.handle(api.logout)},
		{session, "GET /api/session", api.handle(api.session)},
		// The user's own account (usersessions.go). A password change is
		// counted as a login attempt, and ending a session spends the
		// logout quota, each by the handler itself; a reset link's form
		// needs no session, and every try spends the client IP's login
		// quota.
		{session, "POST /api/auth/password", api.handle(api.changePassword)},
		{session, "GET /api/auth/sessions", api.handle(api.listSessions)},
		{session, "DELETE /api/auth/sessions/{id}", api.handle(api.endUserSession)},
		{session, "POST /api/auth/password-reset", lim.perIP(cfg.Rules.LoginIP, api.handle(api.resetPassword))},
		{session, "GET /api/keys", lim.perMember(cfg.Rules.ListKeys, sess, api.handle(api.listKeys))},
		{session, "POST /api/keys", lim.perMember(cfg.Rules.CreateKey, sess, api.handle(api.createKey))},
		// Reading one key reads what a list does: the same quota, as the
		// dashboard's key page.
		{session, "GET /api/keys/{id}", lim.perMember(cfg.Rules.ListKeys, sess, api.handle(api.getKey))},
		// A change of a key's policies is a change of a key, as a revocation
		// is (a disable is one): the revoke-key quota.
		{session, "PATCH /api/keys/{id}", lim.perMember(cfg.Rules.RevokeKey, sess, api.handle(api.updateKey))},
		{session, "DELETE /api/keys/{id}", lim.perMember(cfg.Rules.RevokeKey, sess, api.handle(api.revokeKey))},
		{session, "GET /api/keys/{id}/usage", api.handle(api.keyUsage)},
		{session, "GET /api/usage", api.handle(api.teamUsage)},
		// A roll mints a key: it spends the create-key quota.
		{session, "POST /api/keys/{id}/roll", lim.perMember(cfg.Rules.CreateKey, sess, api.handle(api.rollKey))},
		{session, "GET /api/team/members", api.handle(api.listMembers)},
		// Every member change writes to the append-only audit log: one quota.
		{session, "PATCH /api/team/members/{user_id}", lim.perMember(cfg.Rules.Members, sess, api.handle(api.setMemberRole))},
		{session, "DELETE /api/team/members/{user_id}", lim.perMember(cfg.Rules.Members, sess, api.handle(api.removeMember))},
		{session, "GET /api/audit", api.handle(api.audit)},
		// Invitations (invitations.go): making one has a quota of its own,
		// per member, as each hands out a way into the team; a revocation
		// is a member change. Accepting needs a session and a 256-bit
		// token, which no one guesses.
		{session, "POST /api/team/invitations", lim.perMember(cfg.Rules.Invitations, sess, api.handle(api.invite))},
		{session, "GET /api/team/invitations", api.handle(api.listInvitations)},
		{session, "DELETE /api/team/invitations/{id}", lim.perMember(cfg.Rules.Members, sess, api.handle(api.revokeInvitation))},
		{session, "POST /api/invitations/accept", api.handle(api.acceptInvitation)},
		// The team's own webhook endpoints (team_webhooks.go), for owners
		// and admins: each write is audit-logged, as a member change is,
		// and spends the same quota.
		{session, "POST /api/team/webhooks", lim.perMember(cfg.Rules.Members, sess, api.handle(api.createTeamWebhook))},
		{session, "GET /api/team/webhooks", api.handle(api.listTeamWebhooks)},
		{session, "DELETE /api/team/webhooks/{id}", lim.perMember(cfg.Rules.Members, sess, api.handle(api.deleteTeamWebhook))},
		{session, "GET /api/team/webhooks/{id}/deliveries", api.handle(api.teamWebhookDeliveries)},

		// The dashboard (pages.go): pages that read, with the API above for
		// every change; sign-out is a form post.
		{session, "GET /{$}", handleRoot()},
		{session, "GET /signin", dash.handleAuthPage("signin", "Sign in")},
		{session, "GET /signup", dash.handleAuthPage("signup", "Sign up")},
		{session, "POST /signout", dash.handleSignOut()},
		{session, "GET /keys", dash.handleKeysPage()},
		{session, "GET /keys/{id}", dash.handleKeyPage()},
		{session, "GET /settings", dash.handleSettingsPage()},
		{session, "GET /settings/webhooks/{id}", dash.handleWebhookPage()},
		{session, "GET /usage", dash.handleUsagePage()},
		{session, "GET /audit", dash.handleAuditPage()},
		{session, "GET /account", dash.handleAccountPage()},
		{session, resetPagePattern, dash.handleResetPage()},
		// A portal link signs in (platform_portal.go); its 256-bit token
		// is no password to guess, so no limit counts tries.
		{session, portalPagePattern, dash.handlePortalPage()},
		{session, invitePagePattern, dash.handleInvitePage()},
		{session, "GET /static/{name}", handleStatic(log)},

		// Operations.
		{ops, "GET /healthz", handleHealthz()},
		{ops, "GET /readyz", handleReadyz(log, cfg.Ready)},
		{ops, "GET /openapi.json", handleOpenAPI()},
	}
	if cfg.GitHubKeys != nil {
		// GitHub's secret scanning alerts (github.go), signed by GitHub.
		routes = append(routes, route{scanning, "POST /v1/secret-scanning/github", handle(log, handleGitHubAlert(cfg.Keys, cfg.GitHubKeys, cfg.Proxies))})
	}
	// With a listener of its own (MetricsHandler), /metrics is not also
	// served here, where the internet could read it.
	if !cfg.PrivateMetrics {
		routes = append(routes, route{ops, metricsRoute, promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{})})
	}
	return routes, dash
}

// metricsRoute is where Prometheus scrapes, on New's handler or on
// MetricsHandler's.
const metricsRoute = "GET /metrics"

// MetricsHandler serves reg at GET /metrics and nothing else, for a private
// listener of its own (pome serve --metrics-addr); Config.PrivateMetrics
// then leaves /metrics out of New's handler.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(metricsRoute, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// addRoutes registers every route on mux, each inside its surface's chain,
// then gateway mode's upstreams and the JSON answer to what matches
// nothing. It returns the patterns registered (the metrics label them).
func addRoutes(mux *http.ServeMux, cfg Config) []string {
	chains := newChains(cfg)
	table, dash := routeTable(cfg)
	patterns := make([]string, 0, len(table))
	for _, rt := range table {
		mux.Handle(rt.pattern, chains[rt.surface](rt.handler))
		patterns = append(patterns, rt.pattern)
	}
	// A literal path keeps its own methods under a wildcard route that
	// matches it too (POST /v1/keys/verify, GET /v1/keys/{id}).
	patterns = append(patterns, addLiteralPaths(mux, cfg.Log)...)
	// Gateway mode (gateway.go): the upstreams' prefixes, under Pome's own
	// paths.
	fallback := handleFallback(cfg.Log, mux, dash)
	patterns = append(patterns, addGatewayRoutes(mux, cfg, chains[gateway], patterns, fallback)...)
	// Everything else: a JSON 404 (a browser's page visit: the HTML one),
	// or a JSON 405 with Allow when the path exists for other methods.
	// ServeMux's own text answers never show.
	// An upstream of prefix "/" takes everything else instead.
	if !cfg.Gateway.coversRoot() {
		mux.Handle(fallbackPattern, fallback)
	}
	return patterns
}
