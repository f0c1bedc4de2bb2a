package pome_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pomehq/pome"
)

func TestErrorIsComparesCode(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("apikey: verify: %w", pome.ErrKeyRevoked.WithCause(errors.New("disk")))
	if !errors.Is(wrapped, pome.ErrKeyRevoked) {
		t.Fatalf("errors.Is(%v, ErrKeyRevoked) = false, want true", wrapped)
	}
	if errors.Is(wrapped, pome.ErrKeyExpired) {
		t.Fatalf("errors.Is(%v, ErrKeyExpired) = true, want false", wrapped)
	}
}

// Anything that is not a *pome.Error reads as Internal with a message that
// shows no internals.
func TestAsErrorHidesInternals(t *testing.T) {
	t.Parallel()
	e := pome.AsError(errors.New("pq: password authentication failed for user postgres"))
	if e.Kind != pome.Internal || e.Message != "Internal error" {
		t.Fatalf("AsError(plain) = %+v, want Internal / \"Internal error\"", e)
	}
	if got := pome.AsError(fmt.Errorf("x: %w", pome.ErrKeyNotFound)); got.Code != "key_not_found" {
		t.Fatalf("AsError(wrapped ErrKeyNotFound).Code = %q, want key_not_found", got.Code)
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id     string
		prefix string
		n      int
	}{
		{pome.NewID("usr_"), "usr_", 20},
		{pome.NewID("tm_"), "tm_", 19},
		{pome.NewID("key_"), "key_", 20},
		{pome.NewRequestID(), "req_", 24},
		{pome.NewSessionToken(), "", 43},
	} {
		if len(tc.id) != tc.n || tc.id[:len(tc.prefix)] != tc.prefix {
			t.Errorf("id %q: want %d characters starting %q", tc.id, tc.n, tc.prefix)
		}
	}
}
