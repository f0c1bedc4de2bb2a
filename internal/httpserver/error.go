package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// writeError answers err as the error envelope (httpapi.WriteError).
// Anything that is not a *pome.Error is a 500 that shows nothing of its
// cause. The cause is logged for server-side failures only: the other
// kinds are the caller's doing, and an upstream's failure (gateway mode) is
// a warning.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, body := httpapi.WriteError(w, err, requestIDOf(w))
	switch {
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		log.LogAttrs(r.Context(), slog.LevelWarn, "upstream failed",
			slog.String("request_id", body.RequestID),
			slog.String("code", body.Code),
			slog.Any("err", err))
	case status >= 500:
		log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", body.RequestID),
			slog.String("code", body.Code),
			slog.Any("err", err))
	}
}

// errorHandler answers every request with err.
func errorHandler(log *slog.Logger, err *pome.Error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, err)
	})
}
