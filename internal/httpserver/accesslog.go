package httpserver

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/pomehq/pome"
)

// accessLog writes one line per request: request id, method, path, route,
// status, latency and bytes. Never the query string, headers, cookies or
// body, where keys, passwords and tokens travel. A path that matched no
// route, or a route with a wildcard ({id}), is masked where it looks like a
// key: a key pasted in place of an id must not reach the log.
func accessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := recorderOf(w)
			next.ServeHTTP(rec, r)
			if !log.Enabled(r.Context(), slog.LevelInfo) {
				return
			}
			path := r.URL.Path
			// A pattern ending in "/" (the fallback, a gateway prefix)
			// takes any path below it.
			if r.Pattern == "" || strings.HasSuffix(r.Pattern, "/") || strings.IndexByte(r.Pattern, '{') >= 0 {
				path = pome.KeyPattern.ReplaceAllString(path, "[REDACTED]")
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", requestIDOf(rec)),
				slog.String("method", r.Method),
				slog.String("path", path),
				slog.String("route", r.Pattern),
				slog.Int("status", rec.statusOrOK()),
				slog.Duration("latency", rec.since()),
				slog.Int64("bytes", rec.bytes))
		})
	}
}
