package pome_test

import (
	"testing"

	"github.com/pomehq/pome"
)

// The SPEC §4 matrix, written out cell by cell so that a change to the table
// in role.go must be a deliberate change here too.
func TestRoleCan(t *testing.T) {
	roles := []pome.Role{pome.RoleOwner, pome.RoleAdmin, pome.RoleDeveloper, pome.RoleViewer}
	want := map[pome.Action][4]bool{ // owner, admin, developer, viewer
		pome.ActionAPIRead:       {true, true, true, true},
		pome.ActionAPIWrite:      {true, true, true, false},
		pome.ActionCreateKey:     {true, true, true, false},
		pome.ActionManageAnyKey:  {true, true, false, false},
		pome.ActionManageMembers: {true, true, false, false},
		pome.ActionManageTeam:    {true, false, false, false},
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
