package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome/internal/httpapi"
)

// Browser security headers, shared and never appended to (handlers may only
// replace them: a dashboard page sets its own Content-Security-Policy).
var (
	// The API serves JSON only: it loads nothing, runs nothing and is framed
	// by no one.
	cspAPI = []string{"default-src 'none'; frame-ancestors 'none'"}
	// A dashboard page loads its own script, style sheet and images, and
	// nothing inline: no inline script or style, no plugin, no other origin,
	// and its forms post only here.
	cspPage       = []string{"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"}
	frameDeny     = []string{"DENY"}
	noReferrer    = []string{"no-referrer"}
	hstsOneYear   = []string{"max-age=31536000"}
	clearSiteData = []string{`"cookies", "storage"`}
)

// securityHeaders sets the browser security headers on every response. HSTS
// is sent when the request came over TLS, or when the deployment says it is
// served over HTTPS (--secure-cookies: TLS ends at a proxy in front).
func securityHeaders(https bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Security-Policy"] = cspAPI
			h["X-Frame-Options"] = frameDeny
			h["Referrer-Policy"] = noReferrer
			if https || r.TLS != nil {
				h["Strict-Transport-Security"] = hstsOneYear
			}
			next.ServeHTTP(w, r)
		})
	}
}

// crossOriginGuard refuses cross-origin state-changing browser requests
// (http.CrossOriginProtection: Sec-Fetch-Site, else Origin against Host). It
// is the session surface's (surfaces.go), so that no cookie-authenticated
// route, present or future, can be left out
// (TestEveryStateChangeIsCrossOriginProtected). It has no trusted origins and
// no bypass patterns.
func crossOriginGuard(log *slog.Logger) func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(errorHandler(log, httpapi.ErrCrossOrigin))
	return cop.Handler
}
