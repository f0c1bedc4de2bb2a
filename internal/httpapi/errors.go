package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/pomehq/pome"
)

// Errors that only the HTTP layer raises: no domain kind says their status,
// the status table does by their code.
var (
	ErrInvalidJSON          = &pome.Error{Kind: pome.Invalid, Code: "invalid_json", Message: "Request body is not valid JSON"}
	ErrBodyTooLarge         = &pome.Error{Kind: pome.Invalid, Code: "body_too_large", Message: "Request body is larger than 64 KiB"}
	ErrUnsupportedMediaType = &pome.Error{Kind: pome.Invalid, Code: "unsupported_media_type", Message: "Content-Type must be application/json"}
	ErrMethodNotAllowed     = &pome.Error{Kind: pome.Invalid, Code: "method_not_allowed", Message: "Method not allowed"}
	ErrRouteNotFound        = &pome.Error{Kind: pome.NotFound, Code: "route_not_found", Message: "No such route"}
	ErrCrossOrigin          = &pome.Error{Kind: pome.Forbidden, Code: "cross_origin_request", Message: "Cross-origin request refused"}
	// ErrConflictingFraming refuses a request with both Content-Length and
	// Transfer-Encoding (RFC 9112 §6.1): its framing is ambiguous.
	ErrConflictingFraming = &pome.Error{Kind: pome.Invalid, Code: "conflicting_framing", Message: "A request may not carry both Content-Length and Transfer-Encoding"}
	// Gateway mode: the upstream could not be reached or answered garbage,
	// or did not answer in time. A server-side error the caller cannot
	// fix, so the api_error type, with the code saying where.
	ErrUpstream        = &pome.Error{Kind: pome.Unavailable, Code: "upstream_error", Message: "The upstream service could not be reached"}
	ErrUpstreamTimeout = &pome.Error{Kind: pome.Unavailable, Code: "upstream_timeout", Message: "The upstream service did not answer in time"}
	// Gateway mode: a path an upstream could read as outside its prefix.
	ErrInvalidPath = &pome.Error{Kind: pome.Invalid, Code: "invalid_path", Message: "The path may not hold dot-segments, encoded slashes, backslashes or control characters"}
)

// status is one row of the status table: the errors of kind (and, when
// code is set, of that code only) are answered with status and typ.
type status struct {
	kind   pome.Kind
	code   string
	status int
	typ    string
}

// statuses is the one table of error kinds and HTTP statuses, read both
// ways: StatusOf from an error to its status, KindOf from a status back to
// the kind (the first row of the status). The rows with a code come first.
var statuses = []status{
	{pome.Invalid, ErrMethodNotAllowed.Code, http.StatusMethodNotAllowed, "invalid_request_error"},
	{pome.Invalid, ErrBodyTooLarge.Code, http.StatusRequestEntityTooLarge, "invalid_request_error"},
	{pome.Invalid, ErrUnsupportedMediaType.Code, http.StatusUnsupportedMediaType, "invalid_request_error"},
	{pome.Unavailable, ErrUpstream.Code, http.StatusBadGateway, "api_error"},
	{pome.Unavailable, ErrUpstreamTimeout.Code, http.StatusGatewayTimeout, "api_error"},
	{pome.Invalid, "", http.StatusBadRequest, "invalid_request_error"},
	{pome.Unauthenticated, "", http.StatusUnauthorized, "authentication_error"},
	{pome.Forbidden, "", http.StatusForbidden, "permission_error"},
	{pome.NotFound, "", http.StatusNotFound, "not_found_error"},
	{pome.Conflict, "", http.StatusConflict, "invalid_request_error"},
	{pome.RateLimited, "", http.StatusTooManyRequests, "rate_limit_error"},
	{pome.Unavailable, "", http.StatusServiceUnavailable, "unavailable_error"},
	{pome.Internal, "", http.StatusInternalServerError, "api_error"},
}

// StatusOf is the HTTP status and error type of e.
func StatusOf(e *pome.Error) (status int, typ string) {
	for _, s := range statuses {
		if s.kind == e.Kind && (s.code == "" || s.code == e.Code) {
			return s.status, s.typ
		}
	}
	return http.StatusInternalServerError, "api_error"
}

// KindOf is the kind of the errors answered with status: Internal for a
// status no row has.
func KindOf(status int) pome.Kind {
	for _, s := range statuses {
		if s.status == status {
			return s.kind
		}
	}
	return pome.Internal
}

// Envelope is the error body of every error answer.
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
// cause; an Unavailable error without a message shows the generic one.
func Describe(err error, requestID string) (status int, body ErrorBody) {
	e := pome.AsError(err)
	status, typ := StatusOf(e)
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

// JSONContentType is the Content-Type of every JSON answer, shared; never
// appended to.
var JSONContentType = []string{"application/json"}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error (an unsupported type) gets here.
		b = []byte(`{"error":{"message":"Internal error","type":"api_error","code":"internal_error","request_id":""}}`)
		status = http.StatusInternalServerError
	}
	w.Header()["Content-Type"] = JSONContentType
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// WriteError answers err as the error envelope with requestID, with the
// challenge every 401 carries (WWW-Authenticate: Bearer realm="pome"). It is
// the one writer of the envelope. It returns what it answered.
func WriteError(w http.ResponseWriter, err error, requestID string) (status int, body ErrorBody) {
	status, body = Describe(err, requestID)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pome"`)
	}
	WriteJSON(w, status, Envelope{Error: body})
	return status, body
}

// DecodeError reads the envelope of an error answer as a *pome.Error of the
// kind its status says, with its body; ok is false when raw is no envelope
// (not JSON, no error code): the answer did not come from Pome.
func DecodeError(status int, raw []byte) (e *pome.Error, body ErrorBody, ok bool) {
	var env struct {
		Error *ErrorBody `json:"error"`
	}
	if json.Unmarshal(raw, &env) != nil || env.Error == nil || env.Error.Code == "" {
		return nil, ErrorBody{}, false
	}
	b := *env.Error
	return &pome.Error{Kind: KindOf(status), Code: b.Code, Message: b.Message}, b, true
}

// RetryAfter reads a Retry-After header of whole seconds (0 if absent or
// not a number).
func RetryAfter(h http.Header) int {
	s, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || s < 0 {
		return 0
	}
	return s
}
