package account_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/pometest"
)

func mustInvite(t *testing.T, s *account.Service, m pome.Member, email string, role pome.Role) string {
	t.Helper()
	token, _, err := s.Invite(t.Context(), m, email, role)
	if err != nil {
		t.Fatalf("Invite(%s, %s) = %v", email, role, err)
	}
	return token
}

// Who may invite whom: owners any role, admins developers and viewers,
// developers and viewers nobody; someone already a member is refused (409),
// an address without an account is invited like any other (no answer tells
// which addresses have one). An invitation is stored lower-cased, as a
// digest, expiring in 7 days, and audited with its email, role and expiry;
// a refusal stores and records nothing.
func TestInvite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := newTeam(t, w)
	for _, c := range []struct {
		actor, email string // email: "outsider" (erin), " OUTSIDER " (hers, in capitals and spaces), "developer" (carol), or as is
		role         pome.Role
		code         string
	}{
		{"owner", "outsider", pome.RoleOwner, ""},
		{"owner", "outsider", pome.RoleAdmin, ""},
		{"admin", "outsider", pome.RoleDeveloper, ""},
		{"admin", " OUTSIDER ", pome.RoleViewer, ""},
		{"owner", "nobody@example.com", pome.RoleViewer, ""},
		{"admin", "outsider", pome.RoleAdmin, "insufficient_permissions"},
		{"admin", "outsider", pome.RoleOwner, "insufficient_permissions"},
		{"developer", "outsider", pome.RoleViewer, "insufficient_permissions"},
		{"viewer", "outsider", pome.RoleViewer, "insufficient_permissions"},
		{"owner", "developer", pome.RoleViewer, "already_member"},
		{"owner", " ", pome.RoleViewer, "missing_required_parameter"},
		{"owner", "not an email", pome.RoleViewer, "invalid_parameter"},
		{"owner", "bob\x00@example.com", pome.RoleViewer, "invalid_parameter"},
		{"owner", "outsider", "", "missing_required_parameter"},
		{"owner", "outsider", "root", "invalid_parameter"},
	} {
		t.Run(fmt.Sprintf("%s invites %q as %q", c.actor, c.email, c.role), func(t *testing.T) {
			actor, teamID := tm.byName(c.actor), tm.owner.Team.ID
			email := c.email
			switch c.email {
			case "outsider":
				email = tm.outsider.Email
			case " OUTSIDER ":
				email = " " + strings.ToUpper(tm.outsider.Email) + " "
			case "developer":
				email = tm.dev.User.Email
			}
			before := len(events(t, tm.db, teamID, pome.AuditMemberInvited))
			token, inv, err := tm.s.Invite(t.Context(), actor, email, c.role)
			if code(err) != c.code {
				t.Fatalf("Invite(%q, %q) by %s = %v, want code %q", email, c.role, c.actor, err, c.code)
			}
			evs := events(t, tm.db, teamID, pome.AuditMemberInvited)
			if c.code != "" {
				if len(evs) != before || token != "" {
					t.Errorf("a refused Invite recorded %d events and token %q, want nothing", len(evs)-before, token)
				}
				return
			}
			want := strings.ToLower(strings.TrimSpace(email))
			if inv.Email != want || inv.Role != c.role || inv.TeamID != teamID || inv.InvitedBy != actor.User.ID ||
				!strings.HasPrefix(inv.ID, "inv_") || inv.Digest != pome.DigestOf(token) ||
				inv.ExpiresAt.Sub(inv.CreatedAt) != account.InvitationLifetime || !inv.CreatedAt.Equal(w.clock.Now()) {
				t.Errorf("Invite = %+v, want %s as %s by %s, expiring in 7 days", inv, want, c.role, actor.User.ID)
			}
			if len(evs) != before+1 {
				t.Fatalf("member.invited events = %d, want one more", len(evs)-before)
			}
			ev := evs[0]
			if ev.ActorID != actor.User.ID || ev.TargetType != pome.TargetInvitation || ev.TargetID != inv.ID ||
				ev.Details["email"] != want || ev.Details["role"] != string(c.role) || ev.Details["expires_at"] != inv.ExpiresAt.Format(time.RFC3339) {
				t.Errorf("event = %+v, want by %s on %s with email, role and expiry", ev, actor.User.ID, inv.ID)
			}
			if p, err := tm.s.Invitation(t.Context(), token); err != nil || p.Invitation.ID != inv.ID || p.Team.ID != teamID {
				t.Errorf("Invitation(token) = %+v, %v, want %s of %s", p, err, inv.ID, tm.slug)
			}
		})
	}
}

// A second invitation of an address replaces the first: only the newest
// link works, and the list holds one.
func TestInviteReplaces(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := newTeam(t, w)
	first := mustInvite(t, tm.s, tm.owner, tm.outsider.Email, pome.RoleViewer)
	second := mustInvite(t, tm.s, tm.owner, tm.outsider.Email, pome.RoleDeveloper)
	if _, err := tm.s.Accept(t.Context(), tm.outsider, first); code(err) != "invitation_not_found" {
		t.Errorf("Accept(the replaced link) = %v, want invitation_not_found", err)
	}
	if invs, err := tm.s.Invitations(t.Context(), tm.owner); err != nil || len(invs) != 1 || invs[0].Role != pome.RoleDeveloper {
		t.Errorf("Invitations = %+v, %v, want the newest only", invs, err)
	}
	if j, err := tm.s.Accept(t.Context(), tm.outsider, second); err != nil || j.Role != pome.RoleDeveloper || j.Team.Slug != tm.slug {
		t.Errorf("Accept(the newest link) = %+v, %v, want developer of %s", j, err, tm.slug)
	}
}

// Accepting: only as the invited address (403 invitation_email_mismatch,
// nothing changes), before it expires, once; the member joins with the
// invitation's role, audited with the invitation's id.
func TestAccept(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := newTeam(t, w)
	token := mustInvite(t, tm.s, tm.owner, tm.outsider.Email, pome.RoleDeveloper)
	_, err := tm.s.Accept(t.Context(), tm.dev.User, token)
	if code(err) != "invitation_email_mismatch" || pome.AsError(err).Kind != pome.Forbidden {
		t.Fatalf("Accept as another user = %v, want 403 invitation_email_mismatch", err)
	}
	for name, tok := range map[string]string{"unknown": pome.NewSessionToken(), "empty": "", "NUL": "a\x00b"} {
		if _, err := tm.s.Accept(t.Context(), tm.outsider, tok); code(err) != "invitation_not_found" {
			t.Errorf("Accept(%s token) = %v, want invitation_not_found", name, err)
		}
	}
	if role := roleIn(t, tm.db, tm.owner.Team.ID, tm.outsider.ID); role != "" {
		t.Fatalf("erin after refused accepts: %s, want no member", role)
	}
	j, err := tm.s.Accept(t.Context(), tm.outsider, token)
	if err != nil || j.Role != pome.RoleDeveloper || j.Team.ID != tm.owner.Team.ID {
		t.Fatalf("Accept = %+v, %v, want developer of %s", j, err, tm.slug)
	}
	if role := roleIn(t, tm.db, tm.owner.Team.ID, tm.outsider.ID); role != pome.RoleDeveloper {
		t.Errorf("erin's stored role = %q, want developer", role)
	}
	ev := events(t, tm.db, tm.owner.Team.ID, pome.AuditMemberAdded)[0]
	if ev.ActorID != tm.outsider.ID || ev.TargetID != tm.outsider.ID || ev.Details["role"] != "developer" ||
		!strings.HasPrefix(fmt.Sprint(ev.Details["invitation_id"]), "inv_") {
		t.Errorf("member.added = %+v, want by and on erin, developer, with the invitation id", ev)
	}
	if _, err := tm.s.Accept(t.Context(), tm.outsider, token); code(err) != "invitation_not_found" {
		t.Errorf("Accept(used) = %v, want invitation_not_found", err)
	}
}

// An invitation works for 7 days on the service's clock, and no longer; an
// expired one is not listed either.
func TestAcceptExpired(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := newTeam(t, w)
	token := mustInvite(t, tm.s, tm.owner, tm.outsider.Email, pome.RoleViewer)
	w.clock.Advance(account.InvitationLifetime)
	if _, err := tm.s.Invitation(t.Context(), token); code(err) != "invitation_not_found" {
		t.Errorf("Invitation after 7 days = %v, want invitation_not_found", err)
	}
	if _, err := tm.s.Accept(t.Context(), tm.outsider, token); code(err) != "invitation_not_found" {
		t.Errorf("Accept after 7 days = %v, want invitation_not_found", err)
	}
	if invs, err := tm.s.Invitations(t.Context(), tm.owner); err != nil || len(invs) != 0 {
		t.Errorf("Invitations after 7 days = %+v, %v, want none", invs, err)
	}
}

// A member already keeps a higher role when they accept an invitation of a
// lower one (they joined meanwhile, as admin).
func TestAcceptKeepsHigherRole(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := newTeam(t, w)
	token := mustInvite(t, tm.s, tm.owner, tm.outsider.Email, pome.RoleViewer)
	// She joins as an admin by another invitation, which replaces the
	// viewer one in the store: token is stored again, as the pending one.
	pometest.Join(t, tm.db, tm.owner.Team.ID, tm.outsider, pome.RoleAdmin, w.clock.Now())
	inv := pome.Invitation{ID: pome.NewID("inv_"), Digest: pome.DigestOf(token), TeamID: tm.owner.Team.ID, Email: tm.outsider.Email,
		Role: pome.RoleViewer, InvitedBy: tm.owner.User.ID, CreatedAt: w.clock.Now(), ExpiresAt: w.clock.Now().Add(time.Hour)}
	if err := tm.db.CreateInvitation(t.Context(), inv, pometest.Event(pome.AuditMemberInvited)); err != nil {
		t.Fatal(err)
	}
	if j, err := tm.s.Accept(t.Context(), tm.outsider, token); err != nil || j.Role != pome.RoleAdmin {
		t.Errorf("Accept(viewer) as an admin = %+v, %v, want admin kept", j, err)
	}
	if role := roleIn(t, tm.db, tm.owner.Team.ID, tm.outsider.ID); role != pome.RoleAdmin {
		t.Errorf("erin's stored role = %q, want admin", role)
	}
}

// Of concurrent accepts of one link, one joins and the others are refused.
func TestAcceptConcurrent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := newTeam(t, w)
	token := mustInvite(t, tm.s, tm.owner, tm.outsider.Email, pome.RoleViewer)
	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := tm.s.Accept(t.Context(), tm.outsider, token)
			errs <- err
		}()
	}
	ok := 0
	for range n {
		switch err := <-errs; code(err) {
		case "":
			ok++
		case "invitation_not_found":
		default:
			t.Errorf("Accept = %v, want success or invitation_not_found", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent accepts succeeded, want 1", ok, n)
	}
	var added int
	for _, ev := range events(t, tm.db, tm.owner.Team.ID, pome.AuditMemberAdded) {
		if ev.TargetID == tm.outsider.ID {
			added++
		}
	}
	if added != 1 {
		t.Errorf("member.added events of erin = %d, want 1", added)
	}
}

// Listing and revoking are for owners and admins; admins revoke the
// invitations of roles they may give; another team's invitation and an
// unknown id are invitation_not_found; a revoked link no longer works, and
// the revocation is audited.
func TestRevokeInvitation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := newTeam(t, w)
	other := newTeam(t, w)
	_, adminInv, err := tm.s.Invite(t.Context(), tm.owner, "boss@example.com", pome.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Second)
	token, devInv, err := tm.s.Invite(t.Context(), tm.admin, "new@example.com", pome.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		actor pome.Member
		id    string
		code  string
	}{
		{"developer lists none", tm.dev, devInv.ID, "insufficient_permissions"},
		{"viewer", tm.viewer, devInv.ID, "insufficient_permissions"},
		{"admin, an admin's invitation", tm.admin, adminInv.ID, "insufficient_permissions"},
		{"another team's owner", other.owner, devInv.ID, "invitation_not_found"},
		{"unknown id", tm.owner, pome.NewID("inv_"), "invitation_not_found"},
		{"malformed id", tm.owner, "inv_../x", "invitation_not_found"},
	} {
		if err := tm.s.RevokeInvitation(t.Context(), c.actor, c.id); code(err) != c.code {
			t.Errorf("%s: RevokeInvitation = %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := tm.s.Invitations(t.Context(), tm.dev); code(err) != "insufficient_permissions" {
		t.Errorf("Invitations as a developer = %v, want insufficient_permissions", err)
	}
	if invs, err := tm.s.Invitations(t.Context(), tm.admin); err != nil || len(invs) != 2 || invs[0].ID != devInv.ID {
		t.Fatalf("Invitations = %+v, %v, want both, newest first", invs, err)
	}
	if err := tm.s.RevokeInvitation(t.Context(), tm.admin, devInv.ID); err != nil {
		t.Fatalf("RevokeInvitation = %v", err)
	}
	if _, err := tm.s.Invitation(t.Context(), token); code(err) != "invitation_not_found" {
		t.Errorf("Invitation(revoked) = %v, want invitation_not_found", err)
	}
	evs := events(t, tm.db, tm.owner.Team.ID, pome.AuditInvitationRevoked)
	if len(evs) != 1 || evs[0].TargetID != devInv.ID || evs[0].ActorID != tm.admin.User.ID || evs[0].Details["email"] != "new@example.com" {
		t.Errorf("invitation.revoked events = %+v, want one by the admin on %s", evs, devInv.ID)
	}
}

// Signing up through an invitation joins its team at once, even with
// signup closed, but only for the invited address: another creates no
// account.
func TestSignupInvited(t *testing.T) {
	t.Parallel()
	s, db, c := newService(t, account.Config{SignupOpen: true})
	owner := mustMember(t, s, mustSignup(t, s, "alice@example.com", "acme").User, "acme")
	closed := account.New(db, account.Config{SignupOpen: false, PasswordCost: pometest.PasswordCost}, c.Now)
	token := mustInvite(t, s, owner, "Newbie@Example.com", pome.RoleDeveloper)
	if _, err := closed.Signup(t.Context(), "newbie@example.com", "correct horse battery", ""); code(err) != "signup_closed" {
		t.Fatalf("Signup without an invitation, closed = %v, want signup_closed", err)
	}
	if _, _, err := closed.SignupInvited(t.Context(), "other@example.com", "correct horse battery", "", token); code(err) != "invitation_email_mismatch" {
		t.Errorf("SignupInvited(another email) = %v, want invitation_email_mismatch", err)
	}
	if _, err := db.UserByEmail(t.Context(), "other@example.com"); code(err) != "user_not_found" {
		t.Errorf("UserByEmail(other) after a refused signup = %v, want user_not_found", err)
	}
	if _, _, err := closed.SignupInvited(t.Context(), "newbie@example.com", "correct horse battery", "", "nope"); code(err) != "invitation_not_found" {
		t.Errorf("SignupInvited(unknown token) = %v, want invitation_not_found", err)
	}
	in, joined, err := closed.SignupInvited(t.Context(), " NEWBIE@example.com", "correct horse battery", "", token)
	if err != nil || in.Token == "" || joined.Team.ID != owner.Team.ID || joined.Role != pome.RoleDeveloper {
		t.Fatalf("SignupInvited = %+v, %+v, %v; want signed in, developer of acme", in, joined, err)
	}
	if m, err := closed.Member(t.Context(), in.User, "acme"); err != nil || m.Role != pome.RoleDeveloper {
		t.Errorf("Member(newbie, acme) = %+v, %v, want developer", m, err)
	}
}
