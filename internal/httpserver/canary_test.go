package httpserver_test

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/pomeauth/inprocess"
)

// A canary made through the session API is answered on GET /v1/me with the
// same status, headers and body as an unknown key (but for the request's
// id and the failure budget left), and its use is recorded in its team's
// audit log with the caller's address and user agent. The team's pages mark
// it.
func TestCanaryKey(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithFollower())
	alice := s.Signup(t, "alice@example.com")
	canary := s.CreateKeyWith(t, alice, `{"name":"decoy","canary":true}`)
	if !canary.Canary {
		t.Fatalf("POST /api/keys canary = false, want true")
	}
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	me := func(key string) *pometest.Response {
		return s.Do(t, nil, "GET", "/v1/me", http.Header{"X-Api-Key": {key}, "User-Agent": {"thief/1.0"}}, "")
	}
	// The unknown key first and last: each answer spends one unit of the
	// address's failure budget, which the headers count down.
	before, got, after := me(unknown), me(canary.Key), me(unknown)
	for _, want := range []*pometest.Response{before, after} {
		if got.Status != want.Status || got.Status != http.StatusUnauthorized {
			t.Errorf("canary status = %d, unknown key's %d; want both 401", got.Status, want.Status)
		}
		if g, w := slices.Sorted(maps.Keys(got.Header)), slices.Sorted(maps.Keys(want.Header)); !slices.Equal(g, w) {
			t.Errorf("canary headers = %v, unknown key's %v", g, w)
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Www-Authenticate", "X-Ratelimit-Limit"} {
			if got.Header.Get(h) != want.Header.Get(h) {
				t.Errorf("canary %s = %q, unknown key's %q", h, got.Header.Get(h), want.Header.Get(h))
			}
		}
		g := bytes.ReplaceAll(got.Body, []byte(got.Header.Get("X-Request-Id")), nil)
		w := bytes.ReplaceAll(want.Body, []byte(want.Header.Get("X-Request-Id")), nil)
		if !bytes.Equal(g, w) {
			t.Errorf("canary body = %s, unknown key's %s", got.Body, want.Body)
		}
	}
	// The dashboard marks it, in the keys table and on its page.
	for _, page := range []struct{ path, mark string }{{"/keys", "data-canary"}, {"/keys/" + canary.ID, `data-policy="canary"`}} {
		if r := s.Do(t, alice, "GET", page.path, nil, ""); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(page.mark)) {
			t.Errorf("GET %s = %d without %s", page.path, r.Status, page.mark)
		}
	}
	ev := waitForEvent(t, s, canary.TeamID, pome.AuditKeyCanaryUsed)
	if ev.TargetID != canary.ID || ev.ActorType != pome.ActorAnonymous || ev.IP != "127.0.0.1" ||
		ev.UserAgent != "thief/1.0" || ev.RequestID != got.Header.Get("X-Request-Id") {
		t.Errorf("key.canary_used = %+v, want on %s by anonymous from 127.0.0.1 (thief/1.0)", ev, canary.ID)
	}
}

// waitForEvent returns the newest audit event of action in team, waiting
// for a writer off the request path to append it (at most 10 s).
func waitForEvent(t *testing.T, s *pometest.Server, teamID, action string) pome.AuditEvent {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		if evs := eventsOf(t, s, teamID, action); len(evs) > 0 {
			return evs[0]
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no %s event in team %s after 10 s", action, teamID)
		}
	}
}

// Through the in-process Go middleware too, a canary's use is recorded
// with the client's address and user agent.
func TestCanaryKeyInProcess(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	canary := s.CreateKeyWith(t, alice, `{"name":"decoy","canary":true}`)
	auth, err := inprocess.New(t.Context(), inprocess.Config{DataDir: filepath.Dir(s.DB.Path())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { auth.Close() })
	app := httptest.NewServer(auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	t.Cleanup(app.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, app.URL+"/orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-KEY", canary.Key)
	req.Header.Set("User-Agent", "thief/2.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("canary through the middleware = %d, want 401", resp.StatusCode)
	}
	ev := waitForEvent(t, s, canary.TeamID, pome.AuditKeyCanaryUsed)
	if ev.TargetID != canary.ID || ev.IP != "127.0.0.1" || ev.UserAgent != "thief/2.0" {
		t.Errorf("key.canary_used = %+v, want on %s from 127.0.0.1 (thief/2.0)", ev, canary.ID)
	}
}

// eventsOf is the audit events of action in team, newest first.
func eventsOf(t *testing.T, s *pometest.Server, teamID, action string) []pome.AuditEvent {
	t.Helper()
	var evs []pome.AuditEvent
	for _, ev := range s.Audit(t, teamID) {
		if ev.Action == action {
			evs = append(evs, ev)
		}
	}
	return evs
}
