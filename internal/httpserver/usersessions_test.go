package httpserver_test

import (
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

const newPassword = "a whole new passphrase"

func passwordChange(current, next string) string {
	return `{"current_password":"` + current + `","new_password":"` + next + `"}`
}

func passwordReset(token, next string) string {
	return `{"token":"` + token + `","new_password":"` + next + `"}`
}

// signedIn is a scenario that checks whether c is still signed in.
func signedIn(name string, c *http.Client, yes bool) scenario {
	if yes {
		return scenario{name: name, client: c, method: "GET", path: "/api/session", status: 200}
	}
	return scenario{name: name, client: c, method: "GET", path: "/api/session", status: 401, typ: "authentication_error", code: "unauthorized"}
}

func loginAs(name, email, password string, status int) scenario {
	return scenario{name: name, method: "POST", path: "/api/auth/login", body: credentials(email, password), status: status}
}

// mustSessions lists c's sessions through the API.
func mustSessions(t *testing.T, s *pometest.Server, c *http.Client) client.UserSessionList {
	t.Helper()
	r := scenario{client: c, method: "GET", path: "/api/auth/sessions", status: 200}.run(t, s)
	return decode[client.UserSessionList](t, r)
}

// TestChangePasswordAPI: POST /api/auth/password keeps the caller's session
// and ends the user's others; every refusal (no session, a wrong current
// password, a weak new one, a bad body, another origin) changes nothing.
func TestChangePasswordAPI(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	const pw = pometest.Password
	here := s.Signup(t, "alice@example.com")
	other := s.Login(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	const path = "/api/auth/password"
	change := func(name string, h http.Header, body string, status int, typ, code string) scenario {
		return scenario{name: name, client: here, method: "POST", path: path, header: h, body: body, status: status, typ: typ, code: code}
	}
	runScenarios(t, s, []scenario{
		{name: "no session", method: "POST", path: path, body: passwordChange(pw, newPassword), status: 401, typ: "authentication_error", code: "unauthorized"},
		change("wrong current password", nil, passwordChange("not the password", newPassword), 403, "permission_error", "wrong_password"),
		change("new password too short", nil, passwordChange(pw, "short"), 400, "invalid_request_error", "invalid_parameter"),
		change("new password too long", nil, passwordChange(pw, strings.Repeat("p", 1025)), 400, "invalid_request_error", "invalid_parameter"),
		change("missing current password", nil, `{"new_password":"`+newPassword+`"}`, 400, "invalid_request_error", "missing_required_parameter"),
		change("missing new password", nil, `{"current_password":"`+pw+`"}`, 400, "invalid_request_error", "missing_required_parameter"),
		change("unknown field", nil, `{"current_password":"`+pw+`","new_password":"`+newPassword+`","user_id":"usr_x"}`, 400, "invalid_request_error", "invalid_parameter"),
		change("malformed", nil, `{"current_password":`, 400, "invalid_request_error", "invalid_json"),
		change("huge body", nil, `{"current_password":"`+strings.Repeat("x", 65<<10)+`","new_password":"x"}`, 413, "invalid_request_error", "body_too_large"),
		change("cross-site", hdr("Sec-Fetch-Site", "cross-site"), passwordChange(pw, newPassword), 403, "permission_error", "cross_origin_request"),
		change("foreign origin", hdr("Origin", "https://evil.example"), passwordChange(pw, newPassword), 403, "permission_error", "cross_origin_request"),
		signedIn("refusals ended no session", other, true),
		loginAs("refusals kept the password", "alice@example.com", pw, 200),

		change("change", nil, passwordChange(pw, newPassword), 200, "", ""),
		signedIn("the caller stays signed in", here, true),
		signedIn("the user's other session ended", other, false),
		signedIn("another user's session stays", bob, true),
		loginAs("the old password no longer signs in", "alice@example.com", pw, 401),
		loginAs("the new one does", "alice@example.com", newPassword, 200),
	})
}

// TestChangePasswordLimited: a wrong current password spends the login
// quota of the user's email, as a failed login does, so that a stolen
// session cookie gets no more guesses than the sign-in form.
func TestChangePasswordLimited(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
		r.LoginEmail = ratelimit.Rule{Name: "login_email", Limit: 2, Period: 15 * time.Minute}
	}))
	c := s.Signup(t, "alice@example.com")
	guess := scenario{client: c, method: "POST", path: "/api/auth/password", body: passwordChange("guess one two", newPassword), status: 403, typ: "permission_error", code: "wrong_password"}
	runScenarios(t, s, []scenario{
		guess, guess,
		{name: "third guess", client: c, method: "POST", path: "/api/auth/password", body: passwordChange(pometest.Password, newPassword), status: 429, typ: "rate_limit_error", code: "rate_limit_exceeded"},
		loginAs("the sign-in form shares the quota", "alice@example.com", pometest.Password, 429),
	})
}

// TestUserSessionsAPI: a user lists their own sessions, never a token or
// its digest, and ends one of them; another user's session id is the same
// 404 as an unknown one, and ends nothing.
func TestUserSessionsAPI(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	here := s.Signup(t, "alice@example.com")
	other := s.Login(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")

	r := scenario{client: here, method: "GET", path: "/api/auth/sessions", status: 200}.run(t, s)
	list := decode[client.UserSessionList](t, r)
	if len(list.Sessions) != 2 || list.Sessions[0].Current == list.Sessions[1].Current {
		t.Fatalf("GET /api/auth/sessions = %+v, want 2, one of them current", list.Sessions)
	}
	for _, c := range []*http.Client{here, other} {
		tok := cookieValue(t, s, c)
		d := pome.DigestOf(tok)
		if body := string(r.Body); strings.Contains(body, tok) || strings.Contains(body, hex.EncodeToString(d[:])) {
			t.Errorf("GET /api/auth/sessions shows a session token or its digest: %s", body)
		}
	}
	otherID := list.Sessions[0].ID
	if list.Sessions[0].Current {
		otherID = list.Sessions[1].ID
	}
	bobID := mustSessions(t, s, bob).Sessions[0].ID

	end := func(name string, id string, h http.Header, status int, code string) scenario {
		sc := scenario{name: name, client: here, method: "DELETE", path: "/api/auth/sessions/" + id, header: h, status: status, code: code}
		switch status {
		case 404:
			sc.typ, sc.message = "not_found_error", "Session not found"
		case 403:
			sc.typ = "permission_error"
		}
		return sc
	}
	runScenarios(t, s, []scenario{
		{name: "list without a session", method: "GET", path: "/api/auth/sessions", status: 401, typ: "authentication_error", code: "unauthorized"},
		{name: "end without a session", method: "DELETE", path: "/api/auth/sessions/" + otherID, status: 401, typ: "authentication_error", code: "unauthorized"},
		end("another user's session", bobID, nil, 404, "session_not_found"),
		end("an unknown session", pome.NewID("ses_"), nil, 404, "session_not_found"),
		end("a malformed id", "ses_'%20OR%201=1", nil, 404, "session_not_found"),
		end("cross-site", otherID, hdr("Sec-Fetch-Site", "cross-site"), 403, "cross_origin_request"),
		signedIn("another user's session stays", bob, true),
		signedIn("refusals ended nothing", other, true),

		end("one's own other session", otherID, nil, 200, ""),
		signedIn("the ended session is signed out", other, false),
		signedIn("the caller stays", here, true),
		end("again", otherID, nil, 404, "session_not_found"),
	})
	if got := mustSessions(t, s, here).Sessions; len(got) != 1 || !got[0].Current {
		t.Errorf("sessions after = %+v, want only the caller's", got)
	}
}

// TestPasswordResetAPI: a reset link's page and its form. The link sets the
// password once and signs the user out everywhere; an unknown, used,
// replaced or expired one is a clear page and a clear JSON error, never a
// 500, and a weak password leaves the link usable.
func TestPasswordResetAPI(t *testing.T) {
	t.Parallel()
	clock := pometest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	s := pometest.NewServer(t, pometest.WithClock(clock))
	alice := s.Signup(t, "alice@example.com")
	issue := func() string {
		t.Helper()
		tok, _, err := s.Accounts.IssueReset(t.Context(), "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	replaced, token := issue(), issue()
	const path = "/api/auth/password-reset"
	post := func(name, body string, status int, code string) scenario {
		sc := scenario{name: name, method: "POST", path: path, body: body, status: status, code: code}
		if code != "" {
			sc.typ = "invalid_request_error"
		}
		return sc
	}
	page := func(name, token string, status int, want string) scenario {
		return scenario{name: name, method: "GET", path: "/reset/" + token, header: hdr("Accept", "text/html"), status: status,
			check: func(t *testing.T, r *pometest.Response) {
				if !strings.Contains(string(r.Body), want) {
					t.Errorf("GET /reset/… body lacks %q:\n%s", want, r.Body)
				}
			}}
	}
	runScenarios(t, s, []scenario{
		page("the page", token, 200, `id="reset-form"`),
		page("a replaced link's page", replaced, 400, "invalid_reset_token"),
		page("an unknown link's page", pome.NewSessionToken(), 400, "invalid_reset_token"),
		post("a replaced link", passwordReset(replaced, newPassword), 400, "invalid_reset_token"),
		post("an unknown link", passwordReset(pome.NewSessionToken(), newPassword), 400, "invalid_reset_token"),
		post("an empty token", passwordReset("", newPassword), 400, "invalid_reset_token"),
		post("a weak password", passwordReset(token, "short"), 400, "invalid_parameter"),
		post("missing token", `{"new_password":"`+newPassword+`"}`, 400, "missing_required_parameter"),
		post("huge body", passwordReset(strings.Repeat("x", 65<<10), newPassword), 413, "body_too_large"),
		{name: "cross-site", method: "POST", path: path, header: hdr("Sec-Fetch-Site", "cross-site"), body: passwordReset(token, newPassword), status: 403, typ: "permission_error", code: "cross_origin_request"},
		signedIn("refusals signed nobody out", alice, true),

		post("reset", passwordReset(token, newPassword), 200, ""),
		signedIn("every session of the user ended", alice, false),
		loginAs("the new password signs in", "alice@example.com", newPassword, 200),
		post("used again", passwordReset(token, "yet another password"), 400, "invalid_reset_token"),
		page("a used link's page", token, 400, "invalid_reset_token"),
	})

	expiring := issue()
	clock.Advance(account.ResetLinkLifetime)
	runScenarios(t, s, []scenario{
		page("an expired link's page", expiring, 400, "invalid_reset_token"),
		post("an expired link", passwordReset(expiring, "yet another password"), 400, "invalid_reset_token"),
	})
}

// TestAccessLogMasksResetToken: a reset link's token never reaches the
// access log, even one the generic masking would not recognize as a
// token (no digit).
func TestAccessLogMasksResetToken(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := pometest.NewServer(t, pometest.WithAccessLog(logs))
	s.Signup(t, "alice@example.com")
	token, _, err := s.Accounts.IssueReset(t.Context(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
	for _, tok := range []string{token, letters} {
		s.Do(t, nil, "GET", "/reset/"+tok, hdr("Accept", "text/html"), "")
	}
	out := logs.String()
	for _, tok := range []string{token, letters} {
		if strings.Contains(out, tok) {
			t.Errorf("access log contains the reset token %q:\n%s", tok, out)
		}
	}
	if !strings.Contains(out, `"route":"GET /reset/{token}"`) {
		t.Errorf("access log lacks the reset route:\n%s", out)
	}
}

// TestAccountPage: the account page lists the user's sessions, the caller's
// marked, with an End button for each other one; signed out, it redirects.
func TestAccountPage(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	here := s.Signup(t, "alice@example.com")
	other := s.Login(t, "alice@example.com")
	s.Signup(t, "bob@example.com")
	var otherID string
	for _, x := range mustSessions(t, s, other).Sessions {
		if x.Current {
			otherID = x.ID
		}
	}
	r := s.Do(t, here, "GET", "/account", hdr("Accept", "text/html"), "")
	body := string(r.Body)
	if r.Status != 200 {
		t.Fatalf("GET /account = %d, want 200", r.Status)
	}
	for _, want := range []string{`id="password-form"`, "This session", `data-end-session="` + otherID + `"`, `href="/account" aria-current="page"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /account lacks %s", want)
		}
	}
	if n := strings.Count(body, "data-session-row="); n != 2 {
		t.Errorf("GET /account lists %d sessions, want alice's 2", n)
	}
	if r := getPage(t, s, nil, "GET", "/account", nil, ""); r.Status != 303 || r.Header.Get("Location") != "/signin?next=%2Faccount" {
		t.Errorf("GET /account signed out = %d to %q, want 303 to /signin?next=%%2Faccount", r.Status, r.Header.Get("Location"))
	}
}
