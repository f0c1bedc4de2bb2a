package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// mustAddMember makes b's user a member of a's team with role at when, as
// Pome does: a's user invites b's, who accepts (member.invited, then
// member.added).
func mustAddMember(t *testing.T, s pome.Store, a, b account, role pome.Role, when time.Time) {
	t.Helper()
	token := pome.NewSessionToken()
	inv := newInvitation(a, b.User.Email, role, token)
	inv.CreatedAt, inv.ExpiresAt = when, when.Add(24*time.Hour)
	mustInvite(t, s, a, inv)
	if _, err := s.AcceptInvitation(t.Context(), inv.Digest, b.User.ID, when, acceptEvent(a, b.User.ID, inv, when)); err != nil {
		t.Fatalf("AcceptInvitation(%s, %s, %s) = %v, want nil", a.Team.Slug, b.User.Email, role, err)
	}
}

// teamEvents returns every audit event of a team, newest first.
func teamEvents(t *testing.T, s pome.Store, teamID string) []pome.AuditEvent {
	t.Helper()
	evs, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: teamID, Limit: 1000})
	if err != nil {
		t.Fatalf("AuditEvents(%s) = %v, want nil", teamID, err)
	}
	return evs
}

// actions lists the actions of events, in order.
func actions(evs []pome.AuditEvent) []string {
	as := make([]string, len(evs))
	for i, e := range evs {
		as[i] = e.Action
	}
	return as
}

var memberTests = []test{
	{"a member added: Members, Member and Memberships", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleDeveloper, at(time.Hour))
		ms, err := s.Members(t.Context(), a.Team.ID)
		if err != nil || len(ms) != 2 {
			t.Fatalf("Members(acme) = %+v, %v, want 2 members", ms, err)
		}
		if ms[0].User.ID != a.User.ID || ms[0].Role != pome.RoleOwner || !sameTime(ms[0].JoinedAt, t0) {
			t.Errorf("Members(acme)[0] = %+v, want the owner %s joined at %v", ms[0], a.User.ID, t0)
		}
		if ms[1].User.ID != b.User.ID || ms[1].User.Email != b.User.Email || ms[1].Role != pome.RoleDeveloper ||
			!sameTime(ms[1].JoinedAt, at(time.Hour)) || ms[1].User.PasswordHash != "" {
			t.Errorf("Members(acme)[1] = %+v, want developer %s joined at %v, no password hash", ms[1], b.User.ID, at(time.Hour))
		}
		m, err := s.Member(t.Context(), a.Team.ID, b.User.ID)
		if err != nil || m.Role != pome.RoleDeveloper || m.User.ID != b.User.ID {
			t.Errorf("Member(acme, bob) = %+v, %v, want developer", m, err)
		}
		// Membership shows on the user's side too, after their own team.
		ships, err := s.Memberships(t.Context(), b.User.ID)
		if err != nil || len(ships) != 2 || ships[1].Team.ID != a.Team.ID || ships[1].Role != pome.RoleDeveloper {
			t.Errorf("Memberships(bob) = %+v, %v, want [bravo owner, acme developer]", ships, err)
		}
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 3 || evs[0].Action != pome.AuditMemberAdded || evs[0].TargetID != b.User.ID {
			t.Errorf("audit of acme = %v, want bob's member.invited and member.added", actions(evs))
		}
	}},
	{"Member not found", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		_, err := s.Member(t.Context(), a.Team.ID, b.User.ID)
		wantErr(t, "Member(other team's user)", err, pome.ErrMemberNotFound)
		_, err = s.Member(t.Context(), a.Team.ID, pome.NewID("usr_"))
		wantErr(t, "Member(unknown user)", err, pome.ErrMemberNotFound)
	}},
	{"SetMemberRole changes the role, logs a change and the event", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleAdmin, t0)
		ev := userEvent(pome.AuditMemberRoleChanged, at(time.Hour), a.User.ID, a.Team.ID, pome.TargetUser, b.User.ID).
			With(map[string]any{"old_role": "admin", "new_role": "viewer"})
		if err := s.SetMemberRole(t.Context(), a.Team.ID, b.User.ID, pome.RoleAdmin, pome.RoleViewer, at(time.Hour), ev); err != nil {
			t.Fatalf("SetMemberRole = %v, want nil", err)
		}
		if m, err := s.Member(t.Context(), a.Team.ID, b.User.ID); err != nil || m.Role != pome.RoleViewer {
			t.Errorf("Member(acme, bob) = %+v, %v, want viewer", m, err)
		}
		cs := mustChanges(t, s, 0, 10)
		want := pome.Change{Kind: pome.ChangeMemberUpdated, TeamID: a.Team.ID, UserID: b.User.ID, At: at(time.Hour)}
		if len(cs) != 1 || !sameChange(cs[0], want) || cs[0].UserID != b.User.ID {
			t.Errorf("Changes(0, 10) = %+v, want [%+v]", cs, want)
		}
		evs := teamEvents(t, s, a.Team.ID)
		if len(evs) != 4 || !sameEvent(evs[0], ev) {
			t.Errorf("audit of acme = %+v, want newest %+v", evs, ev)
		}
	}},
	{"KeyByDigest reports the creator's current role", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleAdmin, t0)
		k := newKey(a, "by bob", t0)
		k.CreatedBy, k.Role = b.User.ID, pome.RoleAdmin
		mustCreateKey(t, s, k)
		if o, err := s.KeyByDigest(t.Context(), k.Digest); err != nil || o.CreatorRole != pome.RoleAdmin {
			t.Fatalf("KeyByDigest(bob's key).CreatorRole = %q, %v, want admin", o.CreatorRole, err)
		}
		ev := sysEvent(pome.AuditMemberRoleChanged, t0)
		if err := s.SetMemberRole(t.Context(), a.Team.ID, b.User.ID, pome.RoleAdmin, pome.RoleViewer, t0, ev); err != nil {
			t.Fatal(err)
		}
		if o, err := s.KeyByDigest(t.Context(), k.Digest); err != nil || o.CreatorRole != pome.RoleViewer || o.Key.Role != pome.RoleAdmin {
			t.Errorf("KeyByDigest(bob's key) = role %q, creator %q, %v, want key admin, creator viewer", o.Key.Role, o.CreatorRole, err)
		}
		ev = sysEvent(pome.AuditMemberRemoved, t0)
		if _, err := s.RemoveMember(t.Context(), a.Team.ID, b.User.ID, pome.RoleViewer, t0, ev); err != nil {
			t.Fatal(err)
		}
		if o, err := s.KeyByDigest(t.Context(), k.Digest); err != nil || o.CreatorRole != "" {
			t.Errorf("KeyByDigest(key of a removed member).CreatorRole = %q, %v, want empty", o.CreatorRole, err)
		}
	}},
	{"SetMemberRole refusals write nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleDeveloper, t0)
		ev := sysEvent(pome.AuditMemberRoleChanged, t0)
		ctx := t.Context()
		wantErr(t, "SetMemberRole(last owner to admin)", s.SetMemberRole(ctx, a.Team.ID, a.User.ID, pome.RoleOwner, pome.RoleAdmin, t0, ev), pome.ErrLastOwner)
		wantErr(t, "SetMemberRole(stale from)", s.SetMemberRole(ctx, a.Team.ID, b.User.ID, pome.RoleViewer, pome.RoleAdmin, t0, ev), pome.ErrConcurrentChange)
		wantErr(t, "SetMemberRole(not a member)", s.SetMemberRole(ctx, b.Team.ID, a.User.ID, pome.RoleOwner, pome.RoleAdmin, t0, ev), pome.ErrMemberNotFound)
		if m, _ := s.Member(ctx, a.Team.ID, a.User.ID); m.Role != pome.RoleOwner {
			t.Errorf("Member(acme, alice).Role = %q, want owner still", m.Role)
		}
		if cs := mustChanges(t, s, 0, 10); len(cs) != 0 {
			t.Errorf("Changes after refused role changes = %+v, want none", cs)
		}
		// One transaction: a refused change leaves no audit event.
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 3 || evs[0].Action != pome.AuditMemberAdded {
			t.Errorf("audit of acme = %v, want signup, member.invited and member.added only", actions(evs))
		}
	}},
	{"an owner may step down while another owner remains", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleOwner, t0)
		if err := s.SetMemberRole(t.Context(), a.Team.ID, a.User.ID, pome.RoleOwner, pome.RoleDeveloper, t0, sysEvent(pome.AuditMemberRoleChanged, t0)); err != nil {
			t.Fatalf("SetMemberRole(one of two owners to developer) = %v, want nil", err)
		}
		wantErr(t, "SetMemberRole(now the last owner)", s.SetMemberRole(t.Context(), a.Team.ID, b.User.ID, pome.RoleOwner, pome.RoleAdmin, t0, sysEvent(pome.AuditMemberRoleChanged, t0)), pome.ErrLastOwner)
		_, err := s.RemoveMember(t.Context(), a.Team.ID, b.User.ID, pome.RoleOwner, t0, sysEvent(pome.AuditMemberRemoved, t0))
		wantErr(t, "RemoveMember(the last owner)", err, pome.ErrLastOwner)
	}},
	{"two owners demoting each other at once: one wins", func(t *testing.T, s pome.Store) {
		for round := range 10 {
			a := mustAccount(t, s, fmt.Sprint("acme", round))
			b := mustAccount(t, s, fmt.Sprint("bravo", round))
			mustAddMember(t, s, a, b, pome.RoleOwner, t0)
			users := []string{a.User.ID, b.User.ID}
			errs := run(2, func(w int) error {
				return s.SetMemberRole(t.Context(), a.Team.ID, users[w], pome.RoleOwner, pome.RoleAdmin, t0, sysEvent(pome.AuditMemberRoleChanged, t0))
			})
			if len(errs) != 1 || !isErr(errs[0], pome.ErrLastOwner) {
				t.Fatalf("round %d: concurrent demotions = %v, want exactly one ErrLastOwner", round, errs)
			}
			ms, _ := s.Members(t.Context(), a.Team.ID)
			owners := 0
			for _, m := range ms {
				if m.Role == pome.RoleOwner {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("round %d: owners after the race = %d, want 1", round, owners)
			}
		}
	}},
	{"two owners removing each other at once: one wins", func(t *testing.T, s pome.Store) {
		for round := range 10 {
			a := mustAccount(t, s, fmt.Sprint("acme", round))
			b := mustAccount(t, s, fmt.Sprint("bravo", round))
			mustAddMember(t, s, a, b, pome.RoleOwner, t0)
			users := []string{a.User.ID, b.User.ID}
			errs := run(2, func(w int) error {
				_, err := s.RemoveMember(t.Context(), a.Team.ID, users[w], pome.RoleOwner, t0, sysEvent(pome.AuditMemberRemoved, t0))
				return err
			})
			if len(errs) != 1 || !isErr(errs[0], pome.ErrLastOwner) {
				t.Fatalf("round %d: concurrent removals = %v, want exactly one ErrLastOwner", round, errs)
			}
			if ms, _ := s.Members(t.Context(), a.Team.ID); len(ms) != 1 || ms[0].Role != pome.RoleOwner {
				t.Fatalf("round %d: members after the race = %+v, want one owner", round, ms)
			}
		}
	}},
	{"RemoveMember revokes exactly the keys of that team the member created or was issued", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleDeveloper, t0)
		byBob := func(acc account, name string) pome.Key {
			k := newKey(acc, name, t0)
			k.CreatedBy = b.User.ID
			return mustCreateKey(t, s, k)
		}
		bob1, bob2 := byBob(a, "bob 1"), byBob(a, "bob 2")
		bobRevoked := byBob(a, "bob revoked")
		if _, err := s.RevokeKey(t.Context(), a.Team.ID, bobRevoked.ID, at(time.Minute), sysEvent(pome.AuditKeyRevoked, t0)); err != nil {
			t.Fatal(err)
		}
		alices := mustKey(t, s, a, "alice's", t0)
		// Alice's key that bob rolled: he holds its plaintext.
		issued := newKey(a, "alice's, rolled by bob", t0)
		issued.IssuedTo = b.User.ID
		mustCreateKey(t, s, issued)
		bobsOwnTeam := byBob(b, "bob in bravo")
		seq, _ := s.LastChange(t.Context())

		ev := userEvent(pome.AuditMemberRemoved, at(time.Hour), a.User.ID, a.Team.ID, pome.TargetUser, b.User.ID).
			With(map[string]any{"role": "developer"})
		revoked, err := s.RemoveMember(t.Context(), a.Team.ID, b.User.ID, pome.RoleDeveloper, at(time.Hour), ev)
		want := []string{bob1.ID, bob2.ID, issued.ID}
		slices.Sort(want)
		if err != nil || !slices.Equal(revoked, want) {
			t.Fatalf("RemoveMember(bob) = %v, %v, want %v", revoked, err, want)
		}
		for _, k := range []pome.Key{bob1, bob2, issued} {
			if got := mustKeyByID(t, s, a.Team.ID, k.ID); !sameTimePtr(got.RevokedAt, ptr(at(time.Hour))) {
				t.Errorf("KeyByID(%s).RevokedAt = %s, want %v", k.Name, fmtTime(got.RevokedAt), at(time.Hour))
			}
		}
		if got := mustKeyByID(t, s, a.Team.ID, bobRevoked.ID); !sameTimePtr(got.RevokedAt, ptr(at(time.Minute))) {
			t.Errorf("KeyByID(already revoked).RevokedAt = %s, want the first revocation", fmtTime(got.RevokedAt))
		}
		for _, k := range []pome.Key{alices, bobsOwnTeam} {
			if got := mustKeyByID(t, s, k.TeamID, k.ID); got.RevokedAt != nil {
				t.Errorf("KeyByID(%s).RevokedAt = %s, want nil", k.Name, fmtTime(got.RevokedAt))
			}
		}
		if _, err := s.Member(t.Context(), a.Team.ID, b.User.ID); !isErr(err, pome.ErrMemberNotFound) {
			t.Errorf("Member(removed) = %v, want ErrMemberNotFound", err)
		}
		// The change log names every revoked key and the member.
		var gotKeys []string
		var member bool
		for _, c := range mustChanges(t, s, seq, 10) {
			switch c.Kind {
			case pome.ChangeKeyRevoked:
				gotKeys = append(gotKeys, c.KeyID)
			case pome.ChangeMemberUpdated:
				member = c.UserID == b.User.ID && c.TeamID == a.Team.ID
			}
		}
		slices.Sort(gotKeys)
		if !slices.Equal(gotKeys, want) || !member {
			t.Errorf("Changes after removal: keys %v, member_updated %v; want %v and true", gotKeys, member, want)
		}
		evs := teamEvents(t, s, a.Team.ID)
		wantEv := ev.With(map[string]any{"role": "developer", "revoked_keys": want})
		if len(evs) == 0 || !sameEvent(evs[0], wantEv) {
			t.Errorf("newest audit event of acme = %+v, want %+v", evs[0], wantEv)
		}
	}},
	{"RemoveMember of a member without keys", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleViewer, t0)
		ev := sysEvent(pome.AuditMemberRemoved, t0).On(a.Team.ID, pome.TargetUser, b.User.ID)
		revoked, err := s.RemoveMember(t.Context(), a.Team.ID, b.User.ID, pome.RoleViewer, t0, ev)
		if err != nil || len(revoked) != 0 {
			t.Errorf("RemoveMember(no keys) = %v, %v, want [], nil", revoked, err)
		}
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 4 || !sameDetails(evs[0].Details, map[string]any{"revoked_keys": []string{}}) {
			t.Errorf("audit of acme = %+v, want member.removed with revoked_keys []", evs)
		}
	}},
	{"RemoveMember refusals write nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mustAddMember(t, s, a, b, pome.RoleDeveloper, t0)
		k := newKey(a, "bob's", t0)
		k.CreatedBy = b.User.ID
		mustCreateKey(t, s, k)
		ev := sysEvent(pome.AuditMemberRemoved, t0)
		_, err := s.RemoveMember(t.Context(), a.Team.ID, b.User.ID, pome.RoleAdmin, t0, ev)
		wantErr(t, "RemoveMember(stale from)", err, pome.ErrConcurrentChange)
		_, err = s.RemoveMember(t.Context(), a.Team.ID, pome.NewID("usr_"), pome.RoleViewer, t0, ev)
		wantErr(t, "RemoveMember(unknown user)", err, pome.ErrMemberNotFound)
		_, err = s.RemoveMember(t.Context(), a.Team.ID, a.User.ID, pome.RoleOwner, t0, ev)
		wantErr(t, "RemoveMember(last owner)", err, pome.ErrLastOwner)
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); got.RevokedAt != nil {
			t.Errorf("bob's key after refused removals: revoked at %s, want active", fmtTime(got.RevokedAt))
		}
		if cs := mustChanges(t, s, 0, 10); len(cs) != 0 {
			t.Errorf("Changes after refused removals = %+v, want none", cs)
		}
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 4 {
			t.Errorf("audit of acme = %v, want signup, member.invited, member.added and key.created only", actions(evs))
		}
	}},
}
