package httpserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/pometest"
)

const portalPublicURL = "https://keys.example.com"

// newPortalServer is a server with portal sessions, its clock, a
// portal:write token's header and a team made by the platform.
func newPortalServer(t *testing.T) (*pometest.Server, *pometest.Clock, http.Header, client.PlatformTeam) {
	t.Helper()
	clock := pometest.NewClock(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	s := pometest.NewServer(t, pometest.WithClock(clock), pometest.WithPortal(portalPublicURL, "https://app.example.com"))
	teams := bearer(mustServiceToken(t, s, "teams", "teams:write").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", teams, `{"name": "Acme"}`))
	return s, clock, bearer(mustServiceToken(t, s, "portal", "portal:write").Plaintext), team
}

// portalPath makes a portal session and returns its link's path on the
// server.
func portalPath(t *testing.T, s *pometest.Server, tok http.Header, body string) string {
	t.Helper()
	r := s.Do(t, nil, "POST", "/v1/portal/sessions", tok, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /v1/portal/sessions = %d %s, want 201", r.Status, r.Body)
	}
	ps := decode[client.PortalSession](t, r)
	path, ok := strings.CutPrefix(ps.URL, portalPublicURL)
	if !ok || !strings.HasPrefix(path, "/portal/") || len(path) != len("/portal/")+43 {
		t.Fatalf("portal session URL = %q, want %s/portal/<43 characters>", ps.URL, portalPublicURL)
	}
	return path
}

// Every refusal of POST /v1/portal/sessions is a clear error, never a 500.
func TestPortalSessionErrors(t *testing.T) {
	t.Parallel()
	s, _, tok, team := newPortalServer(t)
	noScope := bearer(mustServiceToken(t, s, "keys", "keys:read").Plaintext)
	ok := `{"team": "` + team.ID + `", "email": "dev@example.com"}`
	with := func(extra string) string { return strings.TrimSuffix(ok, "}") + ", " + extra + "}" }
	runScenarios(t, s, []scenario{
		{name: "no token", method: "POST", path: "/v1/portal/sessions", body: ok,
			status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "scope missing", method: "POST", path: "/v1/portal/sessions", header: noScope, body: ok,
			status: 403, typ: "permission_error", code: "insufficient_scope"},
		{name: "unknown team", method: "POST", path: "/v1/portal/sessions", header: tok, body: `{"team": "tm_0000000000000000", "email": "dev@example.com"}`,
			status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "no team", method: "POST", path: "/v1/portal/sessions", header: tok, body: `{"email": "dev@example.com"}`,
			status: 400, typ: "invalid_request_error", code: "missing_required_parameter"},
		{name: "no email", method: "POST", path: "/v1/portal/sessions", header: tok, body: `{"team": "` + team.ID + `"}`,
			status: 400, typ: "invalid_request_error", code: "missing_required_parameter"},
		{name: "bad role", method: "POST", path: "/v1/portal/sessions", header: tok, body: with(`"role": "root"`),
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "return_url off the allowlist", method: "POST", path: "/v1/portal/sessions", header: tok, body: with(`"return_url": "https://evil.example.com/"`),
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "return_url not http", method: "POST", path: "/v1/portal/sessions", header: tok, body: with(`"return_url": "javascript:alert(1)//app.example.com"`),
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "malformed body", method: "POST", path: "/v1/portal/sessions", header: tok, body: `{"team": `,
			status: 400, typ: "invalid_request_error", code: "invalid_json"},
		{name: "unknown field", method: "POST", path: "/v1/portal/sessions", header: tok, body: with(`"password": "x"`),
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "huge body", method: "POST", path: "/v1/portal/sessions", header: tok, body: with(`"return_url": "https://app.example.com/` + strings.Repeat("a", 1<<20) + `"`),
			status: 413, typ: "invalid_request_error", code: "body_too_large"},
		{name: "created", method: "POST", path: "/v1/portal/sessions", header: tok, body: with(`"return_url": "https://app.example.com/settings"`),
			status: 201, check: func(t *testing.T, r *pometest.Response) {
				ps := decode[client.PortalSession](t, r)
				if !strings.HasPrefix(ps.URL, portalPublicURL+"/portal/") || !ps.ExpiresAt.Equal(s.Now().Add(account.PortalLinkLifetime).Truncate(time.Millisecond)) {
					t.Errorf("POST /v1/portal/sessions = %+v, want a link under %s for 5 minutes", ps, portalPublicURL)
				}
			}},
	})
}

// Without --public-url there is no link to hand out: 409
// portal_not_configured.
func TestPortalSessionNotConfigured(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	tok := bearer(mustServiceToken(t, s, "all", "all").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", tok, `{"name": "Acme"}`))
	runScenarios(t, s, []scenario{
		{name: "no public url", method: "POST", path: "/v1/portal/sessions", header: tok, body: `{"team": "` + team.ID + `", "email": "dev@example.com"}`,
			status: 409, typ: "invalid_request_error", code: "portal_not_configured"},
	})
}

// A link signs the browser in once and sends it to the team's keys; used,
// expired or unknown, it is a 410 page that sends the user back to their
// platform. A password-less user it made cannot sign in with a password.
func TestPortalPage(t *testing.T) {
	t.Parallel()
	s, clock, tok, team := newPortalServer(t)
	path := portalPath(t, s, tok, `{"team": "`+team.ID+`", "email": "dev@example.com", "return_url": "https://app.example.com/settings"}`)
	browser := s.Client()
	r := getPage(t, s, browser, "GET", path, nil, "")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/keys?team="+team.Slug {
		t.Fatalf("GET %s = %d to %q, want 303 to /keys?team=%s", path, r.Status, r.Header.Get("Location"), team.Slug)
	}
	keys := getPage(t, s, browser, "GET", "/keys?team="+team.Slug, nil, "")
	if keys.Status != 200 || !strings.Contains(keys.Body, `href="https://app.example.com/settings"`) || !strings.Contains(keys.Body, "Back to app.example.com") {
		t.Errorf("GET /keys after the portal = %d, want 200 with the Back to app.example.com link", keys.Status)
	}
	accountPage := getPage(t, s, browser, "GET", "/account", nil, "")
	if !strings.Contains(accountPage.Body, "data-no-password") || strings.Contains(accountPage.Body, `id="current-password"`) {
		t.Errorf("GET /account of a password-less user shows the password form, want the no-password line")
	}
	pw := s.Do(t, browser, "POST", "/api/auth/password", hdr("Origin", s.URL), `{"current_password": "", "new_password": "a new password 1"}`)
	if pw.Status != 409 || !strings.Contains(string(pw.Body), "no_password") {
		t.Errorf("POST /api/auth/password without a password = %d %s, want 409 no_password", pw.Status, pw.Body)
	}
	for _, password := range []string{"", "correct horse battery"} {
		in := s.Do(t, nil, "POST", "/api/auth/login", hdr("Origin", s.URL), `{"email": "dev@example.com", "password": "`+password+`"}`)
		if in.Status != 401 || !strings.Contains(string(in.Body), "invalid_credentials") {
			t.Errorf("login of a password-less user with %q = %d %s, want 401 invalid_credentials", password, in.Status, in.Body)
		}
	}

	late := portalPath(t, s, tok, `{"team": "`+team.ID+`", "email": "dev@example.com"}`)
	clock.Advance(account.PortalLinkLifetime)
	for name, p := range map[string]string{"used": path, "expired": late, "unknown": "/portal/" + strings.Repeat("x", 43)} {
		r := getPage(t, s, s.Client(), "GET", p, nil, "")
		if r.Status != http.StatusGone || !strings.Contains(r.Body, "portal_link_invalid") || !strings.Contains(r.Body, "Go back to the site that sent you here") ||
			len(r.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("GET %s link = %d, want the 410 page without a cookie", name, r.Status)
		}
	}
}

// A portal link's token never reaches the access log, used or not.
func TestAccessLogMasksPortalToken(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := pometest.NewServer(t, pometest.WithAccessLog(logs), pometest.WithPortal(portalPublicURL))
	tok := bearer(mustServiceToken(t, s, "all", "all").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", tok, `{"name": "Acme"}`))
	path := portalPath(t, s, tok, `{"team": "`+team.ID+`", "email": "dev@example.com"}`)
	for range 2 { // signed in, then the 410 page
		getPage(t, s, nil, "GET", path, nil, "")
	}
	out := logs.String()
	if token := strings.TrimPrefix(path, "/portal/"); strings.Contains(out, token) {
		t.Errorf("access log contains the portal token:\n%s", out)
	}
	if !strings.Contains(out, `"route":"GET /portal/{token}"`) {
		t.Errorf("access log lacks the portal route:\n%s", out)
	}
}
