package httpserver_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

func credentials(email, password string) string {
	return `{"email":"` + email + `","password":"` + password + `"}`
}

// checkSessionCookie checks the attributes docs/api.md gives the session cookie.
func checkSessionCookie(t *testing.T, r *pometest.Response, name string, secure bool) {
	t.Helper()
	cookies := (&http.Response{Header: r.Header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Set-Cookie = %q, want one cookie", r.Header.Values("Set-Cookie"))
	}
	c := cookies[0]
	if c.Name != name || c.Value == "" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
		c.MaxAge != 30*24*60*60 || c.Secure != secure || c.Domain != "" {
		t.Errorf("Set-Cookie = %q, want %s=<token>; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure=%v", c.Raw, name, secure)
	}
}

// Signup, login, logout and the session view (docs/api.md).
func TestAuth(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	const pw = pometest.Password
	alice := s.Client()
	var aliceToken string

	runScenarios(t, s, []scenario{
		{name: "signup", client: alice, method: "POST", path: "/api/auth/signup", body: credentials("Alice@Example.com", pw), status: 201, golden: "signup",
			check: func(t *testing.T, r *pometest.Response) {
				checkSessionCookie(t, r, "pome_session", false)
				aliceToken = sessionToken(t, r)
			}},
		{name: "session", client: alice, method: "GET", path: "/api/session", status: 200, golden: "signup"},
		{name: "signup with team name", method: "POST", path: "/api/auth/signup", body: `{"email":"carol@example.com","password":"` + pw + `","team_name":"Acme Corp"}`, status: 201, golden: "signup_team_name"},
		{name: "signup same email other case", method: "POST", path: "/api/auth/signup", body: credentials("ALICE@example.COM", pw), status: 409, typ: "invalid_request_error", code: "email_taken"},
		{name: "signup short password", method: "POST", path: "/api/auth/signup", body: credentials("dave@example.com", "123456789"), status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "signup bad email", method: "POST", path: "/api/auth/signup", body: credentials("not-an-email", pw), status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "signup missing email", method: "POST", path: "/api/auth/signup", body: `{"password":"` + pw + `"}`, status: 400, typ: "invalid_request_error", code: "missing_required_parameter", message: "Missing required parameter: 'email'"},
		{name: "signup missing password", method: "POST", path: "/api/auth/signup", body: `{"email":"dave@example.com"}`, status: 400, typ: "invalid_request_error", code: "missing_required_parameter", message: "Missing required parameter: 'password'"},
		{name: "signup unknown field", method: "POST", path: "/api/auth/signup", body: `{"email":"dave@example.com","password":"` + pw + `","admin":true}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "signup malformed", method: "POST", path: "/api/auth/signup", body: `{"email":`, status: 400, typ: "invalid_request_error", code: "invalid_json"},
		{name: "signup form encoded", method: "POST", path: "/api/auth/signup", header: hdr("Content-Type", "application/x-www-form-urlencoded"), body: "email=a@b.c", status: 415, typ: "invalid_request_error", code: "unsupported_media_type"},

		{name: "login", method: "POST", path: "/api/auth/login", body: credentials("alice@example.com", pw), status: 200, golden: "signup",
			check: func(t *testing.T, r *pometest.Response) {
				checkSessionCookie(t, r, "pome_session", false)
				if tok := sessionToken(t, r); tok == aliceToken {
					t.Errorf("login session token = signup's, want a new one")
				}
			}},
		{name: "login email any case", method: "POST", path: "/api/auth/login", body: credentials("ALICE@example.com", pw), status: 200},
		{name: "login missing password", method: "POST", path: "/api/auth/login", body: `{"email":"alice@example.com"}`, status: 400, typ: "invalid_request_error", code: "missing_required_parameter"},
		{name: "session without cookie", method: "GET", path: "/api/session", status: 401, typ: "authentication_error", code: "unauthorized", message: "Authentication required"},

		{name: "logout", client: alice, method: "POST", path: "/api/auth/logout", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if got, want := string(bytes.TrimSpace(r.Body)), `{"success":true}`; got != want {
					t.Errorf("POST /api/auth/logout body = %s, want %s", got, want)
				}
				cookies := (&http.Response{Header: r.Header}).Cookies()
				if len(cookies) != 1 || cookies[0].Name != "pome_session" || cookies[0].MaxAge >= 0 || cookies[0].Value != "" {
					t.Errorf("POST /api/auth/logout Set-Cookie = %q, want pome_session expired", r.Header.Values("Set-Cookie"))
				}
			}},
		{name: "session after logout", client: alice, method: "GET", path: "/api/session", status: 401, typ: "authentication_error", code: "unauthorized"},
		{name: "logout without session", method: "POST", path: "/api/auth/logout", status: 200},
	})

	// The jar dropped the expired cookie: the old token itself must be dead
	// on the server too.
	runScenarios(t, s, []scenario{
		{name: "old token after logout", method: "GET", path: "/api/session", header: hdr("Cookie", "pome_session="+aliceToken), status: 401, typ: "authentication_error", code: "unauthorized"},
	})
}

// Login answers an unknown email exactly as a wrong password: nothing tells
// whether an account exists.
func TestLoginFailuresAlike(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	s.Signup(t, "alice@example.com")
	fail := func(body string) apiError {
		sc := scenario{method: "POST", path: "/api/auth/login", body: body, status: 401, typ: "authentication_error", code: "invalid_credentials", message: "Invalid email or password"}
		return checkErrorBody(t, "POST /api/auth/login", sc.run(t, s))
	}
	var wrong, unknown apiError
	t.Run("wrong password", func(t *testing.T) { wrong = fail(credentials("alice@example.com", "wrong password!")) })
	t.Run("unknown email", func(t *testing.T) { unknown = fail(credentials("nobody@example.com", pometest.Password)) })
	wrong.RequestID, unknown.RequestID = "", ""
	if wrong != unknown {
		t.Errorf("login errors differ: wrong password %+v, unknown email %+v", wrong, unknown)
	}
}

// With closed signup, nobody signs up; existing users still log in.
func TestSignupClosed(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithSignupClosed())
	if _, err := s.Accounts.CreateUser(t.Context(), "op@example.com", pometest.Password, ""); err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	runScenarios(t, s, []scenario{
		{name: "signup", method: "POST", path: "/api/auth/signup", body: credentials("eve@example.com", pometest.Password), status: 403, typ: "permission_error", code: "signup_closed"},
		{name: "login", method: "POST", path: "/api/auth/login", body: credentials("op@example.com", pometest.Password), status: 200},
	})
}

// Over HTTPS the cookie is __Host-pome_session and Secure.
func TestSecureCookies(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithSecureCookies())
	var token string
	runScenarios(t, s, []scenario{
		{name: "signup", method: "POST", path: "/api/auth/signup", body: credentials("alice@example.com", pometest.Password), status: 201,
			check: func(t *testing.T, r *pometest.Response) {
				checkSessionCookie(t, r, "__Host-pome_session", true)
				token = sessionToken(t, r)
			}},
	})
	runScenarios(t, s, []scenario{
		{name: "session by secure cookie", method: "GET", path: "/api/session", header: hdr("Cookie", "__Host-pome_session="+token), status: 200},
		{name: "plain cookie name ignored", method: "GET", path: "/api/session", header: hdr("Cookie", "pome_session="+token), status: 401, typ: "authentication_error", code: "unauthorized"},
	})
}

// Sessions live in the database: a new handler on the same file (a restart)
// signs nobody out, and keys keep working.
func TestSessionSurvivesRestart(t *testing.T) {
	t.Parallel()
	first := pometest.NewServer(t)
	c := first.Signup(t, "alice@example.com")
	key := first.CreateKey(t, c, "ci")
	u, _ := url.Parse(first.URL)
	var token string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "pome_session" {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie after signup")
	}
	first.HTTP.Close()

	second := pometest.NewServer(t, pometest.WithDB(first.DB), pometest.WithClock(first.Clock))
	runScenarios(t, second, []scenario{
		{name: "session", method: "GET", path: "/api/session", header: hdr("Cookie", "pome_session="+token), status: 200, golden: "signup"},
		{name: "keys", method: "GET", path: "/api/keys", header: hdr("Cookie", "pome_session="+token), status: 200},
		{name: "api key", method: "GET", path: "/v1/me", header: apiKey(key), status: 200},
	})
}
