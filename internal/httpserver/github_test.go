package httpserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

// githubAlert posts body to the secret scanning endpoint with the headers
// GitHub sends: the key identifier id and the signature sig.
func githubAlert(t *testing.T, s *pometest.Server, id, sig, body string) *pometest.Response {
	t.Helper()
	h := http.Header{"User-Agent": {"GitHub-Hookshot/test"}}
	if id != "" {
		h.Set("Github-Public-Key-Identifier", id)
	}
	if sig != "" {
		h.Set("Github-Public-Key-Signature", sig)
	}
	return s.Do(t, nil, "POST", "/v1/secret-scanning/github", h, body)
}

// mustAlertBody is the JSON of an alert reporting tokens, found in a commit
// at url.
func mustAlertBody(t *testing.T, url string, tokens ...string) string {
	t.Helper()
	type token struct {
		Token  string `json:"token"`
		Type   string `json:"type"`
		URL    string `json:"url"`
		Source string `json:"source"`
	}
	alert := make([]token, len(tokens))
	for i, tok := range tokens {
		alert[i] = token{tok, "pome_api_key", url, "commit"}
	}
	b, err := json.Marshal(alert)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leakURL is where the alerts found their tokens.
const leakURL = "https://github.com/o/r/blob/abc/.env"

// labels decodes GitHub's feedback into token → label.
func labels(t *testing.T, r *pometest.Response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("alert = %d %s, want 200", r.Status, r.Body)
	}
	var fb []struct{ TokenRaw, TokenType, Label string }
	r.DecodeJSON(t, &fb)
	out := make([]string, len(fb))
	for i, f := range fb {
		out[i] = f.Label
	}
	return out
}

// A signed alert revokes the active keys it reports, records where GitHub
// found each, and labels every token: true_positive for a key of the
// deployment whatever its status (a canary too, left armed),
// false_positive for anything else.
func TestGitHubAlertRevokes(t *testing.T) {
	t.Parallel()
	gh := pometest.NewGitHubKeys(t)
	s := pometest.NewServer(t, pometest.WithGitHubKeys(gh.URL))
	alice := s.Signup(t, "alice@example.com")
	active := s.CreateKeyWith(t, alice, `{"name":"pushed"}`)
	revoked := s.CreateKeyWith(t, alice, `{"name":"revoked"}`)
	if r := s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	canary := s.CreateKeyWith(t, alice, `{"name":"decoy","canary":true}`)
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	body := mustAlertBody(t, leakURL, active.Key, revoked.Key, unknown, "pme_notakey", canary.Key, active.Key)
	got := labels(t, githubAlert(t, s, "k1", gh.Sign(t, "k1", []byte(body)), body))
	want := []string{"true_positive", "true_positive", "false_positive", "false_positive", "true_positive", "true_positive"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("labels = %v, want %v", got, want)
	}
	if st, code := meStatus(t, s, active.Key); code != pome.ErrKeyRevoked.Code {
		t.Errorf("GET /v1/me with the reported key = %d %s, want 403 key_revoked", st, code)
	}
	leaked := eventsOf(t, s, active.TeamID, pome.AuditKeyLeaked)
	if len(leaked) != 1 || leaked[0].TargetID != active.ID || leaked[0].ActorType != pome.ActorAnonymous ||
		leaked[0].Details["source"] != "github:commit" || leaked[0].Details["url"] != leakURL {
		t.Errorf("key.leaked events = %+v, want one on %s with GitHub's source and url", leaked, active.ID)
	}
	if r := s.Do(t, alice, "GET", "/api/keys/"+canary.ID, nil, ""); !strings.Contains(string(r.Body), `"status":"active"`) {
		t.Errorf("reported canary = %s, want still active", r.Body)
	}
}

// Nothing is revoked by an alert that is unsigned, badly signed, signed by
// a key GitHub does not publish, not JSON, too large, or that comes while
// GitHub's keys cannot be fetched; each gets its JSON error.
func TestGitHubAlertRefusals(t *testing.T) {
	t.Parallel()
	gh := pometest.NewGitHubKeys(t)
	s := pometest.NewServer(t, pometest.WithGitHubKeys(gh.URL))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "pushed")
	body := mustAlertBody(t, leakURL, key)
	big := mustAlertBody(t, leakURL, strings.Repeat("x", 1<<20))
	for _, c := range []struct {
		name, id, sig, body string
		status              int
		code                string
	}{
		{"unsigned", "", "", body, http.StatusUnauthorized, "missing_signature"},
		{"no identifier", "", gh.Sign(t, "k1", []byte(body)), body, http.StatusUnauthorized, "missing_signature"},
		{"signature of another body", "k1", gh.Sign(t, "k1", []byte("[]")), body, http.StatusUnauthorized, "invalid_signature"},
		{"signature not base64", "k1", "not base64!", body, http.StatusUnauthorized, "invalid_signature"},
		{"unknown identifier", "k2", gh.Sign(t, "k1", []byte(body)), body, http.StatusUnauthorized, "invalid_signature"},
		{"signed, not JSON", "k1", gh.Sign(t, "k1", []byte(`[{"token":`)), `[{"token":`, http.StatusBadRequest, "invalid_json"},
		{"signed, not an array", "k1", gh.Sign(t, "k1", []byte(`{"token":"x"}`)), `{"token":"x"}`, http.StatusBadRequest, "invalid_json"},
		{"over 1 MiB", "k1", gh.Sign(t, "k1", []byte(big)), big, http.StatusRequestEntityTooLarge, "body_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := githubAlert(t, s, c.id, c.sig, c.body)
			var env struct{ Error struct{ Code string } }
			r.DecodeJSON(t, &env)
			if r.Status != c.status || env.Error.Code != c.code {
				t.Errorf("alert = %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
		})
	}
	if st, code := meStatus(t, s, key); st != http.StatusOK {
		t.Errorf("GET /v1/me after refused alerts = %d %s, want 200: nothing revoked", st, code)
	}
}

// While GitHub's keys cannot be fetched, alerts fail closed: 503, nothing
// revoked, even one signed by a key GitHub does publish.
func TestGitHubAlertKeyServerDown(t *testing.T) {
	t.Parallel()
	gh := pometest.NewGitHubKeys(t)
	gh.SetDown(true)
	s := pometest.NewServer(t, pometest.WithGitHubKeys(gh.URL))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "pushed")
	body := mustAlertBody(t, leakURL, key)
	r := githubAlert(t, s, "k1", gh.Sign(t, "k1", []byte(body)), body)
	var env struct{ Error struct{ Code string } }
	r.DecodeJSON(t, &env)
	if r.Status != http.StatusServiceUnavailable || env.Error.Code != "service_unavailable" {
		t.Errorf("alert = %d %s, want 503 service_unavailable", r.Status, r.Body)
	}
	if st, code := meStatus(t, s, key); st != http.StatusOK {
		t.Errorf("GET /v1/me = %d %s, want 200: nothing revoked", st, code)
	}
}

// An alert of 10,000 tokens is answered in bounded time: tokens that are
// not well-formed cost no lookup, well-formed ones one indexed read each.
func TestGitHubAlertTenThousandTokens(t *testing.T) {
	t.Parallel()
	gh := pometest.NewGitHubKeys(t)
	s := pometest.NewServer(t, pometest.WithGitHubKeys(gh.URL))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "pushed")
	tokens := make([]string, 0, 10_000)
	for i := range 10_000 - 1 {
		if i%2 == 0 {
			tok, err := pome.DefaultKeyFormat.Generate()
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tok)
		} else {
			tokens = append(tokens, key[:len(key)-1]+"!") // forged: no checksum
		}
	}
	tokens = append(tokens, key)
	body := mustAlertBody(t, "", tokens...) // 10,000 tokens in under 1 MiB

	start := time.Now()
	got := labels(t, githubAlert(t, s, "k1", gh.Sign(t, "k1", []byte(body)), body))
	if d := time.Since(start); d > time.Minute {
		t.Errorf("10,000 tokens took %v, want under a minute (race detector included)", d)
	}
	if len(got) != len(tokens) || got[len(got)-1] != "true_positive" || got[0] != "false_positive" {
		t.Fatalf("labels: %d, last %q; want %d, the key's true_positive", len(got), got[len(got)-1], len(tokens))
	}
	if st, code := meStatus(t, s, key); code != pome.ErrKeyRevoked.Code {
		t.Errorf("GET /v1/me with the reported key = %d %s, want 403 key_revoked", st, code)
	}
}
