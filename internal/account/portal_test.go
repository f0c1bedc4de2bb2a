package account_test

import (
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
)

var portalToken = pome.ServiceToken{ID: "st_portal00000000001", Name: "platform"}

// origins are the return origins of the tests.
func origins(t *testing.T) account.ReturnOrigins {
	t.Helper()
	o, err := account.ParseReturnOrigins([]string{"https://App.Example.com:443", "http://localhost:3000"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// mustPlatformTeam makes a team with no member, as a platform does.
func mustPlatformTeam(t *testing.T, s *account.Service, name string) pome.Team {
	t.Helper()
	team, err := s.CreateTeam(t.Context(), portalToken, account.NewTeam{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return team
}

// TestParseReturnOrigins: an origin is scheme://host[:port] of http or
// https, normalized; anything else is refused at startup.
func TestParseReturnOrigins(t *testing.T) {
	t.Parallel()
	if got := origins(t); len(got) != 2 || got[0] != "https://app.example.com" || got[1] != "http://localhost:3000" {
		t.Errorf("ParseReturnOrigins = %q, want normalized origins", got)
	}
	for _, bad := range []string{"app.example.com", "ftp://x.example.com", "https://x.example.com/path", "https://u:p@x.example.com",
		"https://x.example.com?q", "https://x.example.com#f", "https://"} {
		if _, err := account.ParseReturnOrigins([]string{bad}); err == nil {
			t.Errorf("ParseReturnOrigins(%q) = nil, want an error", bad)
		}
	}
}

// TestCreatePortalLinkRefused: every bad request is a clear error before
// anything is stored.
func TestCreatePortalLinkRefused(t *testing.T) {
	t.Parallel()
	s, db, _ := newService(t, account.Config{SignupOpen: true})
	team := mustPlatformTeam(t, s, "Acme")
	banned := mustPlatformTeam(t, s, "Gone")
	if _, err := s.UpdateTeam(t.Context(), portalToken, banned.ID, account.TeamChange{Status: new(pome.TeamBanned)}); err != nil {
		t.Fatal(err)
	}
	ok := account.PortalRequest{Team: team.ID, Email: "dev@example.com"}
	with := func(f func(*account.PortalRequest)) account.PortalRequest { r := ok; f(&r); return r }
	for name, c := range map[string]struct {
		req  account.PortalRequest
		code string
	}{
		"unknown team":         {with(func(r *account.PortalRequest) { r.Team = "tm_nope" }), "team_not_found"},
		"banned team":          {with(func(r *account.PortalRequest) { r.Team = banned.ID }), "team_banned"},
		"no email":             {with(func(r *account.PortalRequest) { r.Email = "" }), "missing_required_parameter"},
		"bad email":            {with(func(r *account.PortalRequest) { r.Email = "not an email" }), "invalid_parameter"},
		"bad role":             {with(func(r *account.PortalRequest) { r.Role = "root" }), "invalid_parameter"},
		"return off the list":  {with(func(r *account.PortalRequest) { r.ReturnURL = "https://evil.example.com/" }), "invalid_parameter"},
		"return other port":    {with(func(r *account.PortalRequest) { r.ReturnURL = "https://app.example.com:8443/" }), "invalid_parameter"},
		"return other scheme":  {with(func(r *account.PortalRequest) { r.ReturnURL = "http://app.example.com/" }), "invalid_parameter"},
		"return javascript":    {with(func(r *account.PortalRequest) { r.ReturnURL = "javascript:alert(1)" }), "invalid_parameter"},
		"return with userinfo": {with(func(r *account.PortalRequest) { r.ReturnURL = "https://u@app.example.com/" }), "invalid_parameter"},
		"return relative":      {with(func(r *account.PortalRequest) { r.ReturnURL = "/settings" }), "invalid_parameter"},
	} {
		_, _, err := s.CreatePortalLink(t.Context(), portalToken, c.req, origins(t))
		if code(err) != c.code {
			t.Errorf("CreatePortalLink(%s) = %v, want %s", name, err, c.code)
		}
	}
	if evs := events(t, db, team.ID, pome.AuditPortalCreated); len(evs) != 0 {
		t.Errorf("portal events after refusals = %d, want 0", len(evs))
	}
}

// TestPortalFlow: a link signs a new user in, password-less, as a
// developer of the team by default, with the return URL on the session;
// it works once and dies after 5 minutes; every step is audit-logged with
// the service token as the actor of the membership.
func TestPortalFlow(t *testing.T) {
	t.Parallel()
	s, db, clock := newService(t, account.Config{SignupOpen: true})
	team := mustPlatformTeam(t, s, "Acme")
	back := "https://app.example.com/account?tab=keys"
	token, l, err := s.CreatePortalLink(t.Context(), portalToken,
		account.PortalRequest{Team: team.ID, Email: "Dev@Example.com", ReturnURL: back}, origins(t))
	if err != nil {
		t.Fatalf("CreatePortalLink = %v, want nil", err)
	}
	if len(token) != 43 || l.Digest != pome.DigestOf(token) || l.Email != "dev@example.com" || l.Role != pome.RoleDeveloper ||
		l.ExpiresAt.Sub(l.CreatedAt) != account.PortalLinkLifetime {
		t.Errorf("CreatePortalLink = %q, %+v, want a 43-character token, dev@example.com, developer, 5 minutes", token, l)
	}
	created := events(t, db, team.ID, pome.AuditPortalCreated)
	if len(created) != 1 || created[0].ActorType != pome.ActorToken || created[0].ActorID != portalToken.ID {
		t.Errorf("portal.session_created events = %+v, want one by the token", created)
	}

	in, err := s.OpenPortal(t.Context(), token)
	if err != nil {
		t.Fatalf("OpenPortal = %v, want nil", err)
	}
	if in.Team.ID != team.ID || in.User.Email != "dev@example.com" || in.User.HasPassword() {
		t.Errorf("OpenPortal = %+v, want dev@example.com in %s without password", in, team.ID)
	}
	u, sess := mustCurrent(t, s, in.Token)
	if u.ID != in.User.ID || sess.ReturnURL != back {
		t.Errorf("Current = %s, return %q, want %s, %q", u.ID, sess.ReturnURL, in.User.ID, back)
	}
	if got := roleIn(t, db, team.ID, u.ID); got != pome.RoleDeveloper {
		t.Errorf("role = %s, want developer", got)
	}
	added := events(t, db, team.ID, pome.AuditMemberAdded)
	if len(added) != 1 || added[0].ActorID != portalToken.ID || added[0].Details["method"] != "portal" {
		t.Errorf("member.added events = %+v, want one by the token, method portal", added)
	}
	if acts := userActions(t, db); len(acts) == 0 || acts[0] != "auth.login:success" {
		t.Errorf("user events = %v, want the login first", acts)
	}
	if _, err := s.OpenPortal(t.Context(), token); code(err) != "portal_link_invalid" {
		t.Errorf("OpenPortal(used) = %v, want portal_link_invalid", err)
	}

	// A second link for the same email, as owner, raises them; opened
	// after 5 minutes it is dead.
	owner, _, err := s.CreatePortalLink(t.Context(), portalToken, account.PortalRequest{Team: team.ID, Email: "dev@example.com", Role: "owner"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	late, _, err := s.CreatePortalLink(t.Context(), portalToken, account.PortalRequest{Team: team.ID, Email: "dev@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if in, err = s.OpenPortal(t.Context(), owner); err != nil || roleIn(t, db, team.ID, in.User.ID) != pome.RoleOwner {
		t.Errorf("OpenPortal(owner link) = %v, role %s, want owner", err, roleIn(t, db, team.ID, in.User.ID))
	}
	if ss, _ := s.Sessions(t.Context(), in.User); len(ss) != 2 || ss[0].ReturnURL != "" {
		t.Errorf("Sessions = %+v, want 2, the newest without return URL", ss)
	}
	clock.Advance(account.PortalLinkLifetime)
	for name, tok := range map[string]string{"expired": late, "unknown": pome.NewSessionToken(), "empty": "", "NUL": "a\x00b"} {
		if _, err := s.OpenPortal(t.Context(), tok); code(err) != "portal_link_invalid" {
			t.Errorf("OpenPortal(%s) = %v, want portal_link_invalid", name, err)
		}
	}
}

// TestLoginWithoutPassword: a user of portal links has no password; any
// password is the answer of a wrong one, and a password change says why it
// cannot be done, until an operator's reset link gives them one.
func TestLoginWithoutPassword(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, account.Config{SignupOpen: true})
	team := mustPlatformTeam(t, s, "Acme")
	token, _, err := s.CreatePortalLink(t.Context(), portalToken, account.PortalRequest{Team: team.ID, Email: "dev@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.OpenPortal(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "correct horse battery", "$argon2id$"} {
		got, err := s.Login(t.Context(), "dev@example.com", pw)
		if code(err) != "invalid_credentials" || !got.Checked || got.Token != "" {
			t.Errorf("Login(no password, %q) = %+v, %v, want invalid_credentials after a check", pw, got, err)
		}
	}
	_, sess := mustCurrent(t, s, in.Token)
	if _, err := s.ChangePassword(t.Context(), in.User, sess, "", "a new password 1"); code(err) != "no_password" {
		t.Errorf("ChangePassword(no password) = %v, want no_password", err)
	}
	reset, _, err := s.IssueReset(t.Context(), "dev@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ResetPassword(t.Context(), reset, "a new password 1"); err != nil {
		t.Fatalf("ResetPassword = %v, want nil", err)
	}
	if _, err := s.Login(t.Context(), "dev@example.com", "a new password 1"); err != nil {
		t.Errorf("Login after a reset = %v, want nil", err)
	}
}
