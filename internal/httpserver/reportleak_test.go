package httpserver_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// POST /v1/keys/report-leak revokes an active key for anyone who holds it,
// records who reported it, and answers every key alike: an active, a
// revoked, an unknown key and text that is no key all get the same 202.
func TestReportLeak(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	active := s.CreateKeyWith(t, alice, `{"name":"leaked"}`)
	revoked := s.CreateKeyWith(t, alice, `{"name":"revoked"}`)
	if r := s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	report := func(key string) *pometest.Response {
		return s.Do(t, nil, "POST", "/v1/keys/report-leak", http.Header{"User-Agent": {"finder/2"}}, `{"key":"`+key+`"}`)
	}
	var first []byte
	for _, key := range []string{active.Key, active.Key, revoked.Key, unknown, "pme_short", strings.Repeat("x", 1000)} {
		r := report(key)
		body := bytes.ReplaceAll(r.Body, []byte(r.Header.Get("X-Request-Id")), nil)
		if r.Status != http.StatusAccepted || !bytes.Equal(bytes.TrimSpace(body), []byte(`{"status":"received"}`)) {
			t.Errorf("report = %d %s, want 202 {\"status\":\"received\"}", r.Status, r.Body)
		}
		if first == nil {
			first = body
		} else if !bytes.Equal(body, first) {
			t.Errorf("report body = %s, want the first's %s", body, first)
		}
	}
	if st, code := meStatus(t, s, active.Key); code != pome.ErrKeyRevoked.Code {
		t.Errorf("GET /v1/me with the reported key = %d %s, want 403 key_revoked", st, code)
	}
	leaked := eventsOf(t, s, active.TeamID, pome.AuditKeyLeaked)
	if len(leaked) != 1 {
		t.Fatalf("key.leaked events = %d, want 1", len(leaked))
	}
	if ev := leaked[0]; ev.TargetID != active.ID || ev.ActorType != pome.ActorAnonymous || ev.IP != "127.0.0.1" ||
		ev.UserAgent != "finder/2" || ev.Details["source"] != "report" || ev.Details["url"] != "" {
		t.Errorf("key.leaked = %+v, want on %s by anonymous from 127.0.0.1 (finder/2), source report", ev, active.ID)
	}
}

// Bad requests get the JSON error of their kind; past its limit an address
// gets 429, whatever it reports. Each request spends the limit, but the one
// refused for its declared size before any handler runs.
func TestReportLeakRefusals(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) { r.ReportLeakIP.Limit = 5 }))
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"no key", "application/json", `{}`, http.StatusBadRequest, "missing_required_parameter"},
		{"malformed JSON", "application/json", `{"key":`, http.StatusBadRequest, "invalid_json"},
		{"key not a string", "application/json", `{"key":42}`, http.StatusBadRequest, "invalid_parameter"},
		{"unknown field", "application/json", `{"key":"pme_x","url":"u"}`, http.StatusBadRequest, "invalid_parameter"},
		{"not JSON", "text/plain", `pme_x`, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"too large", "application/json", `{"key":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, "body_too_large"},
		{"over the limit", "application/json", `{"key":"pme_x"}`, http.StatusTooManyRequests, "rate_limit_exceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, nil, "POST", "/v1/keys/report-leak", http.Header{"Content-Type": {c.contentType}}, c.body)
			var env struct{ Error struct{ Code string } }
			r.DecodeJSON(t, &env)
			if r.Status != c.status || env.Error.Code != c.code {
				t.Errorf("POST /v1/keys/report-leak = %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
		})
	}
}

// The SDK's ReportLeak reports with no credential.
func TestClientReportLeak(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "leaked")
	if err := client.New(s.URL).ReportLeak(t.Context(), key); err != nil {
		t.Fatalf("ReportLeak = %v, want nil", err)
	}
	if st, code := meStatus(t, s, key); code != pome.ErrKeyRevoked.Code {
		t.Errorf("GET /v1/me with the reported key = %d %s, want 403 key_revoked", st, code)
	}
}
