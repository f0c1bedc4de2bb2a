package client

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// Error is an error answered by a Pome server: the error envelope, with
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
	Type      string // the error type, e.g. "permission_error"
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

// Code is the error's code, e.g. "key_revoked".
func (e *Error) Code() string { return e.Err.Code }

// Message is the server's caller-safe message.
func (e *Error) Message() string { return e.Err.Message }

// decodeError reads a non-success answer: the error envelope as *Error, or
// anything else as ErrUnexpectedResponse.
func decodeError(resp *http.Response, raw []byte, call string) error {
	e, b, ok := httpapi.DecodeError(resp.StatusCode, raw)
	if !isJSON(resp) || !ok {
		return fmt.Errorf("%s answered %s: %w (is the base URL a Pome server?)", call, resp.Status, ErrUnexpectedResponse)
	}
	ce := &Error{Err: e, Status: resp.StatusCode, Type: b.Type, RequestID: b.RequestID,
		RetryAfter: time.Duration(httpapi.RetryAfter(resp.Header)) * time.Second}
	if ce.RequestID == "" {
		ce.RequestID = resp.Header.Get("X-Request-Id")
	}
	return ce
}
