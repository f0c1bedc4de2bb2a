package httpserver_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

type invitationAnswer struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// tokenOf is the token of an invitation link: its last segment.
func tokenOf(t *testing.T, url string) string {
	t.Helper()
	i := strings.LastIndex(url, "/invite/")
	if i < 0 {
		t.Fatalf("url = %q, want .../invite/TOKEN", url)
	}
	return url[i+len("/invite/"):]
}

// The invitation endpoints, every answer: who may invite, list and revoke;
// the link built from the request without --public-url; the token shown
// once; another team's invitation not found; accepting only as the
// invited address, once.
func TestInvitationsAPI(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	carol := s.Signup(t, "carol@example.com")
	erin := s.Signup(t, "erin@example.com")
	dave := s.Signup(t, "dave@example.com") // has a team of his own, and invites too
	s.Clock.Advance(time.Minute)
	s.AddMember(t, alice, "carol@example.com", pome.RoleDeveloper)
	var daves invitationAnswer
	s.Do(t, dave, "POST", "/api/team/invitations", nil, `{"email":"zed@example.com","role":"viewer"}`).DecodeJSON(t, &daves)

	var erins invitationAnswer
	post := func(name string, c *http.Client, body string, status int, typ, code string) scenario {
		return scenario{name: name, client: c, method: "POST", path: "/api/team/invitations", body: body, status: status, typ: typ, code: code}
	}
	accept := func(name string, c *http.Client, body string, status int, typ, code string) scenario {
		return scenario{name: name, client: c, method: "POST", path: "/api/invitations/accept", body: body, status: status, typ: typ, code: code}
	}
	const inv, nf, perm = "invalid_request_error", "not_found_error", "permission_error"
	runScenarios(t, s, []scenario{
		post("missing email", alice, `{"role":"viewer"}`, 400, inv, "missing_required_parameter"),
		post("email of spaces", alice, `{"email":"  ","role":"viewer"}`, 400, inv, "missing_required_parameter"),
		post("missing role", alice, `{"email":"erin@example.com"}`, 400, inv, "missing_required_parameter"),
		post("bad role", alice, `{"email":"erin@example.com","role":"root"}`, 400, inv, "invalid_parameter"),
		post("not an email", alice, `{"email":"erin","role":"viewer"}`, 400, inv, "invalid_parameter"),
		post("email of the wrong type", alice, `{"email":42,"role":"viewer"}`, 400, inv, "invalid_parameter"),
		post("unknown field", alice, `{"email":"erin@example.com","role":"viewer","x":1}`, 400, inv, "invalid_parameter"),
		post("malformed", alice, `{"email":`, 400, inv, "invalid_json"),
		post("huge body", alice, `{"email":"`+strings.Repeat("a", 70<<10)+`@example.com","role":"viewer"}`, 413, inv, "body_too_large"),
		post("without session", nil, `{"email":"erin@example.com","role":"viewer"}`, 401, "authentication_error", "unauthorized"),
		{name: "in a team not one's own", client: alice, method: "POST", path: "/api/team/invitations?team=dave", body: `{"email":"erin@example.com","role":"viewer"}`,
			status: 404, typ: nf, code: "team_not_found"},
		{name: "a developer may not invite", client: carol, method: "POST", path: "/api/team/invitations?team=alice", body: `{"email":"erin@example.com","role":"viewer"}`,
			status: 403, typ: perm, code: "insufficient_permissions"},
		post("a member already", alice, `{"email":"Carol@example.com","role":"viewer"}`, 409, inv, "already_member"),
		{name: "invite erin", client: alice, method: "POST", path: "/api/team/invitations", body: `{"email":"Erin@Example.com","role":"developer"}`, status: 201,
			check: func(t *testing.T, r *pometest.Response) {
				r.DecodeJSON(t, &erins)
				if !strings.HasPrefix(erins.URL, s.URL+"/invite/") || len(tokenOf(t, erins.URL)) != 43 || !strings.HasPrefix(erins.ID, "inv_") {
					t.Errorf("invitation = %+v, want %s/invite/<43 characters>", erins, s.URL)
				}
				if !strings.Contains(string(r.Body), `"email":"erin@example.com","role":"developer"`) {
					t.Errorf("body %s, want the lower-cased email and the role", r.Body)
				}
			}},
		{name: "list", client: alice, method: "GET", path: "/api/team/invitations", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if strings.Contains(string(r.Body), "url") || strings.Contains(string(r.Body), tokenOf(t, erins.URL)) ||
					!strings.Contains(string(r.Body), `"total":1`) || !strings.Contains(string(r.Body), erins.ID) {
					t.Errorf("list = %s, want erin's invitation, without its link", r.Body)
				}
			}},
		{name: "a developer may not list", client: carol, method: "GET", path: "/api/team/invitations?team=alice", status: 403, typ: perm, code: "insufficient_permissions"},
		{name: "revoke another team's", client: alice, method: "DELETE", path: "/api/team/invitations/" + daves.ID, status: 404, typ: nf, code: "invitation_not_found"},
		{name: "revoke unknown", client: alice, method: "DELETE", path: "/api/team/invitations/inv_0000000000000000", status: 404, typ: nf, code: "invitation_not_found"},
		{name: "revoke malformed", client: alice, method: "DELETE", path: "/api/team/invitations/nope", status: 404, typ: nf, code: "invitation_not_found"},
		{name: "a developer may not revoke", client: carol, method: "DELETE", path: "/api/team/invitations/" + daves.ID + "?team=alice", status: 403, typ: perm, code: "insufficient_permissions"},
	})
	token := `{"token":"` + tokenOf(t, erins.URL) + `"}`
	runScenarios(t, s, []scenario{
		accept("accept without token", erin, `{}`, 400, inv, "missing_required_parameter"),
		accept("accept malformed", erin, `[1`, 400, inv, "invalid_json"),
		accept("accept without session", nil, token, 401, "authentication_error", "unauthorized"),
		accept("accept unknown token", erin, `{"token":"`+pome.NewSessionToken()+`"}`, 404, nf, "invitation_not_found"),
		accept("accept as another address", carol, token, 403, perm, "invitation_email_mismatch"),
		{name: "accept", client: erin, method: "POST", path: "/api/invitations/accept", status: 200, body: token,
			check: func(t *testing.T, r *pometest.Response) {
				if !strings.Contains(string(r.Body), `"slug":"alice"`) || !strings.Contains(string(r.Body), `"role":"developer"`) {
					t.Errorf("accept = %s, want alice's team as developer", r.Body)
				}
			}},
		accept("accept again", erin, token, 404, nf, "invitation_not_found"),
		{name: "erin is a member", client: erin, method: "GET", path: "/api/keys?team=alice", status: 200},
		{name: "a used invitation is no longer listed", client: alice, method: "GET", path: "/api/team/invitations", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if !strings.Contains(string(r.Body), `"total":0`) {
					t.Errorf("list = %s, want none", r.Body)
				}
			}},
		{name: "revoke dave's own", client: dave, method: "DELETE", path: "/api/team/invitations/" + daves.ID, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if want := `{"success":true,"message":"Invitation revoked","id":"` + daves.ID + `"}`; !bytes.Contains(r.Body, []byte(want)) {
					t.Errorf("revoke = %s, want %s", r.Body, want)
				}
			}},
	})
}

// With --public-url the link is under it, not under the host the
// inviter's request came to.
func TestInvitationLinkUsesPublicURL(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithPublicURL("https://keys.example.com"))
	alice := s.Signup(t, "alice@example.com")
	var a invitationAnswer
	s.Do(t, alice, "POST", "/api/team/invitations", nil, `{"email":"bob@example.com","role":"viewer"}`).DecodeJSON(t, &a)
	if !strings.HasPrefix(a.URL, "https://keys.example.com/invite/") {
		t.Errorf("url = %q, want under --public-url", a.URL)
	}
}

// Signing up through an invitation joins its team at once, even with
// signup closed; only for the invited address, and only with a valid
// token: other signups stay closed.
func TestSignupThroughInvitation(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithSignupClosed())
	if _, err := s.Accounts.CreateUser(t.Context(), "alice@example.com", pometest.Password, "acme"); err != nil {
		t.Fatal(err)
	}
	alice := s.Login(t, "alice@example.com")
	token := s.Invite(t, alice, "newbie@example.com", pome.RoleDeveloper)
	signup := func(email, invitation string) string {
		body := `{"email":"` + email + `","password":"` + pometest.Password + `"`
		if invitation != "" {
			body += `,"invitation":"` + invitation + `"`
		}
		return body + "}"
	}
	const perm, nf = "permission_error", "not_found_error"
	runScenarios(t, s, []scenario{
		{name: "closed without an invitation", method: "POST", path: "/api/auth/signup", body: signup("newbie@example.com", ""), status: 403, typ: perm, code: "signup_closed"},
		{name: "another address", method: "POST", path: "/api/auth/signup", body: signup("other@example.com", token), status: 403, typ: perm, code: "invitation_email_mismatch"},
		{name: "an unknown token", method: "POST", path: "/api/auth/signup", body: signup("newbie@example.com", "nope"), status: 404, typ: nf, code: "invitation_not_found"},
		{name: "the invited address", method: "POST", path: "/api/auth/signup", body: signup("Newbie@example.com", token), status: 201,
			check: func(t *testing.T, r *pometest.Response) {
				if !strings.Contains(string(r.Body), `"slug":"acme"`) || !strings.Contains(string(r.Body), `"role":"developer"`) {
					t.Errorf("session view = %s, want acme as developer", r.Body)
				}
			}},
		{name: "the token is used", method: "POST", path: "/api/auth/signup", body: signup("newbie2@example.com", token), status: 404, typ: nf, code: "invitation_not_found"},
	})
	if _, err := s.Accounts.Login(t.Context(), "other@example.com", pometest.Password); err == nil {
		t.Errorf("the refused signup of another address made an account")
	}
}

// The page of an invitation link: the team, the role and the address,
// then what this browser may do; an unknown or used link is a 404 page,
// never a 500; the access log masks the token.
func TestInvitePage(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := pometest.NewServer(t, pometest.WithAccessLog(logs))
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	token := s.Invite(t, alice, "bob@example.com", pome.RoleViewer)
	for _, c := range []struct {
		name    string
		client  *http.Client
		status  int
		want    []string
		notWant []string
	}{
		{"signed out", nil, 200, []string{"Join alice", "Viewer", `value="bob@example.com" readonly`, `id="invite-signup-form"`,
			`name="invitation" value="` + token + `"`, `/signin?next=%2Finvite%2F` + token}, []string{`id="accept-form"`}},
		{"signed in as the invited address", bob, 200, []string{`id="accept-form"`, "Join alice", `data-next="/keys?team=alice"`}, []string{"invite-signup-form"}},
		{"signed in as another", alice, 200, []string{`id="invitation-other"`, "alice@example.com", `action="/signout"`}, []string{`id="accept-form"`, "invite-signup-form"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := getPage(t, s, c.client, "GET", "/invite/"+token, nil, "")
			if p.Status != c.status {
				t.Fatalf("GET /invite/… = %d, want %d", p.Status, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(p.Body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(p.Body, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
	if r := s.Do(t, bob, "POST", "/api/invitations/accept", nil, `{"token":"`+token+`"}`); r.Status != 200 {
		t.Fatalf("accept = %d %s", r.Status, r.Body)
	}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
	for _, tok := range []string{token, letters} {
		p := getPage(t, s, nil, "GET", "/invite/"+tok, nil, "")
		if p.Status != 404 || !strings.Contains(p.Body, "invitation_not_found") {
			t.Errorf("GET /invite/(used or unknown) = %d, want the 404 page invitation_not_found", p.Status)
		}
	}
	out := logs.String()
	for _, tok := range []string{token, letters} {
		if strings.Contains(out, tok) {
			t.Errorf("access log contains the invitation token %q:\n%s", tok, out)
		}
	}
	if !strings.Contains(out, `"route":"GET /invite/{token}"`) {
		t.Errorf("access log lacks the invitation route:\n%s", out)
	}
}
