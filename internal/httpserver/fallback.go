package httpserver

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// fallbackPattern catches every request that no route matches.
const fallbackPattern = "/"

// probeMethods are the methods tried to tell a 405 from a 404.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// handleFallback answers what matched no route: 405 with Allow if the path
// has routes for other methods, else 404, both as the JSON envelope; but a
// browser's visit to an unknown page (wantsPage) gets the dashboard's HTML
// 404 page (TestUnknownPage).
func handleFallback(log *slog.Logger, mux *http.ServeMux, dash *dashboard) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, r, log, httpapi.ErrMethodNotAllowed)
			return
		}
		if wantsPage(r) {
			dash.fail(w, r, nil, errNoPage)
			return
		}
		writeError(w, r, log, httpapi.ErrRouteNotFound)
	})
}

// errNoPage is the 404 page's answer: ErrRouteNotFound, worded for people.
var errNoPage = &pome.Error{Kind: pome.NotFound, Code: httpapi.ErrRouteNotFound.Code, Message: "There is no page at this address."}

// wantsPage reports whether r is a browser asking for a page: a GET or
// HEAD that accepts HTML, outside the APIs' paths, whose clients always
// get JSON.
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if p := r.URL.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/v1/") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// literalPaths are paths that a route with a wildcard also matches
// (POST /v1/keys/verify and POST /v1/keys/report-leak under
// GET /v1/keys/{id}), with their own methods: they keep them, as if the
// wildcard were not there.
var literalPaths = map[string][]string{"/v1/keys/verify": {http.MethodPost}, "/v1/keys/report-leak": {http.MethodPost}}

// addLiteralPaths registers, for each literal path, the methods it lacks
// that a wildcard route would otherwise take (GET /v1/keys/verify): 405
// with the path's own Allow, as the fallback answers. It returns the
// patterns registered.
func addLiteralPaths(mux *http.ServeMux, log *slog.Logger) []string {
	var patterns []string
	for path, allow := range literalPaths {
		refuse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, r, log, httpapi.ErrMethodNotAllowed)
		})
		for _, m := range probeMethods {
			// GET's pattern takes HEAD too.
			if m == http.MethodHead || slices.Contains(allow, m) {
				continue
			}
			probe := &http.Request{Method: m, URL: &url.URL{Path: path}, Host: "pome"}
			if _, p := mux.Handler(probe); strings.IndexByte(p, ' ') > 0 {
				pattern := m + " " + path
				mux.Handle(pattern, refuse)
				patterns = append(patterns, pattern)
			}
		}
	}
	return patterns
}

// allowedMethods lists the methods for which mux has a route for r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	if allow, ok := literalPaths[r.URL.Path]; ok {
		return allow
	}
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
