package httpserver_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A canary key, password and session token pass through every endpoint and
// error path (the audit log included). None of them appears in any log line
// (the raw handler, before any redaction) or in any response, except the key
// in the one response that created it and each token in the Set-Cookie that
// issued it.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := pometest.NewServer(t, pometest.WithLogger(log), pometest.WithAccessLog(&logs))
	const email, password = "canary@example.com", "canary-Pa55word-7f3e9c1b"
	login := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)

	browser := s.Client()
	signup := s.Do(t, browser, "POST", "/api/auth/signup", nil, login)
	if signup.Status != 201 {
		t.Fatalf("signup status = %d", signup.Status)
	}
	created := s.Do(t, browser, "POST", "/api/keys", nil, `{"name":"canary"}`)
	if created.Status != 201 {
		t.Fatalf("create status = %d", created.Status)
	}
	key := decode[pometest.CreatedKey](t, created).Key
	other := s.Client()
	second := s.Do(t, other, "POST", "/api/auth/login", nil, login)
	if second.Status != 200 {
		t.Fatalf("login status = %d", second.Status)
	}
	tokens := []string{sessionToken(t, signup), sessionToken(t, second)}
	token := tokens[0]
	keyID := decode[pometest.CreatedKey](t, created).ID

	// The secrets, and the part of the key that matters without its
	// prefix and checksum (a log of a near-miss would show it).
	reset, _, err := s.Accounts.IssueReset(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"key": key, "key body": key[4:34], "password": password, "token": tokens[0], "second token": tokens[1],
		"reset token": reset}

	var seen []*pometest.Response
	do := func(c *http.Client, method, path string, h http.Header, body string) {
		seen = append(seen, s.Do(t, c, method, path, h, body))
	}
	q := "?api_key=" + key + "&password=" + url.QueryEscape(password) + "&session=" + token
	paths := []string{
		"/v1/me", "/v1/me/" + key, "/" + key, "/api/session", "/api/keys", "/api/keys/" + keyID, "/api/keys/" + key,
		"/api/keys/" + key + "/usage", "/api/keys/" + keyID + "/usage", "/api/keys/" + keyID + "/roll", "/api/keys/" + key + "/roll",
		"/api/team/members", "/api/team/members/" + key, "/api/audit", "/api/auth/login", "/api/auth/signup",
		"/healthz", "/readyz", "/metrics",
		"/api/auth/password", "/api/auth/sessions", "/api/auth/sessions/" + token, "/api/auth/password-reset", "/reset/" + token,
	}
	creds := []http.Header{
		apiKey(key),
		hdr("Authorization", "Bearer "+key),
		hdr("X-API-KEY", key, "Authorization", "Bearer "+wrongChecksum(key)),
		apiKey(key + "x"),
		apiKey(wrongChecksum(key)),
		hdr("Authorization", "Basic "+key),
		hdr("Cookie", "pome_session="+token+"; api_key="+key),
		hdr("Cookie", "pome_session="+token+"x"),
		hdr("X-Request-Id", key, "Cookie", "pome_session="+token),
		hdr("Sec-Fetch-Site", "cross-site", "Cookie", "pome_session="+token, "X-API-KEY", key),
	}
	bodies := []string{
		"",
		login,
		fmt.Sprintf(`{"email":%q,"password":%q,"api_key":%q}`, email, password, key),
		fmt.Sprintf(`{%q:%q}`, key, token),
		fmt.Sprintf(`{"name":%q,"email":%q}`, password[:3], key),
		fmt.Sprintf(`{"password":%q`, password),
		`{"expire_old_in_hours":"` + key + `"}`,
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "POST", "DELETE", "PATCH"} {
			for i, h := range creds {
				body := bodies[i%len(bodies)]
				if m == "GET" {
					body = ""
				}
				do(nil, m, p+q, h, body)
			}
		}
	}
	// Error paths of the auth endpoints.
	do(nil, "POST", "/api/auth/signup", nil, login)                                                                   // email taken
	do(nil, "POST", "/api/auth/signup", nil, fmt.Sprintf(`{"email":%q,"password":%q}`, "short@example.com", "short")) // bad password
	do(nil, "POST", "/api/auth/login", nil, fmt.Sprintf(`{"email":%q,"password":%q}`, "nobody@example.com", password))
	for range 12 { // into the login limit
		do(nil, "POST", "/api/auth/login", nil, fmt.Sprintf(`{"email":%q,"password":%q}`, email, password+"x"))
	}
	do(nil, "POST", "/api/auth/login", nil, login) // refused: 429
	// The account's routes: a wrong current password, a reset link's
	// refusals. The reset page's own answer holds its token (its form
	// posts it): only the log is checked for it.
	do(browser, "POST", "/api/auth/password", nil, fmt.Sprintf(`{"current_password":%q,"new_password":%q}`, password+"x", password+"y"))
	do(nil, "POST", "/api/auth/password-reset", nil, fmt.Sprintf(`{"token":%q,"new_password":"short"}`, reset))
	do(nil, "POST", "/api/auth/password-reset", nil, fmt.Sprintf(`{"token":%q,"new_password":%q}`, token, password))
	if r := s.Do(t, nil, "GET", "/reset/"+reset, hdr("Accept", "text/html"), ""); r.Status != 200 {
		t.Fatalf("GET /reset/<token> = %d, want the form", r.Status)
	}
	do(browser, "GET", "/api/audit", nil, "")
	do(browser, "GET", "/api/keys?status=all", nil, "")
	do(browser, "DELETE", "/api/keys/"+keyID, nil, "")
	do(nil, "GET", "/v1/me", apiKey(key), "") // revoked
	do(browser, "GET", "/api/audit", nil, "")
	// And with the database gone: the error log shows its causes.
	s.DB.Close()
	do(nil, "GET", "/v1/me", apiKey(key), "")
	do(nil, "GET", "/v1/me", apiKey(mustForge(t)), "")
	do(browser, "POST", "/api/keys", nil, `{"name":"x"}`)
	do(nil, "POST", "/api/auth/login", nil, login)
	do(browser, "POST", "/api/auth/logout", nil, "")
	do(nil, "GET", "/readyz", nil, "")

	check := func(what, text string, allowed ...string) {
		t.Helper()
		for name, secret := range secrets {
			if !strings.Contains(text, secret) {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || a == name
			}
			if !ok {
				t.Errorf("%s contains the %s", what, name)
			}
		}
	}
	responseText := func(r *pometest.Response, skip string) string {
		var b strings.Builder
		for k, vs := range r.Header {
			if k != skip {
				fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(vs, ", "))
			}
		}
		b.Write(r.Body)
		return b.String()
	}
	check("the create response", responseText(created, ""), "key", "key body")
	check("the signup response (but its Set-Cookie)", responseText(signup, "Set-Cookie"))
	check("the login response (but its Set-Cookie)", responseText(second, "Set-Cookie"))
	for _, r := range seen {
		check(fmt.Sprintf("a %d response", r.Status), responseText(r, ""))
	}
	statuses := map[int]bool{}
	for _, r := range seen {
		statuses[r.Status] = true
	}
	for _, want := range []int{200, 400, 401, 403, 404, 405, 409, 413, 415, 429, 503} {
		if !statuses[want] && want != 413 {
			t.Errorf("no request answered %d: the test misses an error path", want)
		}
	}
	out := logs.String()
	if !strings.Contains(out, `"status":503`) || strings.Count(out, "\n") < len(seen) {
		t.Fatalf("the log has %d lines for %d requests: is it captured?", strings.Count(out, "\n"), len(seen))
	}
	for i, line := range strings.Split(out, "\n") {
		check(fmt.Sprintf("log line %d", i+1), line)
	}
}
