package httpapi_test

import (
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// Every kind, and each error of the HTTP layer, maps to its status and type;
// and the status maps back to the kind (the SDK's reading of an answer).
func TestStatusOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err    *pome.Error
		status int
		typ    string
	}{
		{pome.InvalidParameter("x"), 400, "invalid_request_error"},
		{pome.ErrInvalidAPIKey, 401, "authentication_error"},
		{pome.ErrKeyRevoked, 403, "permission_error"},
		{pome.ErrKeyNotFound, 404, "not_found_error"},
		{httpapi.ErrMethodNotAllowed, 405, "invalid_request_error"},
		{pome.ErrEmailTaken, 409, "invalid_request_error"},
		{httpapi.ErrBodyTooLarge, 413, "invalid_request_error"},
		{httpapi.ErrUnsupportedMediaType, 415, "invalid_request_error"},
		{pome.ErrRateLimited, 429, "rate_limit_error"},
		{pome.AsError(nil), 500, "api_error"},
		{httpapi.ErrUpstream, 502, "api_error"},
		{pome.ErrUnavailable, 503, "unavailable_error"},
		{httpapi.ErrUpstreamTimeout, 504, "api_error"},
	} {
		if status, typ := httpapi.StatusOf(c.err); status != c.status || typ != c.typ {
			t.Errorf("httpapi.StatusOf(%s) = %d, %s, want %d, %s", c.err.Code, status, typ, c.status, c.typ)
		}
		if k := httpapi.KindOf(c.status); k != c.err.Kind {
			t.Errorf("httpapi.KindOf(%d) = %d, want %d (the kind of %s)", c.status, k, c.err.Kind, c.err.Code)
		}
	}
}

// A viewer key may read, and reading is GET and HEAD only: every other
// method asks to write.
func TestActionOf(t *testing.T) {
	t.Parallel()
	for method, want := range map[string]pome.Action{
		"GET": pome.ActionAPIRead, "HEAD": pome.ActionAPIRead,
		"POST": pome.ActionAPIWrite, "PUT": pome.ActionAPIWrite, "PATCH": pome.ActionAPIWrite,
		"DELETE": pome.ActionAPIWrite, "OPTIONS": pome.ActionAPIWrite,
	} {
		if got := httpapi.ActionOf(method); got != want {
			t.Errorf("ActionOf(%s) = %d, want %d", method, got, want)
		}
	}
}
