package httpserver

import (
	"net/http"

	"github.com/pomehq/pome/internal/httpapi"
)

// surface is an audience of Pome's HTTP surface. Each has its own
// middleware chain, inside the one every response passes (server.go).
type surface uint8

const (
	// public is the API authenticated by an API key or a service token: a
	// cookie is never read there, so no cross-origin guard is needed (a
	// key is no ambient credential a cross-site request could ride on).
	// Bodies are capped.
	public surface = iota
	// session is the management API and the dashboard, authenticated by
	// the session cookie: the request's audit details are put in its
	// context, bodies are capped, and state-changing requests from another
	// origin are refused before the handler (and its rate limits) runs.
	session
	// ops is /healthz, /readyz and /metrics: no credential, no body.
	ops
	// scanning is the endpoint of GitHub's secret scanning: authenticated
	// by a signature of the raw body, which may be larger than the public
	// API's (github.go).
	scanning
	// gateway is the upstreams of gateway mode: bodies of any size stream
	// through, authenticated by API key.
	gateway
)

// chains are the middleware chains of the surfaces, by surface.
type chains [gateway + 1]func(http.Handler) http.Handler

func newChains(cfg Config) chains {
	guard := crossOriginGuard(cfg.Log)
	capBody := limitBody(cfg.Log, maxBodyBytes, httpapi.ErrBodyTooLarge)
	info := requestInfo(cfg.Proxies)
	none := func(h http.Handler) http.Handler { return h }
	return chains{
		public:   capBody,
		session:  func(h http.Handler) http.Handler { return info(capBody(guard(h))) },
		ops:      none,
		scanning: limitBody(cfg.Log, maxAlertBytes, errAlertTooLarge),
		gateway:  none,
	}
}
