package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome"
)

// Errors that only the HTTP layer raises.
var (
	errRouteNotFound = &pome.Error{Kind: pome.NotFound, Code: "route_not_found", Message: "No such route"}
	errCrossOrigin   = pome.ErrCrossOrigin
)

// statusOf maps an error kind to its HTTP status and SPEC §8 type. It is the
// only place that knows them.
func statusOf(k pome.Kind) (status int, typ string) {
	switch k {
	case pome.Invalid:
		return http.StatusBadRequest, "invalid_request_error"
	case pome.MethodNotAllowed:
		return http.StatusMethodNotAllowed, "invalid_request_error"
	case pome.Conflict:
		return http.StatusConflict, "invalid_request_error"
	case pome.TooLarge:
		return http.StatusRequestEntityTooLarge, "invalid_request_error"
	case pome.UnsupportedMediaType:
		return http.StatusUnsupportedMediaType, "invalid_request_error"
	case pome.Unauthenticated:
		return http.StatusUnauthorized, "authentication_error"
	case pome.Forbidden:
		return http.StatusForbidden, "permission_error"
	case pome.NotFound:
		return http.StatusNotFound, "not_found_error"
	case pome.RateLimited:
		return http.StatusTooManyRequests, "rate_limit_error"
	case pome.Unavailable:
		return http.StatusServiceUnavailable, "unavailable_error"
	case pome.BadGateway:
		// Gateway mode's upstream failed: a server-side error the caller
		// cannot fix, so SPEC §8's api_error, with the code saying where.
		return http.StatusBadGateway, "api_error"
	case pome.GatewayTimeout:
		return http.StatusGatewayTimeout, "api_error"
	}
	return http.StatusInternalServerError, "api_error"
}

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// writeError answers err as the SPEC §8 envelope. Anything that is not a
// *pome.Error is a 500 that shows nothing of its cause. The cause is logged
// for Internal and Unavailable only: the other kinds are the caller's doing.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := pome.AsError(err)
	status, typ := statusOf(e.Kind)
	body := errorBody{Message: e.Message, Type: typ, Code: e.Code, RequestID: requestIDOf(w)}
	switch e.Kind {
	case pome.Internal:
		body.Message, body.Code = "Internal error", "internal_error"
		fallthrough
	case pome.Unavailable:
		if body.Message == "" {
			body.Message, body.Code = pome.ErrUnavailable.Message, pome.ErrUnavailable.Code
		}
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
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pome"`)
	}
	writeJSON(w, status, errorEnvelope{Error: body})
}

// errorHandler answers every request with err.
func errorHandler(log *slog.Logger, err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, err)
	})
}
