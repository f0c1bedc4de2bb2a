package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// Errors that only the HTTP layer raises.
var (
	errRouteNotFound = &pome.Error{Kind: pome.NotFound, Code: "route_not_found", Message: "No such route"}
	errCrossOrigin   = pome.ErrCrossOrigin
)

// writeError answers err as the SPEC §8 envelope. Anything that is not a
// *pome.Error is a 500 that shows nothing of its cause. The cause is logged
// for Internal and Unavailable only: the other kinds are the caller's doing.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, body := httpapi.Describe(err, requestIDOf(w))
	switch pome.AsError(err).Kind {
	case pome.Internal, pome.Unavailable:
		log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", body.RequestID),
			slog.String("code", body.Code),
			slog.Any("err", err))
	case pome.BadGateway, pome.GatewayTimeout:
		log.LogAttrs(r.Context(), slog.LevelWarn, "upstream failed",
			slog.String("request_id", body.RequestID),
			slog.String("code", body.Code),
			slog.Any("err", err))
	}
	httpapi.SetAuthenticate(w.Header(), status)
	writeJSON(w, status, httpapi.Envelope{Error: body})
}

// errorHandler answers every request with err.
func errorHandler(log *slog.Logger, err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, err)
	})
}
