package httpserver

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/pomehq/pome/internal/httpapi"
)

// fallbackPattern catches every request that no route matches.
const fallbackPattern = "/"

// probeMethods are the methods tried to tell a 405 from a 404.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// handleFallback answers what matched no route: 405 with Allow if the path
// has routes for other methods, else 404, both as the JSON envelope.
func handleFallback(log *slog.Logger, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, r, log, httpapi.ErrMethodNotAllowed)
			return
		}
		writeError(w, r, log, httpapi.ErrRouteNotFound)
	})
}

// allowedMethods lists the methods for which mux has a route for r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	probe := r.Clone(r.Context())
	for _, m := range probeMethods {
		probe.Method = m
		// Pome's routes all name a method; patterns without one are
		// the fallback, gateway prefixes and the paths they reserve.
		if _, p := mux.Handler(probe); strings.IndexByte(p, ' ') > 0 {
			allow = append(allow, m)
		}
	}
	return allow
}
