package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

const password = pometest.Password

// mustJoin has owner invite email with role and member, signed in as
// email, accept it; it returns the team joined.
func mustJoin(t *testing.T, owner, member *client.Client, email string, role pome.Role) *client.Team {
	t.Helper()
	inv, err := owner.Invite(t.Context(), email, role)
	if err != nil {
		t.Fatalf("Invite(%s) = %v", email, err)
	}
	joined, err := member.AcceptInvitation(t.Context(), inv.URL[strings.LastIndex(inv.URL, "/")+1:])
	if err != nil {
		t.Fatalf("AcceptInvitation(%s) = %v", email, err)
	}
	return joined
}

// mustSignup signs email up through the SDK and returns the signed-in client.
func mustSignup(t *testing.T, s *pometest.Server, email, team string) *client.Client {
	t.Helper()
	c := client.New(s.URL)
	sess, err := c.Signup(t.Context(), client.SignupParams{Email: email, Password: password, TeamName: team})
	if err != nil {
		t.Fatalf("Signup(%q) = %v", email, err)
	}
	if sess.User.Email != email || len(sess.Teams) != 1 || sess.Teams[0].Role != pome.RoleOwner {
		t.Fatalf("Signup(%q) = %+v, want the user as owner of one team", email, sess)
	}
	if c.SessionToken() == "" {
		t.Fatalf("Signup(%q): SessionToken() is empty", email)
	}
	return c
}

// mustAPIError asserts that err is a *client.Error with status and code, a
// request id, and that it wraps the matching *pome.Error.
func mustAPIError(t *testing.T, call string, err error, status int, code string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s = %v (%T), want a *client.Error", call, err, err)
	}
	if e.Status != status || e.Code() != code {
		t.Fatalf("%s = %d %s, want %d %s", call, e.Status, e.Code(), status, code)
	}
	if !strings.HasPrefix(e.RequestID, "req_") {
		t.Errorf("%s: RequestID = %q, want req_...", call, e.RequestID)
	}
	var pe *pome.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Errorf("%s: errors.As(*pome.Error) = %v, want code %s", call, pe, code)
	}
	if !errors.Is(err, &pome.Error{Code: code}) {
		t.Errorf("%s: errors.Is(err, code %s) = false", call, code)
	}
	return e
}

// TestSessionLifecycle protects the session calls: signup and login hold a
// session, Session reads it, Logout ends it on the server.
func TestSessionLifecycle(t *testing.T) {
	s := pometest.NewServer(t)
	ctx := t.Context()
	c := mustSignup(t, s, "alice@example.com", "Acme")

	sess, err := c.Session(ctx)
	if err != nil {
		t.Fatalf("Session() = %v", err)
	}
	if sess.User.Email != "alice@example.com" || sess.DefaultTeam != "acme" || sess.User.CreatedAt.IsZero() {
		t.Errorf("Session() = %+v, want alice in default team acme", sess)
	}

	t.Run("login", func(t *testing.T) {
		c2 := client.New(s.URL + "/") // a trailing slash is fine
		sess, err := c2.Login(ctx, "alice@example.com", password)
		if err != nil {
			t.Fatalf("Login() = %v", err)
		}
		if sess.User.Email != "alice@example.com" || c2.SessionToken() == "" || c2.SessionToken() == c.SessionToken() {
			t.Errorf("Login() = %+v, token %q: want a new session of alice", sess, c2.SessionToken())
		}
		// A stored token works in a new client.
		c3 := client.New(s.URL, client.WithSession(c2.SessionToken()))
		if _, err := c3.Session(ctx); err != nil {
			t.Errorf("Session() with a stored token = %v", err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		_, err := client.New(s.URL).Login(ctx, "alice@example.com", "not the password")
		e := mustAPIError(t, "Login(wrong password)", err, http.StatusUnauthorized, "invalid_credentials")
		if !errors.Is(err, pome.ErrInvalidCredentials) || e.Kind() != pome.Unauthenticated || e.Type != "authentication_error" {
			t.Errorf("Login(wrong password) = %+v, want ErrInvalidCredentials", e)
		}
		if e.Message() != "Invalid email or password" {
			t.Errorf("Message() = %q", e.Message())
		}
	})

	t.Run("email taken", func(t *testing.T) {
		_, err := client.New(s.URL).Signup(ctx, client.SignupParams{Email: "ALICE@example.com", Password: password})
		e := mustAPIError(t, "Signup(taken)", err, http.StatusConflict, "email_taken")
		if e.Kind() != pome.Conflict {
			t.Errorf("Kind() = %v, want Conflict", e.Kind())
		}
	})

	t.Run("logout", func(t *testing.T) {
		token := c.SessionToken()
		if err := c.Logout(ctx); err != nil {
			t.Fatalf("Logout() = %v", err)
		}
		if c.SessionToken() != "" {
			t.Errorf("SessionToken() after Logout = %q, want empty", c.SessionToken())
		}
		// The server ended it: the old token is refused.
		_, err := client.New(s.URL, client.WithSession(token)).Session(ctx)
		mustAPIError(t, "Session() after Logout", err, http.StatusUnauthorized, "unauthorized")
		if !errors.Is(err, pome.ErrUnauthorized) {
			t.Errorf("Session() after Logout = %v, want ErrUnauthorized", err)
		}
		// Logging out again, without a session, succeeds.
		if err := c.Logout(ctx); err != nil {
			t.Errorf("second Logout() = %v", err)
		}
	})

	t.Run("session idles out", func(t *testing.T) {
		c := client.New(s.URL)
		if _, err := c.Login(ctx, "alice@example.com", password); err != nil {
			t.Fatal(err)
		}
		s.Clock.Advance(8 * 24 * time.Hour)
		_, err := c.ListKeys(ctx, client.KeyListOptions{})
		mustAPIError(t, "ListKeys() with an idle session", err, http.StatusUnauthorized, "unauthorized")
	})
}

// TestSecureCookie protects the cookie name: a server that uses
// __Host-pome_session (over HTTPS) works with the SDK like any other.
func TestSecureCookie(t *testing.T) {
	s := pometest.NewServer(t, pometest.WithSecureCookies())
	c := mustSignup(t, s, "alice@example.com", "Acme")
	c2 := client.New(s.URL, client.WithSession(c.SessionToken()))
	if _, err := c2.CreateKey(t.Context(), client.CreateKeyParams{Name: "ci"}); err != nil {
		t.Errorf("CreateKey() with the __Host- session = %v", err)
	}
}

// TestKeys protects every key call: create, list, Me with the key, usage,
// roll, revoke, and their errors.
func TestKeys(t *testing.T) {
	s := pometest.NewServer(t)
	ctx := t.Context()
	c := mustSignup(t, s, "alice@example.com", "Acme")

	k, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "ci", Description: "for CI", Role: pome.RoleDeveloper, ExpiresInDays: 30})
	if err != nil {
		t.Fatalf("CreateKey() = %v", err)
	}
	if !strings.HasPrefix(k.Key, "pme_") || k.Prefix != k.Key[:12] || k.Role != pome.RoleDeveloper ||
		k.Description != "for CI" || k.ExpiresAt == nil || k.Status != pome.KeyActive {
		t.Fatalf("CreateKey() = %+v", k)
	}

	t.Run("me", func(t *testing.T) {
		me, err := client.New(s.URL, client.WithAPIKey(k.Key)).Me(ctx)
		if err != nil {
			t.Fatalf("Me() = %v", err)
		}
		if me.User.Email != "alice@example.com" || me.Team.Slug != "acme" || me.Team.PlanTier != "free" ||
			me.APIKey.ID != k.ID || me.APIKey.Name != "ci" || me.APIKey.Prefix != k.Prefix || me.APIKey.Role != pome.RoleDeveloper {
			t.Errorf("Me() = %+v", me)
		}
		_, err = client.New(s.URL).Me(ctx)
		mustAPIError(t, "Me() without a key", err, http.StatusUnauthorized, "missing_api_key")
		_, err = client.New(s.URL, client.WithAPIKey("pme_nope")).Me(ctx)
		mustAPIError(t, "Me() with a bad key", err, http.StatusUnauthorized, "invalid_api_key")
		// A session is no API key.
		_, err = client.New(s.URL, client.WithSession(c.SessionToken())).Me(ctx)
		mustAPIError(t, "Me() with only a session", err, http.StatusUnauthorized, "missing_api_key")
	})

	t.Run("list", func(t *testing.T) {
		l, err := c.ListKeys(ctx, client.KeyListOptions{})
		if err != nil {
			t.Fatalf("ListKeys() = %v", err)
		}
		if l.Total != 1 || len(l.Keys) != 1 {
			t.Fatalf("ListKeys() = %+v, want 1 key", l)
		}
		got := l.Keys[0]
		if got.ID != k.ID || got.Name != "ci" || got.Prefix != k.Prefix || got.CreatedBy == "" ||
			got.CreatedAt.IsZero() || got.Status != pome.KeyActive || got.ExpiresAt == nil {
			t.Errorf("ListKeys()[0] = %+v", got)
		}
		_, err = c.ListKeys(ctx, client.KeyListOptions{Status: "bogus"})
		mustAPIError(t, "ListKeys(bogus)", err, http.StatusBadRequest, "invalid_parameter")
	})

	t.Run("get", func(t *testing.T) {
		l, err := c.ListKeys(ctx, client.KeyListOptions{Status: "all"})
		if err != nil || len(l.Keys) == 0 {
			t.Fatalf("ListKeys(all) = %+v, %v", l, err)
		}
		for _, want := range l.Keys {
			if got, err := c.GetKey(ctx, want.ID); err != nil || !reflect.DeepEqual(*got, want) {
				t.Errorf("GetKey(%s) = %+v, %v; want the listed %+v", want.ID, got, err, want)
			}
		}
		_, err = c.GetKey(ctx, "key_doesnotexist00")
		mustAPIError(t, "GetKey(unknown)", err, http.StatusNotFound, "key_not_found")
		if !errors.Is(err, pome.ErrKeyNotFound) {
			t.Errorf("GetKey(unknown) = %v, want ErrKeyNotFound", err)
		}
	})

	t.Run("usage", func(t *testing.T) {
		kc := client.New(s.URL, client.WithAPIKey(k.Key))
		for range 3 {
			if _, err := kc.Me(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Meter.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		u, err := c.KeyUsage(ctx, k.ID, 7)
		if err != nil {
			t.Fatalf("KeyUsage() = %v", err)
		}
		if u.KeyID != k.ID || len(u.Days) != 7 || u.Total() < 3 || u.Days[6].Date != pometest.Epoch.Format(time.DateOnly) {
			t.Errorf("KeyUsage(7) = %+v, want 7 days with 3+ requests ending today", u)
		}
		if u, err := c.KeyUsage(ctx, k.ID, 0); err != nil || len(u.Days) != 30 {
			t.Errorf("KeyUsage(0) = %v, %v; want 30 days", u, err)
		}
		_, err = c.KeyUsage(ctx, k.ID, 91)
		mustAPIError(t, "KeyUsage(91)", err, http.StatusBadRequest, "invalid_parameter")

		// The team's only key: the team's usage is the key's, day by day.
		tu, err := c.TeamUsage(ctx, 7)
		if err != nil || !reflect.DeepEqual(tu.Days, u.Days) || tu.Total() != u.Total() {
			t.Errorf("TeamUsage(7) = %+v, %v; want the key's %+v", tu, err, u.Days)
		}
		if tu, err := c.TeamUsage(ctx, 0); err != nil || len(tu.Days) != 30 {
			t.Errorf("TeamUsage(0) = %v, %v; want 30 days", tu, err)
		}
		_, err = c.TeamUsage(ctx, 91)
		mustAPIError(t, "TeamUsage(91)", err, http.StatusBadRequest, "invalid_parameter")
	})

	t.Run("roll", func(t *testing.T) {
		r, err := c.RollKey(ctx, k.ID, client.RollKeyParams{ExpireOldInHours: new(2)})
		if err != nil {
			t.Fatalf("RollKey() = %v", err)
		}
		if r.RolledFrom != k.ID || r.OldKey.ID != k.ID || r.ID == k.ID || !strings.HasPrefix(r.Key, "pme_") ||
			r.Name != "ci" || r.Role != pome.RoleDeveloper || r.OldKey.ExpiresAt == nil ||
			!r.OldKey.ExpiresAt.Equal(pometest.Epoch.Add(2*time.Hour)) {
			t.Errorf("RollKey(2h) = %+v", r)
		}
		// The default grace: nothing to send.
		r2, err := c.RollKey(ctx, r.ID, client.RollKeyParams{})
		if err != nil {
			t.Fatalf("RollKey({}) = %v", err)
		}
		if !r2.OldKey.ExpiresAt.Equal(pometest.Epoch.Add(24 * time.Hour)) {
			t.Errorf("RollKey({}) old expiry = %v, want 24h", r2.OldKey.ExpiresAt)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		v, err := c.RevokeKey(ctx, k.ID)
		if err != nil {
			t.Fatalf("RevokeKey() = %v", err)
		}
		if !v.Success || v.ID != k.ID || v.Message == "" {
			t.Errorf("RevokeKey() = %+v", v)
		}
		_, err = client.New(s.URL, client.WithAPIKey(k.Key)).Me(ctx)
		e := mustAPIError(t, "Me() with a revoked key", err, http.StatusForbidden, "key_revoked")
		if !errors.Is(err, pome.ErrKeyRevoked) || e.Kind() != pome.Forbidden || e.Type != "permission_error" {
			t.Errorf("Me() with a revoked key = %+v", e)
		}
		if _, err := c.RevokeKey(ctx, k.ID); err != nil {
			t.Errorf("RevokeKey() again = %v, want success", err)
		}
		l, err := c.ListKeys(ctx, client.KeyListOptions{Status: "revoked"})
		if err != nil || l.Total != 1 || l.Keys[0].Status != pome.KeyRevoked {
			t.Errorf("ListKeys(revoked) = %+v, %v", l, err)
		}
		_, err = c.RevokeKey(ctx, "key_doesnotexist00")
		mustAPIError(t, "RevokeKey(unknown)", err, http.StatusNotFound, "key_not_found")
		_, err = c.RollKey(ctx, k.ID, client.RollKeyParams{})
		mustAPIError(t, "RollKey(revoked)", err, http.StatusConflict, "key_not_active")
	})

	t.Run("validation", func(t *testing.T) {
		_, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "x", ExpiresInDays: 5000})
		mustAPIError(t, "CreateKey(5000 days)", err, http.StatusBadRequest, "invalid_parameter")
	})

	t.Run("unauthenticated", func(t *testing.T) {
		_, err := client.New(s.URL).CreateKey(ctx, client.CreateKeyParams{Name: "x"})
		mustAPIError(t, "CreateKey() without a session", err, http.StatusUnauthorized, "unauthorized")
	})
}

// TestTeamsAndMembers protects the member calls and ForTeam.
func TestTeamsAndMembers(t *testing.T) {
	s := pometest.NewServer(t)
	ctx := t.Context()
	alice := mustSignup(t, s, "alice@example.com", "Acme")
	bob := mustSignup(t, s, "bob@example.com", "Bobs")
	s.Clock.Advance(time.Minute) // joined later: listed after alice; bob's own team stays his default

	// Bob joins by invitation; Carol's is revoked.
	m := mustJoin(t, alice, bob, "bob@example.com", pome.RoleViewer)
	if m.Slug != "acme" || m.Role != pome.RoleViewer {
		t.Errorf("AcceptInvitation() = %+v, want acme as viewer", m)
	}
	_, err := alice.Invite(ctx, "bob@example.com", pome.RoleViewer)
	mustAPIError(t, "Invite() a member", err, http.StatusConflict, "already_member")
	carol, err := alice.Invite(ctx, "carol@example.com", pome.RoleDeveloper)
	if err != nil || carol.URL == "" || carol.Role != pome.RoleDeveloper {
		t.Fatalf("Invite(carol) = %+v, %v", carol, err)
	}
	_, err = bob.AcceptInvitation(ctx, carol.URL[strings.LastIndex(carol.URL, "/")+1:])
	mustAPIError(t, "AcceptInvitation() of another address", err, http.StatusForbidden, "invitation_email_mismatch")
	if l, err := alice.Invitations(ctx); err != nil || l.Total != 1 || l.Invitations[0].ID != carol.ID || l.Invitations[0].URL != "" {
		t.Errorf("Invitations() = %+v, %v, want carol's without its link", l, err)
	}
	if r, err := alice.RevokeInvitation(ctx, carol.ID); err != nil || !r.Success || r.ID != carol.ID {
		t.Errorf("RevokeInvitation() = %+v, %v", r, err)
	}
	_, err = alice.RevokeInvitation(ctx, carol.ID)
	mustAPIError(t, "RevokeInvitation() again", err, http.StatusNotFound, "invitation_not_found")

	l, err := alice.Members(ctx)
	if err != nil || l.Total != 2 || l.Members[0].Email != "alice@example.com" || l.Members[1].Email != "bob@example.com" {
		t.Fatalf("Members() = %+v, %v", l, err)
	}

	// Bob acts in acme through ForTeam; his default team is his own.
	inAcme := bob.ForTeam("acme")
	if l, err := inAcme.Members(ctx); err != nil || l.Total != 2 {
		t.Errorf("ForTeam(acme).Members() = %+v, %v", l, err)
	}
	if l, err := bob.Members(ctx); err != nil || l.Total != 1 {
		t.Errorf("Members() in bob's own team = %+v, %v", l, err)
	}
	_, err = inAcme.CreateKey(ctx, client.CreateKeyParams{Name: "viewer's"})
	mustAPIError(t, "viewer CreateKey()", err, http.StatusForbidden, "insufficient_permissions")
	_, err = inAcme.TeamUsage(ctx, 0)
	mustAPIError(t, "viewer TeamUsage()", err, http.StatusForbidden, "insufficient_permissions")
	if !errors.Is(err, pome.ErrInsufficientPermissions) {
		t.Errorf("viewer TeamUsage() = %v, want ErrInsufficientPermissions", err)
	}
	_, err = bob.ForTeam("nope").ListKeys(ctx, client.KeyListOptions{})
	mustAPIError(t, "ForTeam(nope).ListKeys()", err, http.StatusNotFound, "team_not_found")

	bobM, err := alice.SetMemberRole(ctx, l.Members[1].UserID, pome.RoleDeveloper)
	if err != nil || bobM.Role != pome.RoleDeveloper {
		t.Fatalf("SetMemberRole(developer) = %+v, %v", bobM, err)
	}
	k, err := inAcme.CreateKey(ctx, client.CreateKeyParams{Name: "bob's"})
	if err != nil {
		t.Fatalf("developer CreateKey() = %v", err)
	}
	// The session is shared: ForTeam's client is the same sign-in.
	if inAcme.SessionToken() != bob.SessionToken() {
		t.Error("ForTeam() client has another session")
	}

	// A developer reads their own key, in the team ForTeam names, and no
	// one else's; the owner reads theirs.
	if got, err := inAcme.GetKey(ctx, k.ID); err != nil || got.ID != k.ID || got.Name != "bob's" {
		t.Errorf("developer GetKey(own key) = %+v, %v", got, err)
	}
	_, err = bob.GetKey(ctx, k.ID)
	mustAPIError(t, "GetKey() of an acme key in bob's own team", err, http.StatusNotFound, "key_not_found")
	ak, err := alice.CreateKey(ctx, client.CreateKeyParams{Name: "alice's"})
	if err != nil {
		t.Fatalf("CreateKey() = %v", err)
	}
	_, err = inAcme.GetKey(ctx, ak.ID)
	mustAPIError(t, "developer GetKey(the owner's key)", err, http.StatusNotFound, "key_not_found")
	if got, err := alice.GetKey(ctx, k.ID); err != nil || got.CreatedBy != bobM.UserID {
		t.Errorf("owner GetKey(developer's key) = %+v, %v; want it, created by bob", got, err)
	}
	// The team's usage: the developer's own keys in the team ForTeam names.
	if _, err := client.New(s.URL, client.WithAPIKey(k.Key)).Me(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Meter.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := inAcme.TeamUsage(ctx, 1); err != nil || u.Total() != 1 {
		t.Errorf("developer ForTeam(acme).TeamUsage(1) = %+v, %v; want 1 request", u, err)
	}
	if u, err := bob.TeamUsage(ctx, 1); err != nil || u.Total() != 0 {
		t.Errorf("TeamUsage(1) in bob's own team = %+v, %v; want 0 requests", u, err)
	}

	r, err := alice.RemoveMember(ctx, bobM.UserID)
	if err != nil || !r.Success || r.UserID != bobM.UserID || len(r.RevokedKeys) != 1 || r.RevokedKeys[0] != k.ID {
		t.Fatalf("RemoveMember() = %+v, %v; want bob's key revoked", r, err)
	}
	_, err = alice.RemoveMember(ctx, bobM.UserID)
	mustAPIError(t, "RemoveMember() again", err, http.StatusNotFound, "member_not_found")
	_, err = alice.SetMemberRole(ctx, "usr_nobody", pome.RoleViewer)
	mustAPIError(t, "SetMemberRole(unknown)", err, http.StatusNotFound, "member_not_found")
}

// TestAudit protects the audit calls: a page, its filters, the cursor, and
// the iterator over every page.
func TestAudit(t *testing.T) {
	s := pometest.NewServer(t)
	ctx := t.Context()
	c := mustSignup(t, s, "alice@example.com", "Acme")
	var ids []string
	for _, name := range []string{"a", "b", "c"} {
		k, err := c.CreateKey(ctx, client.CreateKeyParams{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID)
	}
	if _, err := c.RevokeKey(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}

	page, err := c.Audit(ctx, client.AuditParams{Action: "key.created", Limit: 2})
	if err != nil {
		t.Fatalf("Audit() = %v", err)
	}
	if len(page.Events) != 2 || page.NextCursor == "" || page.Events[0].Action != "key.created" ||
		page.Events[0].Target == nil || page.Events[0].Target.ID != ids[2] || page.Events[0].Actor.Type != "user" ||
		!strings.HasPrefix(page.Events[0].RequestID, "req_") || page.Events[0].Time.IsZero() {
		t.Fatalf("Audit(key.created, 2) = %+v", page)
	}
	page, err = c.Audit(ctx, client.AuditParams{Action: "key.created", Limit: 2, Cursor: page.NextCursor})
	if err != nil || len(page.Events) != 1 || page.NextCursor != "" || page.Events[0].Target.ID != ids[0] {
		t.Errorf("Audit(next page) = %+v, %v", page, err)
	}
	page, err = c.Audit(ctx, client.AuditParams{Target: ids[0]})
	if err != nil || len(page.Events) != 2 || page.Events[0].Action != "key.revoked" {
		t.Errorf("Audit(target) = %+v, %v", page, err)
	}
	_, err = c.Audit(ctx, client.AuditParams{Cursor: "garbage"})
	mustAPIError(t, "Audit(bad cursor)", err, http.StatusBadRequest, "invalid_parameter")

	var actions []string
	for e, err := range c.AuditEvents(ctx, client.AuditParams{Limit: 1}) {
		if err != nil {
			t.Fatalf("AuditEvents() = %v", err)
		}
		actions = append(actions, e.Action)
	}
	want := "key.revoked key.created key.created key.created user.signup"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("AuditEvents() = %s, want %s", got, want)
	}
	// Stopping early stops fetching.
	for range c.AuditEvents(ctx, client.AuditParams{Limit: 1}) {
		break
	}
	for _, err := range client.New(s.URL).AuditEvents(ctx, client.AuditParams{}) {
		mustAPIError(t, "AuditEvents() without a session", err, http.StatusUnauthorized, "unauthorized")
	}
}

// TestRateLimited protects RetryAfter: a 429 says how long to wait.
func TestRateLimited(t *testing.T) {
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
		r.CreateKey = ratelimit.Rule{Name: "create_key", Limit: 1, Period: time.Minute}
	}))
	c := mustSignup(t, s, "alice@example.com", "Acme")
	if _, err := c.CreateKey(t.Context(), client.CreateKeyParams{Name: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateKey(t.Context(), client.CreateKeyParams{Name: "two"})
	e := mustAPIError(t, "CreateKey() over the limit", err, http.StatusTooManyRequests, "rate_limit_exceeded")
	if e.RetryAfter <= 0 || e.RetryAfter > time.Minute || !errors.Is(err, pome.ErrRateLimited) || e.Kind() != pome.RateLimited {
		t.Errorf("over the limit: %+v, RetryAfter %v", e, e.RetryAfter)
	}
}

// TestNotPome protects the errors that are no API error: no server, a
// server that is not Pome, a bad base URL.
func TestNotPome(t *testing.T) {
	ctx := t.Context()
	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = client.New("http://" + addr).Session(ctx)
		var ue *client.UnreachableError
		if !errors.As(err, &ue) || ue.BaseURL != "http://"+addr {
			t.Fatalf("Session() with no server = %v (%T), want *client.UnreachableError", err, err)
		}
		if !strings.Contains(err.Error(), "cannot reach Pome at http://"+addr) || !strings.Contains(err.Error(), "refused") {
			t.Errorf("Error() = %q", err)
		}
		var ce *client.Error
		if errors.As(err, &ce) {
			t.Errorf("an unreachable server is a *client.Error")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := client.New(srv.URL).Session(ctx)
		var ue *client.UnreachableError
		if !errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Session() past the deadline = %v, want UnreachableError wrapping DeadlineExceeded", err)
		}
	})
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
	}{
		{"html error page", http.StatusBadGateway, "text/html", "<h1>Bad Gateway</h1>"},
		{"json without envelope", http.StatusNotFound, "application/json", `{"message":"nope"}`},
		{"html success", http.StatusOK, "text/html", "<html></html>"},
		{"broken json success", http.StatusOK, "application/json", `{"user":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := client.New(srv.URL).Session(ctx)
			if !errors.Is(err, client.ErrUnexpectedResponse) {
				t.Errorf("Session() = %v, want ErrUnexpectedResponse", err)
			}
		})
	}
	t.Run("login without cookie", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"user":{"id":"usr_x"}}`))
		}))
		defer srv.Close()
		if _, err := client.New(srv.URL).Login(ctx, "a@example.com", "x"); !errors.Is(err, client.ErrUnexpectedResponse) {
			t.Errorf("Login() without a cookie = %v, want ErrUnexpectedResponse", err)
		}
	})
	for _, base := range []string{"", "127.0.0.1:8080", "ftp://example.com", "http://"} {
		t.Run("base "+base, func(t *testing.T) {
			_, err := client.New(base).Session(ctx)
			if err == nil || !strings.Contains(err.Error(), "not an absolute http(s) URL") {
				t.Errorf("New(%q).Session() = %v, want a bad-URL error", base, err)
			}
		})
	}
}

// TestHealthz protects Healthz, which `pome healthcheck` is: nil from a
// Pome server, an error from anything else that answers 200.
func TestHealthz(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	if err := client.New(s.URL).Healthz(t.Context()); err != nil {
		t.Errorf("Healthz() = %v, want nil", err)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"starting"}`))
	}))
	defer other.Close()
	if err := client.New(other.URL).Healthz(t.Context()); !errors.Is(err, client.ErrUnexpectedResponse) {
		t.Errorf("Healthz() of another server = %v, want ErrUnexpectedResponse", err)
	}
}

// TestErrorStatuses protects the envelope decoding for every status of
// The kind comes from the status (the one table of internal/httpapi, read
// backwards: the answers of the HTTP layer alone, 405, 413 and 415, are
// Invalid; an upstream's failure in gateway mode, 502 and 504, is
// Unavailable), the request id from the body or else the header.
func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		status int
		kind   pome.Kind
	}{
		{400, pome.Invalid}, {401, pome.Unauthenticated}, {403, pome.Forbidden}, {404, pome.NotFound},
		{405, pome.Invalid}, {409, pome.Conflict}, {413, pome.Invalid},
		{415, pome.Invalid}, {429, pome.RateLimited}, {500, pome.Internal},
		{503, pome.Unavailable}, {502, pome.Unavailable}, {504, pome.Unavailable}, {418, pome.Internal},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-Id", "req_fromheader")
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"error":{"message":"m","type":"t","code":"c"}}`))
			}))
			defer srv.Close()
			_, err := client.New(srv.URL).Members(t.Context())
			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("Members() = %v, want *client.Error", err)
			}
			if e.Kind() != tt.kind || e.Status != tt.status || e.RequestID != "req_fromheader" || e.Type != "t" {
				t.Errorf("status %d: %+v kind %v, want kind %v", tt.status, e, e.Kind(), tt.kind)
			}
			if got, want := e.Error(), "m (code c, request_id req_fromheader)"; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

// TestRequests protects what goes on the wire: the API key only to the
// public API, the session only to the management API, the cross-origin
// marker, ?team=, the user agent, and the caller's HTTP client.
func TestRequests(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]*http.Request{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = r.Clone(context.Background())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	var used int
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used++
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := client.New(srv.URL, client.WithAPIKey(" pme_key\n"), client.WithSession("tok"),
		client.WithUserAgent("test-agent/1"), client.WithHTTPClient(hc))
	ctx := t.Context()
	c.Me(ctx)
	c.ForTeam("acme").ListKeys(ctx, client.KeyListOptions{Status: "all"})
	c.Members(ctx)
	if used != 3 {
		t.Errorf("the given HTTP client sent %d requests, want 3", used)
	}
	if c.BaseURL() != srv.URL {
		t.Errorf("BaseURL() = %q", c.BaseURL())
	}

	me := seen["GET /v1/me"]
	if me.Header.Get("Authorization") != "Bearer pme_key" || me.Header.Get("Cookie") != "" {
		t.Errorf("GET /v1/me: Authorization %q, Cookie %q; want the key only", me.Header.Get("Authorization"), me.Header.Get("Cookie"))
	}
	keys := seen["GET /api/keys"]
	if keys.Header.Get("Authorization") != "" {
		t.Errorf("GET /api/keys carries the API key")
	}
	if ck, err := keys.Cookie("pome_session"); err != nil || ck.Value != "tok" {
		t.Errorf("GET /api/keys: cookie pome_session = %v, %v", ck, err)
	}
	if ck, err := keys.Cookie("__Host-pome_session"); err != nil || ck.Value != "tok" {
		t.Errorf("GET /api/keys: cookie __Host-pome_session = %v, %v", ck, err)
	}
	if got := keys.URL.RawQuery; got != "status=all&team=acme" {
		t.Errorf("GET /api/keys query = %q", got)
	}
	if keys.Header.Get("Sec-Fetch-Site") != "none" || keys.Header.Get("User-Agent") != "test-agent/1" {
		t.Errorf("GET /api/keys: Sec-Fetch-Site %q, User-Agent %q", keys.Header.Get("Sec-Fetch-Site"), keys.Header.Get("User-Agent"))
	}
	if q := seen["GET /api/team/members"].URL.RawQuery; q != "" {
		t.Errorf("the original client's query = %q, want none (ForTeam copies)", q)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ListKeys gives one page and its cursor; AllKeys follows every cursor, so
// a team with more keys than a page gets each key once, newest first, and
// stops at the first error.
func TestKeyPages(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	c := mustSignup(t, s, "alice@example.com", "Acme")
	ctx := t.Context()
	var want []string
	for i := range 120 {
		k, err := c.CreateKey(ctx, client.CreateKeyParams{Name: fmt.Sprintf("k%03d", i)})
		if err != nil {
			t.Fatalf("CreateKey = %v", err)
		}
		want = append([]string{k.ID}, want...)
		s.Clock.Advance(time.Millisecond)
	}
	first, err := c.ListKeys(ctx, client.KeyListOptions{Limit: 7})
	if err != nil || len(first.Keys) != 7 || first.Total != 120 || first.NextCursor == "" {
		t.Fatalf("ListKeys(limit 7) = %d keys of %d, next %q, %v; want 7 of 120 and a cursor", len(first.Keys), first.Total, first.NextCursor, err)
	}
	second, err := c.ListKeys(ctx, client.KeyListOptions{Limit: 7, Cursor: first.NextCursor})
	if err != nil || len(second.Keys) != 7 || second.Keys[0].ID != want[7] {
		t.Fatalf("ListKeys(second page) = %+v, %v; want 7 keys from %s", second, err, want[7])
	}
	var got []string
	for k, err := range c.AllKeys(ctx, "all") {
		if err != nil {
			t.Fatalf("AllKeys = %v", err)
		}
		got = append(got, k.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("AllKeys = %d keys %v, want %d %v", len(got), got, len(want), want)
	}
	for _, err := range c.AllKeys(ctx, "bogus") {
		mustAPIError(t, "AllKeys(bogus)", err, http.StatusBadRequest, "invalid_parameter")
	}
	_, err = c.ListKeys(ctx, client.KeyListOptions{Cursor: "bogus"})
	mustAPIError(t, "ListKeys(cursor bogus)", err, http.StatusBadRequest, "invalid_parameter")
}
