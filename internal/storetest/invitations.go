package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// newInvitation is an invitation of email to a's team with role, made by
// a's user at t0, valid for a day, of token.
func newInvitation(a account, email string, role pome.Role, token string) pome.Invitation {
	return pome.Invitation{ID: pome.NewID("inv_"), Digest: pome.DigestOf(token), TeamID: a.Team.ID, Email: email,
		Role: role, InvitedBy: a.User.ID, CreatedAt: t0, ExpiresAt: at(24 * time.Hour)}
}

func mustInvite(t *testing.T, s pome.Store, a account, inv pome.Invitation) {
	t.Helper()
	ev := userEvent(pome.AuditMemberInvited, inv.CreatedAt, a.User.ID, a.Team.ID, pome.TargetInvitation, inv.ID)
	if err := s.CreateInvitation(t.Context(), inv, ev); err != nil {
		t.Fatalf("CreateInvitation(%s) = %v, want nil", inv.Email, err)
	}
}

func invitationIDs(t *testing.T, s pome.Store, teamID string) []string {
	t.Helper()
	invs, err := s.Invitations(t.Context(), teamID)
	if err != nil {
		t.Fatalf("Invitations(%s) = %v, want nil", teamID, err)
	}
	ids := []string{}
	for _, inv := range invs {
		ids = append(ids, inv.ID)
	}
	return ids
}

func acceptEvent(a account, userID string, inv pome.Invitation, when time.Time) pome.AuditEvent {
	return userEvent(pome.AuditMemberAdded, when, userID, a.Team.ID, pome.TargetUser, userID).
		With(map[string]any{"invitation_id": inv.ID})
}

var invitationTests = []test{
	{"create, find by digest and list newest first", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		first := newInvitation(a, "bob@example.com", pome.RoleDeveloper, "tok-1")
		second := newInvitation(a, "carol@example.com", pome.RoleAdmin, "tok-2")
		second.CreatedAt = at(time.Minute)
		mustInvite(t, s, a, first)
		mustInvite(t, s, a, second)
		got, err := s.InvitationByDigest(t.Context(), pome.DigestOf("tok-2"))
		if err != nil || got.ID != second.ID || got.Email != second.Email || got.Role != pome.RoleAdmin || got.TeamID != a.Team.ID ||
			got.InvitedBy != a.User.ID || got.Digest != second.Digest || !sameTime(got.CreatedAt, second.CreatedAt) || !sameTime(got.ExpiresAt, second.ExpiresAt) {
			t.Errorf("InvitationByDigest = %+v, %v, want %+v", got, err, second)
		}
		if ids := invitationIDs(t, s, a.Team.ID); !slices.Equal(ids, []string{second.ID, first.ID}) {
			t.Errorf("Invitations = %v, want [%s %s]", ids, second.ID, first.ID)
		}
		b := mustAccount(t, s, "bravo")
		if ids := invitationIDs(t, s, b.Team.ID); len(ids) != 0 {
			t.Errorf("Invitations(another team) = %v, want none", ids)
		}
		_, err = s.InvitationByDigest(t.Context(), pome.DigestOf("unknown"))
		wantErr(t, "InvitationByDigest(unknown)", err, pome.ErrInvitationNotFound)
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 3 || evs[0].Action != pome.AuditMemberInvited || evs[0].TargetID != second.ID {
			t.Errorf("audit of acme = %v, want two member.invited after the signup", actions(evs))
		}
	}},
	{"a new invitation of the same email replaces the earlier one", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		old := newInvitation(a, "bob@example.com", pome.RoleViewer, "old")
		mustInvite(t, s, a, old)
		next := newInvitation(a, "bob@example.com", pome.RoleAdmin, "new")
		mustInvite(t, s, a, next)
		if ids := invitationIDs(t, s, a.Team.ID); !slices.Equal(ids, []string{next.ID}) {
			t.Errorf("Invitations = %v, want only the newest %s", ids, next.ID)
		}
		_, err := s.InvitationByDigest(t.Context(), old.Digest)
		wantErr(t, "InvitationByDigest(replaced)", err, pome.ErrInvitationNotFound)
		// The same email to another team is another invitation.
		b := mustAccount(t, s, "bravo")
		mustInvite(t, s, b, newInvitation(b, "bob@example.com", pome.RoleViewer, "other-team"))
		if ids := invitationIDs(t, s, a.Team.ID); len(ids) != 1 {
			t.Errorf("Invitations(acme) = %v after bravo's, want 1", ids)
		}
	}},
	{"an invitation to an unknown team writes nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		inv := newInvitation(a, "bob@example.com", pome.RoleViewer, "tok")
		inv.TeamID = pome.NewID("tm_")
		ev := userEvent(pome.AuditMemberInvited, t0, a.User.ID, inv.TeamID, pome.TargetInvitation, inv.ID)
		wantErr(t, "CreateInvitation(unknown team)", s.CreateInvitation(t.Context(), inv, ev), pome.ErrTeamNotFound)
		if evs := teamEvents(t, s, inv.TeamID); len(evs) != 0 {
			t.Errorf("audit of the unknown team = %v, want nothing", actions(evs))
		}
	}},
	{"DeleteInvitation removes the team's own, with its event; another team's is not found", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		inv := newInvitation(a, "carol@example.com", pome.RoleViewer, "tok")
		mustInvite(t, s, a, inv)
		ev := userEvent(pome.AuditInvitationRevoked, at(time.Minute), b.User.ID, b.Team.ID, pome.TargetInvitation, inv.ID)
		wantErr(t, "DeleteInvitation(another team's)", s.DeleteInvitation(t.Context(), b.Team.ID, inv.ID, ev), pome.ErrInvitationNotFound)
		wantErr(t, "DeleteInvitation(unknown)", s.DeleteInvitation(t.Context(), a.Team.ID, pome.NewID("inv_"), ev), pome.ErrInvitationNotFound)
		if evs := teamEvents(t, s, b.Team.ID); len(evs) != 1 {
			t.Errorf("audit of bravo = %v, want the signup only", actions(evs))
		}
		ev = userEvent(pome.AuditInvitationRevoked, at(time.Minute), a.User.ID, a.Team.ID, pome.TargetInvitation, inv.ID)
		if err := s.DeleteInvitation(t.Context(), a.Team.ID, inv.ID, ev); err != nil {
			t.Fatalf("DeleteInvitation = %v, want nil", err)
		}
		if ids := invitationIDs(t, s, a.Team.ID); len(ids) != 0 {
			t.Errorf("Invitations after revoke = %v, want none", ids)
		}
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 3 || !sameEvent(evs[0], ev) {
			t.Errorf("audit of acme = %v, want newest %+v", actions(evs), ev)
		}
		_, err := s.InvitationByDigest(t.Context(), inv.Digest)
		wantErr(t, "InvitationByDigest(revoked)", err, pome.ErrInvitationNotFound)
	}},
	{"AcceptInvitation adds the member, consumes the invitation, appends the event", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		inv := newInvitation(a, b.User.Email, pome.RoleDeveloper, "tok")
		mustInvite(t, s, a, inv)
		ev := acceptEvent(a, b.User.ID, inv, at(time.Hour))
		role, err := s.AcceptInvitation(t.Context(), inv.Digest, b.User.ID, at(time.Hour), ev)
		if err != nil || role != pome.RoleDeveloper {
			t.Fatalf("AcceptInvitation = %q, %v, want developer", role, err)
		}
		if m, err := s.Member(t.Context(), a.Team.ID, b.User.ID); err != nil || m.Role != pome.RoleDeveloper || !sameTime(m.JoinedAt, at(time.Hour)) {
			t.Errorf("Member(acme, bravo) = %+v, %v, want a developer joined at %v", m, err, at(time.Hour))
		}
		if ids := invitationIDs(t, s, a.Team.ID); len(ids) != 0 {
			t.Errorf("Invitations after accept = %v, want none", ids)
		}
		evs := teamEvents(t, s, a.Team.ID)
		want := ev.With(map[string]any{"invitation_id": inv.ID, "role": "developer"})
		if len(evs) != 3 || !sameEvent(evs[0], want) {
			t.Errorf("audit of acme = %+v, want newest %+v", evs, want)
		}
		_, err = s.AcceptInvitation(t.Context(), inv.Digest, b.User.ID, at(time.Hour), acceptEvent(a, b.User.ID, inv, at(time.Hour)))
		wantErr(t, "AcceptInvitation(used)", err, pome.ErrInvitationNotFound)
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 3 {
			t.Errorf("audit of acme after a second accept = %v, want nothing more", actions(evs))
		}
	}},
	{"AcceptInvitation refuses an expired invitation and an unknown user, and changes nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		inv := newInvitation(a, b.User.Email, pome.RoleDeveloper, "tok")
		mustInvite(t, s, a, inv)
		_, err := s.AcceptInvitation(t.Context(), inv.Digest, b.User.ID, inv.ExpiresAt, acceptEvent(a, b.User.ID, inv, inv.ExpiresAt))
		wantErr(t, "AcceptInvitation(at its expiry)", err, pome.ErrInvitationNotFound)
		nobody := pome.NewID("usr_")
		_, err = s.AcceptInvitation(t.Context(), inv.Digest, nobody, t0, acceptEvent(a, nobody, inv, t0))
		wantErr(t, "AcceptInvitation(unknown user)", err, pome.ErrUserNotFound)
		if _, err := s.Member(t.Context(), a.Team.ID, b.User.ID); !errors.Is(err, pome.ErrMemberNotFound) {
			t.Errorf("Member(acme, bravo) = %v, want member_not_found", err)
		}
		if ids := invitationIDs(t, s, a.Team.ID); len(ids) != 1 {
			t.Errorf("Invitations = %v, want the refused one kept", ids)
		}
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 2 {
			t.Errorf("audit of acme = %v, want signup and member.invited only", actions(evs))
		}
	}},
	{"AcceptInvitation keeps a higher role and raises a lower one", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		admin := mustAccount(t, s, "bravo")
		viewer := mustAccount(t, s, "charlie")
		mustAddMember(t, s, a, admin, pome.RoleAdmin, t0)
		mustAddMember(t, s, a, viewer, pome.RoleViewer, t0)
		for _, c := range []struct {
			who        account
			want       pome.Role
			newChanges int
		}{{admin, pome.RoleAdmin, 0}, {viewer, pome.RoleDeveloper, 1}} {
			inv := newInvitation(a, c.who.User.Email, pome.RoleDeveloper, "tok-"+c.who.Team.Slug)
			mustInvite(t, s, a, inv)
			before := len(mustChanges(t, s, 0, 100))
			role, err := s.AcceptInvitation(t.Context(), inv.Digest, c.who.User.ID, at(time.Hour), acceptEvent(a, c.who.User.ID, inv, at(time.Hour)))
			if err != nil || role != c.want {
				t.Errorf("AcceptInvitation(%s) = %q, %v, want %s", c.who.Team.Slug, role, err, c.want)
			}
			if m, err := s.Member(t.Context(), a.Team.ID, c.who.User.ID); err != nil || m.Role != c.want {
				t.Errorf("Member(acme, %s) = %+v, %v, want %s", c.who.Team.Slug, m, err, c.want)
			}
			cs := mustChanges(t, s, 0, 100)
			if len(cs)-before != c.newChanges {
				t.Errorf("AcceptInvitation(%s) appended %d changes, want %d", c.who.Team.Slug, len(cs)-before, c.newChanges)
			} else if c.newChanges == 1 && (cs[len(cs)-1].Kind != pome.ChangeMemberUpdated || cs[len(cs)-1].UserID != c.who.User.ID) {
				t.Errorf("the change of a raised role = %+v, want member_updated of %s", cs[len(cs)-1], c.who.User.ID)
			}
			if evs := teamEvents(t, s, a.Team.ID); evs[0].Action != pome.AuditMemberAdded || evs[0].Details["role"] != string(c.want) {
				t.Errorf("newest event of acme = %+v, want member.added with role %s", evs[0], c.want)
			}
		}
	}},
	{"AcceptInvitation: of concurrent accepts one wins", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		inv := newInvitation(a, b.User.Email, pome.RoleViewer, "tok")
		mustInvite(t, s, a, inv)
		const n = 8
		errs := run(n, func(int) error {
			_, err := s.AcceptInvitation(t.Context(), inv.Digest, b.User.ID, at(time.Hour), acceptEvent(a, b.User.ID, inv, at(time.Hour)))
			return err
		})
		if len(errs) != n-1 {
			t.Fatalf("%d concurrent accepts: %d failed (%v), want all but one", n, len(errs), errs)
		}
		for _, err := range errs {
			wantErr(t, "AcceptInvitation(lost the race)", err, pome.ErrInvitationNotFound)
		}
		added := 0
		for _, ev := range teamEvents(t, s, a.Team.ID) {
			if ev.Action == pome.AuditMemberAdded {
				added++
			}
		}
		if added != 1 {
			t.Errorf("member.added events = %d, want 1", added)
		}
	}},
}
