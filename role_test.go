package pome_test

import (
	"testing"

	"github.com/pomehq/pome"
)

// The docs/api.md matrix, written out cell by cell so that a change to the table
// in role.go must be a deliberate change here too.
func TestRoleCan(t *testing.T) {
	t.Parallel()
	roles := []pome.Role{pome.RoleOwner, pome.RoleAdmin, pome.RoleDeveloper, pome.RoleViewer}
	want := map[pome.Action][4]bool{ // owner, admin, developer, viewer
		pome.ActionAPIRead:        {true, true, true, true},
		pome.ActionAPIWrite:       {true, true, true, false},
		pome.ActionCreateKey:      {true, true, true, false},
		pome.ActionManageAnyKey:   {true, true, false, false},
		pome.ActionManageMembers:  {true, true, false, false},
		pome.ActionManageTeam:     {true, false, false, false},
		pome.ActionReadAudit:      {true, true, false, false},
		pome.ActionManageWebhooks: {true, true, false, false},
	}
	for a, row := range want {
		for i, r := range roles {
			if got := r.Can(a); got != row[i] {
				t.Errorf("%s.Can(%d) = %v, want %v", r, a, got, row[i])
			}
		}
	}
	for a := range want {
		if pome.Role("root").Can(a) || pome.Role("").Can(a) {
			t.Errorf("an unknown role may do action %d", a)
		}
	}
}

func TestRoleAtLeast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r, o pome.Role
		want bool
	}{
		{pome.RoleOwner, pome.RoleAdmin, true},
		{pome.RoleAdmin, pome.RoleAdmin, true},
		{pome.RoleDeveloper, pome.RoleAdmin, false},
		{pome.RoleViewer, pome.RoleDeveloper, false},
		{pome.Role("x"), pome.RoleViewer, false},
	} {
		if got := tc.r.AtLeast(tc.o); got != tc.want {
			t.Errorf("%q.AtLeast(%q) = %v, want %v", tc.r, tc.o, got, tc.want)
		}
	}
}

func TestRoleMin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b, want pome.Role }{
		{pome.RoleOwner, pome.RoleViewer, pome.RoleViewer},
		{pome.RoleDeveloper, pome.RoleAdmin, pome.RoleDeveloper},
		{pome.RoleAdmin, pome.RoleAdmin, pome.RoleAdmin},
		{pome.RoleAdmin, "", ""}, // a creator who left the team: no role at all
	} {
		if got := tc.a.Min(tc.b); got != tc.want {
			t.Errorf("%q.Min(%q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
		if got := tc.b.Min(tc.a); got != tc.want {
			t.Errorf("%q.Min(%q) = %q, want %q", tc.b, tc.a, got, tc.want)
		}
	}
}

// Admins manage developers and viewers; only owners manage admins and owners.
func TestRoleCanManage(t *testing.T) {
	t.Parallel()
	roles := []pome.Role{pome.RoleOwner, pome.RoleAdmin, pome.RoleDeveloper, pome.RoleViewer}
	want := map[pome.Role][4]bool{ // target: owner, admin, developer, viewer
		pome.RoleOwner:     {true, true, true, true},
		pome.RoleAdmin:     {false, false, true, true},
		pome.RoleDeveloper: {false, false, false, false},
		pome.RoleViewer:    {false, false, false, false},
	}
	for actor, row := range want {
		for i, target := range roles {
			if got := actor.CanManage(target); got != row[i] {
				t.Errorf("%s.CanManage(%s) = %v, want %v", actor, target, got, row[i])
			}
		}
		if actor.CanManage("root") {
			t.Errorf("%s.CanManage(root) = true, want false", actor)
		}
	}
}
