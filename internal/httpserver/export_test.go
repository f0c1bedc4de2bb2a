package httpserver

import (
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/httpapi"
)

// NewWithRoutes is New with extra routes added to its mux, so that tests can
// reach the middleware with handlers that misbehave (panic).
func NewWithRoutes(cfg Config, extra func(mux *http.ServeMux)) http.Handler {
	return newHandler(cfg, extra)
}

// PublicGate answers 200 {"ok":true} to any request that the gate of the
// public API lets through, and its error otherwise. The public API has no
// write route yet: tests mount this one to reach the refusal of writes
// over HTTP.
func PublicGate(gate *authz.Gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := authorize(w, r, gate, httpapi.TrustedProxies(nil).ClientAddr(r), netip.Addr{}, nil); err != nil {
			writeError(w, r, slog.New(slog.DiscardHandler), err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}
