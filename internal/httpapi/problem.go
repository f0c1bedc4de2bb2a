package httpapi

import (
	"net/http"

	"github.com/pomehq/pome"
)

// StatusOf maps an error kind to its HTTP status and SPEC §8 type. It is the
// only place that knows them.
func StatusOf(k pome.Kind) (status int, typ string) {
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

// Envelope is the SPEC §8 error body.
type Envelope struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the inside of an Envelope.
type ErrorBody struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// Describe turns err into its status and the body the caller may see.
// Anything that is not a *pome.Error is a 500 that shows nothing of its
// cause; an Unavailable error shows the one generic message.
func Describe(err error, requestID string) (status int, body ErrorBody) {
	e := pome.AsError(err)
	status, typ := StatusOf(e.Kind)
	body = ErrorBody{Message: e.Message, Type: typ, Code: e.Code, RequestID: requestID}
	switch e.Kind {
	case pome.Internal:
		body.Message, body.Code = "Internal error", "internal_error"
	case pome.Unavailable:
		if body.Message == "" {
			body.Message, body.Code = pome.ErrUnavailable.Message, pome.ErrUnavailable.Code
		}
	}
	return status, body
}

// SetAuthenticate adds the challenge every 401 carries (SPEC §3).
func SetAuthenticate(h http.Header, status int) {
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="pome"`)
	}
}
