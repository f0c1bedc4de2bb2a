package httpserver

import "net/http"

// NewWithRoutes is New with extra routes added to its mux, so that tests can
// reach the middleware with handlers that misbehave (panic).
func NewWithRoutes(cfg Config, extra func(mux *http.ServeMux)) http.Handler {
	return newHandler(cfg, extra)
}
