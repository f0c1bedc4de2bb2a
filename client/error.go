package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pomehq/pome"
)

// Error is an error answered by a Pome server: the SPEC §8 envelope, with
// the HTTP status and the request id to quote to the operator.
//
// It wraps the *pome.Error it carries, so both of these hold for a revoked
// key:
//
//	errors.Is(err, pome.ErrKeyRevoked)  // compares the code
//	var e *client.Error; errors.As(err, &e) && e.RequestID != ""
type Error struct {
	// Err has the Kind (from the status), the Code and the Message of the
	// answer. Its Err (the operator's cause) is always nil: servers never
	// send it.
	Err       *pome.Error
	Status    int    // HTTP status, e.g. 403
	Type      string // SPEC §8 type, e.g. "permission_error"
	RequestID string // e.g. "req_..."; the server logged the request under it
	// RetryAfter is how long to wait before retrying, from the Retry-After
	// header of a 429 (zero if absent).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (code %s, request_id %s)", e.Err.Message, e.Err.Code, e.RequestID)
}

// Unwrap returns the *pome.Error, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Kind is the kind of the error, as its HTTP status says.
func (e *Error) Kind() pome.Kind { return e.Err.Kind }

// Code is the SPEC code, e.g. "key_revoked".
func (e *Error) Code() string { return e.Err.Code }

// Message is the server's caller-safe message.
func (e *Error) Message() string { return e.Err.Message }

// kindOf maps an HTTP status back to the error kind that produced it (the
// inverse of the server's only mapping, internal/httpserver/error.go).
func kindOf(status int) pome.Kind {
	switch status {
	case http.StatusBadRequest:
		return pome.Invalid
	case http.StatusUnauthorized:
		return pome.Unauthenticated
	case http.StatusForbidden:
		return pome.Forbidden
	case http.StatusNotFound:
		return pome.NotFound
	case http.StatusMethodNotAllowed:
		return pome.MethodNotAllowed
	case http.StatusConflict:
		return pome.Conflict
	case http.StatusRequestEntityTooLarge:
		return pome.TooLarge
	case http.StatusUnsupportedMediaType:
		return pome.UnsupportedMediaType
	case http.StatusTooManyRequests:
		return pome.RateLimited
	case http.StatusServiceUnavailable:
		return pome.Unavailable
	}
	return pome.Internal
}

// decodeError reads a non-success answer: the SPEC §8 envelope as *Error,
// or anything else as ErrUnexpectedResponse.
func decodeError(resp *http.Response, raw []byte, call string) error {
	var env struct {
		Error *struct {
			Message   string `json:"message"`
			Type      string `json:"type"`
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if !isJSON(resp) || json.Unmarshal(raw, &env) != nil || env.Error == nil || env.Error.Code == "" {
		return fmt.Errorf("%s answered %s: %w (is the base URL a Pome server?)", call, resp.Status, ErrUnexpectedResponse)
	}
	b := env.Error
	e := &Error{
		Err:       &pome.Error{Kind: kindOf(resp.StatusCode), Code: b.Code, Message: b.Message},
		Status:    resp.StatusCode,
		Type:      b.Type,
		RequestID: b.RequestID,
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}
