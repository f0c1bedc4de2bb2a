package account_test

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

// world is one store and Service that the cases of a test share, each that
// changes something with a team of its own (newTeam): a fresh SQLite store
// costs far more than a team in one, under the race detector most of all.
type world struct {
	s     *account.Service
	db    *sqlite.DB
	clock *pometest.Clock
	keys  *apikey.Service // creates keys, to see removals revoke them
	n     atomic.Int64    // teams made
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s, db, c := newService(t, account.Config{SignupOpen: true})
	v := apikey.NewVerifier(db, pome.DefaultKeyFormat, time.Minute, c.Now)
	return &world{s: s, db: db, clock: c, keys: apikey.New(db, pome.DefaultKeyFormat, v, c.Now)}
}

// team is a team of its own in a world: its owner (alice) signed up with
// it, and invited bob as admin, carol as developer and dan as viewer, each
// acting in it; erin, the outsider, has only her personal team.
type team struct {
	*world
	slug                      string
	owner, admin, dev, viewer pome.Member
	outsider                  pome.User
}

func newTeam(t *testing.T, w *world) *team {
	t.Helper()
	n := w.n.Add(1)
	email := func(name string) string { return fmt.Sprintf("%s.%d@example.com", name, n) }
	tm := &team{world: w, slug: fmt.Sprint("acme-", n)}
	tm.owner = mustMember(t, w.s, mustSignup(t, w.s, email("alice"), tm.slug).User, tm.slug)
	add := func(name string, role pome.Role) pome.Member {
		t.Helper()
		u := mustSignup(t, w.s, email(name), "").User
		token := mustInvite(t, w.s, tm.owner, u.Email, role)
		if _, err := w.s.Accept(t.Context(), u, token); err != nil {
			t.Fatalf("Accept(%s, %s) = %v", u.Email, role, err)
		}
		return mustMember(t, w.s, u, tm.slug)
	}
	tm.admin = add("bob", pome.RoleAdmin)
	tm.dev = add("carol", pome.RoleDeveloper)
	tm.viewer = add("dan", pome.RoleViewer)
	tm.outsider = mustSignup(t, w.s, email("erin"), "").User
	return tm
}

// byName returns the member of tm that a table names.
func (tm *team) byName(name string) pome.Member {
	switch name {
	case "owner":
		return tm.owner
	case "admin":
		return tm.admin
	case "developer":
		return tm.dev
	case "viewer":
		return tm.viewer
	}
	panic("no member " + name)
}

// userID returns the id of the user a table names: a member, "outsider",
// or "unknown" (no such user).
func (tm *team) userID(name string) string {
	switch name {
	case "outsider":
		return tm.outsider.ID
	case "unknown":
		return "usr_0000000000000000"
	}
	return tm.byName(name).User.ID
}

func mustMember(t *testing.T, s *account.Service, u pome.User, slug string) pome.Member {
	t.Helper()
	m, err := s.Member(t.Context(), u, slug)
	if err != nil {
		t.Fatalf("Member(%s, %q) = %v", u.Email, slug, err)
	}
	return m
}

// roleIn returns the role of user in team, "" if they are not a member.
func roleIn(t *testing.T, db *sqlite.DB, teamID, userID string) pome.Role {
	t.Helper()
	m, err := db.Member(t.Context(), teamID, userID)
	if errors.Is(err, pome.ErrMemberNotFound) {
		return ""
	}
	if err != nil {
		t.Fatalf("Member(%s) = %v", userID, err)
	}
	return m.Role
}

// events returns the audit events of action in team, newest first.
func events(t *testing.T, db *sqlite.DB, teamID, action string) []pome.AuditEvent {
	t.Helper()
	evs, err := db.AuditEvents(t.Context(), pome.AuditFilter{TeamID: teamID, Action: action, Limit: 100})
	if err != nil {
		t.Fatalf("AuditEvents(%s) = %v", action, err)
	}
	return evs
}

// code is the error code of err, "" for nil.
func code(err error) string {
	if err == nil {
		return ""
	}
	return pome.AsError(err).Code
}

// Who may change whose role: owners change any role, their own
// too; admins move developers and viewers between those two roles and touch
// no owner or admin, themselves included; developers and viewers change
// nothing; a team keeps an owner. A change is stored and audited with the old
// and new role; a refusal changes and records nothing.
func TestSetRole(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	refusals := newTeam(t, w) // a refusal changes nothing: the refused cases share a team
	for _, c := range []struct {
		actor, target string
		role          pome.Role
		code          string // "": changed
	}{
		{"owner", "developer", pome.RoleAdmin, ""},
		{"owner", "developer", pome.RoleOwner, ""},
		{"owner", "admin", pome.RoleViewer, ""},
		{"owner", "viewer", pome.RoleDeveloper, ""},
		{"admin", "developer", pome.RoleViewer, ""},
		{"admin", "viewer", pome.RoleDeveloper, ""},
		{"admin", "developer", pome.RoleAdmin, "insufficient_permissions"},
		{"admin", "viewer", pome.RoleOwner, "insufficient_permissions"},
		{"admin", "owner", pome.RoleViewer, "insufficient_permissions"},
		{"admin", "owner", pome.RoleOwner, "insufficient_permissions"},
		{"admin", "admin", pome.RoleDeveloper, "insufficient_permissions"},
		{"developer", "viewer", pome.RoleDeveloper, "insufficient_permissions"},
		{"developer", "developer", pome.RoleAdmin, "insufficient_permissions"},
		{"viewer", "developer", pome.RoleViewer, "insufficient_permissions"},
		{"viewer", "viewer", pome.RoleDeveloper, "insufficient_permissions"},
		{"owner", "owner", pome.RoleAdmin, "last_owner"},
		{"owner", "outsider", pome.RoleViewer, "member_not_found"},
		{"owner", "unknown", pome.RoleViewer, "member_not_found"},
		{"owner", "developer", "root", "invalid_parameter"},
		{"owner", "developer", "", "missing_required_parameter"},
	} {
		t.Run(fmt.Sprintf("%s sets %s to %q", c.actor, c.target, c.role), func(t *testing.T) {
			t.Parallel()
			tm := refusals
			if c.code == "" {
				tm = newTeam(t, w)
			}
			actor, target := tm.byName(c.actor), tm.userID(c.target)
			teamID := tm.owner.Team.ID
			before := roleIn(t, tm.db, teamID, target)
			got, err := tm.s.SetRole(t.Context(), actor, target, c.role)
			if code(err) != c.code {
				t.Fatalf("SetRole(%s, %q) by %s = %v, want code %q", c.target, c.role, c.actor, err, c.code)
			}
			evs := events(t, tm.db, teamID, pome.AuditMemberRoleChanged)
			if c.code != "" {
				if after := roleIn(t, tm.db, teamID, target); after != before {
					t.Errorf("role after a refused SetRole = %q, want %q unchanged", after, before)
				}
				if len(evs) != 0 {
					t.Errorf("a refused SetRole recorded %+v, want nothing", evs)
				}
				return
			}
			if got.Role != c.role || got.User.ID != target {
				t.Errorf("SetRole = %s as %s, want %s as %s", got.User.ID, got.Role, target, c.role)
			}
			if after := roleIn(t, tm.db, teamID, target); after != c.role {
				t.Errorf("stored role = %q, want %q", after, c.role)
			}
			if len(evs) != 1 {
				t.Fatalf("member.role_changed events = %+v, want one", evs)
			}
			ev := evs[0]
			if ev.ActorType != pome.ActorUser || ev.ActorID != actor.User.ID || ev.TargetType != pome.TargetUser || ev.TargetID != target ||
				ev.Details["old_role"] != string(before) || ev.Details["new_role"] != string(c.role) {
				t.Errorf("event = %+v, want by %s on %s, %s → %s", ev, actor.User.ID, target, before, c.role)
			}
		})
	}
}

// An owner may step down, or demote another owner, once the team has a
// second owner; the last one may not, whoever asks. Setting the role a member
// has is a success that changes and records nothing.
func TestSetRoleOwners(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, newWorld(t))
	ctx, teamID := t.Context(), tm.owner.Team.ID
	if _, err := tm.s.SetRole(ctx, tm.owner, tm.owner.User.ID, pome.RoleOwner); err != nil {
		t.Fatalf("SetRole(self, owner), the role held = %v, want nil", err)
	}
	if evs := events(t, tm.db, teamID, pome.AuditMemberRoleChanged); len(evs) != 0 {
		t.Fatalf("setting the role held recorded %+v, want nothing", evs)
	}
	if _, err := tm.s.SetRole(ctx, tm.owner, tm.admin.User.ID, pome.RoleOwner); err != nil {
		t.Fatalf("SetRole(bob, owner) = %v", err)
	}
	bob := mustMember(t, tm.s, tm.admin.User, tm.slug)
	if _, err := tm.s.SetRole(ctx, tm.owner, tm.owner.User.ID, pome.RoleDeveloper); err != nil {
		t.Fatalf("SetRole(self, developer) with a second owner = %v, want nil", err)
	}
	if _, err := tm.s.SetRole(ctx, bob, bob.User.ID, pome.RoleAdmin); !errors.Is(err, pome.ErrLastOwner) {
		t.Fatalf("SetRole(self, admin) by the last owner = %v, want last_owner", err)
	}
	if _, err := tm.s.SetRole(ctx, bob, tm.owner.User.ID, pome.RoleOwner); err != nil {
		t.Fatalf("SetRole(alice, owner) = %v", err)
	}
	if _, err := tm.s.SetRole(ctx, bob, tm.owner.User.ID, pome.RoleViewer); err != nil {
		t.Fatalf("SetRole(other owner, viewer) by an owner = %v, want nil", err)
	}
	if got := roleIn(t, tm.db, teamID, tm.owner.User.ID); got != pome.RoleViewer {
		t.Errorf("alice's role = %s, want viewer", got)
	}
	if n := len(events(t, tm.db, teamID, pome.AuditMemberRoleChanged)); n != 4 {
		t.Errorf("member.role_changed events = %d, want 4 (the four changes)", n)
	}
}

// Who may remove whom: owners anyone, admins developers and viewers,
// developers and viewers nobody; every member may leave, except the last
// owner. Removal revokes the keys the member created in the team, and only
// those, and is audited with the role, the revoked keys, and whether they
// left; a refusal removes, revokes and records nothing.
func TestRemoveMember(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	refusals := newTeam(t, w) // a refusal changes nothing: the refused cases share a team
	for _, c := range []struct {
		actor, target string
		code          string
	}{
		{"owner", "admin", ""},
		{"owner", "developer", ""},
		{"admin", "developer", ""},
		{"admin", "viewer", ""},
		{"developer", "developer", ""}, // leaves
		{"viewer", "viewer", ""},
		{"admin", "admin", ""},
		{"admin", "owner", "insufficient_permissions"},
		{"developer", "viewer", "insufficient_permissions"},
		{"viewer", "developer", "insufficient_permissions"},
		{"owner", "owner", "last_owner"},
		{"owner", "outsider", "member_not_found"},
		{"owner", "unknown", "member_not_found"},
	} {
		t.Run(c.actor+" removes "+c.target, func(t *testing.T) {
			t.Parallel()
			tm := refusals
			if c.code == "" {
				tm = newTeam(t, w)
			}
			ctx, teamID := t.Context(), tm.owner.Team.ID
			actor, target := tm.byName(c.actor), tm.userID(c.target)
			// The target's keys: one in acme if their role creates keys,
			// and one in their personal team (alice's is this one), which
			// removal must not touch.
			var inTeam []string
			var own *pome.Key
			if c.target != "outsider" && c.target != "unknown" {
				m := tm.byName(c.target)
				if m.Role.Can(pome.ActionCreateKey) {
					inTeam = append(inTeam, mustCreateKey(t, tm.keys, m).ID)
				}
				if c.target != "owner" {
					k := mustCreateKey(t, tm.keys, ownTeam(t, tm, m.User))
					own = &k
				}
			}
			before := roleIn(t, tm.db, teamID, target)

			got, err := tm.s.RemoveMember(ctx, actor, target)
			if code(err) != c.code {
				t.Fatalf("RemoveMember(%s) by %s = %v, want code %q", c.target, c.actor, err, c.code)
			}
			evs := events(t, tm.db, teamID, pome.AuditMemberRemoved)
			if c.code != "" {
				if after := roleIn(t, tm.db, teamID, target); after != before {
					t.Errorf("role after a refused RemoveMember = %q, want %q", after, before)
				}
				for _, id := range inTeam {
					if revoked(t, tm.db, teamID, id) {
						t.Errorf("key %s revoked by a refused RemoveMember", id)
					}
				}
				if len(evs) != 0 {
					t.Errorf("a refused RemoveMember recorded %+v, want nothing", evs)
				}
				return
			}
			if got.UserID != target || !slices.Equal(got.RevokedKeys, inTeam) {
				t.Errorf("RemoveMember = %+v, want %s with revoked keys %v", got, target, inTeam)
			}
			if after := roleIn(t, tm.db, teamID, target); after != "" {
				t.Errorf("role after RemoveMember = %q, want no member", after)
			}
			for _, id := range inTeam {
				if !revoked(t, tm.db, teamID, id) {
					t.Errorf("key %s in the team not revoked", id)
				}
			}
			if own != nil && revoked(t, tm.db, own.TeamID, own.ID) {
				t.Errorf("key %s of the member's own team revoked, want untouched", own.ID)
			}
			if len(evs) != 1 {
				t.Fatalf("member.removed events = %+v, want one", evs)
			}
			ev := evs[0]
			left, _ := ev.Details["left"].(bool)
			var keys []string
			for _, k := range ev.Details["revoked_keys"].([]any) {
				keys = append(keys, k.(string))
			}
			if ev.ActorID != actor.User.ID || ev.TargetID != target || ev.Details["role"] != string(before) ||
				left != (actor.User.ID == target) || !slices.Equal(keys, inTeam) {
				t.Errorf("event = %+v, want by %s on %s, role %s, revoked %v, left %v", ev, actor.User.ID, target, before, inTeam, actor.User.ID == target)
			}
		})
	}
}

// Every member may list the team's members, viewers too.
func TestMembers(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, newWorld(t))
	ms, err := tm.s.Members(t.Context(), tm.viewer)
	if err != nil {
		t.Fatalf("Members() by a viewer = %v", err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.User.Email+":"+string(m.Role))
	}
	slices.Sort(got)
	want := []string{"alice.1@example.com:owner", "bob.1@example.com:admin", "carol.1@example.com:developer", "dan.1@example.com:viewer"}
	if !slices.Equal(got, want) {
		t.Errorf("Members() = %v, want %v", got, want)
	}
}

// ownTeam returns u acting in a team of theirs other than tm's: the
// personal team of their signup.
func ownTeam(t *testing.T, tm *team, u pome.User) pome.Member {
	t.Helper()
	ms, err := tm.s.Memberships(t.Context(), u)
	if err != nil {
		t.Fatalf("Memberships(%s) = %v", u.Email, err)
	}
	for _, m := range ms {
		if m.Team.ID != tm.owner.Team.ID {
			return pome.Member{User: u, Team: m.Team, Role: m.Role}
		}
	}
	t.Fatalf("%s has no team but %s", u.Email, tm.slug)
	return pome.Member{}
}

func mustCreateKey(t *testing.T, keys *apikey.Service, m pome.Member) pome.Key {
	t.Helper()
	name := "k"
	c, err := keys.Create(t.Context(), m, apikey.CreateParams{Name: &name})
	if err != nil {
		t.Fatalf("Create(key of %s in %s) = %v", m.User.Email, m.Team.Slug, err)
	}
	return c.Key
}

func revoked(t *testing.T, db *sqlite.DB, teamID, keyID string) bool {
	t.Helper()
	k, err := db.KeyByID(t.Context(), teamID, keyID)
	if err != nil {
		t.Fatalf("KeyByID(%s) = %v", keyID, err)
	}
	return k.RevokedAt != nil
}
