package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome/internal/apikey"
)

// NewWithRoutes is New with extra routes added to its mux, so that tests can
// reach the middleware with handlers that misbehave (panic).
func NewWithRoutes(cfg Config, extra func(mux *http.ServeMux)) http.Handler {
	return newHandler(cfg, extra)
}

// PublicGate answers 200 {"ok":true} to any request that authorizeKey, the
// one gate of the public API, lets through, and its error otherwise. The
// public API has no write route yet: tests mount this one to reach the
// SPEC §4 refusal of writes over HTTP.
func PublicGate(v *apikey.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := authorizeKey(r, v, nil); err != nil {
			writeError(w, r, slog.New(slog.DiscardHandler), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}
