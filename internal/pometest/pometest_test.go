package pometest_test

import (
	"net/http"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

// The harness serves the real handler: a signed-up user can create a key and
// call the public API with it.
func TestServerSmoke(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	c := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, c, "ci")
	r := s.Do(t, nil, "GET", "/v1/me", http.Header{"X-Api-Key": {key}}, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /v1/me status = %d, want %d; body %s", r.Status, http.StatusOK, r.Body)
	}
	t.Logf("%s", r.Body)
}

// The counting store counts each call by method and forgets on Reset.
func TestCountingStore(t *testing.T) {
	t.Parallel()
	s := pometest.NewStore(t)
	c := pometest.NewCountingStore(s)
	if err := c.Ping(t.Context()); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
	c.Ping(t.Context())
	if got := c.Count("Ping"); got != 2 {
		t.Errorf("Count(Ping) = %d, want 2", got)
	}
	if got := c.Total(); got != 2 {
		t.Errorf("Total() = %d, want 2", got)
	}
	c.Reset()
	if got := c.Total(); got != 0 {
		t.Errorf("Total() after Reset = %d, want 0", got)
	}
}
