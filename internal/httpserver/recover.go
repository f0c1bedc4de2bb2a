package httpserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// recoverPanics turns a panicking handler into a 500 JSON answer, logged
// with its stack; the caller sees no internals. If the response had already
// started, or the handler aborted it (http.ErrAbortHandler: the gateway's
// cut streams), the connection is aborted instead, so that a truncated body
// is never taken for a whole one: by abortAfterLog, once the metrics and
// the access log have recorded the request.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := recorderOf(w)
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					rec.abort = true
					return
				}
				log.LogAttrs(r.Context(), slog.LevelError, "panic",
					slog.String("request_id", requestIDOf(rec)),
					slog.String("panic", fmt.Sprint(p)),
					slog.String("stack", string(debug.Stack())))
				if rec.written() {
					rec.abort = true
					return
				}
				writeError(rec, r, log, fmt.Errorf("httpserver: panic: %v", p))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// abortAfterLog drops the connection of a request recoverPanics marked
// aborted, after the middleware inside it has recorded the request.
func abortAfterLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorderOf(w)
		next.ServeHTTP(rec, r)
		if rec.abort {
			panic(http.ErrAbortHandler)
		}
	})
}
