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
			h := log.Handler()
			if !h.Enabled(r.Context(), slog.LevelInfo) {
				return
			}
			path := r.URL.Path
			// A pattern ending in "/" (the fallback, a gateway prefix)
			// takes any path below it.
			if r.Pattern == "" || strings.HasSuffix(r.Pattern, "/") || strings.IndexByte(r.Pattern, '{') >= 0 {
				path = pome.KeyPattern.ReplaceAllString(path, "[REDACTED]")
			}
			// The record goes to the handler directly, not through
			// Logger.LogAttrs: that would check Enabled a second time and
			// walk the stack (runtime.Callers, ~10% of the line's cost) for
			// a source location the handlers here never print (no
			// AddSource) and that would only name this file anyway.
			rd := slog.NewRecord(rec.end(), slog.LevelInfo, "request", 0)
			rd.AddAttrs(
				slog.String("request_id", requestIDOf(rec)),
				slog.String("method", r.Method),
				slog.String("path", path),
				slog.String("route", r.Pattern),
				slog.Int("status", rec.statusOrOK()),
				slog.Duration("latency", rec.elapsed),
				slog.Int64("bytes", rec.bytes))
			h.Handle(r.Context(), rd) // as Logger.LogAttrs: a failed write is not the request's
		})
	}
}
