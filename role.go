package pome

// Role is a member's role in a team, and the role a key carries (docs/api.md).
type Role string

const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeveloper Role = "developer"
	RoleViewer    Role = "viewer"
)

// rank orders roles; 0 is not a role.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleDeveloper:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is o or above it.
func (r Role) AtLeast(o Role) bool { return r.Valid() && r.rank() >= o.rank() }

// Action is something a role may or may not do.
type Action uint8

const (
	ActionAPIRead        Action = iota // GET on the public API
	ActionAPIWrite                     // any other method on the public API
	ActionCreateKey                    // create keys, list and revoke one's own
	ActionManageAnyKey                 // list and revoke any key of the team
	ActionManageMembers                // manage members and roles below owner
	ActionManageTeam                   // change plan, delete team, manage owners
	ActionReadAudit                    // read the team's audit log (docs/api.md: owner, admin)
	ActionManageWebhooks               // manage the team's webhook endpoints, read their deliveries
)

// minRole is the docs/api.md matrix, in one place: the lowest role allowed each action.
var minRole = [...]Role{
	ActionAPIRead:       RoleViewer,
	ActionAPIWrite:      RoleDeveloper,
	ActionCreateKey:     RoleDeveloper,
	ActionManageAnyKey:  RoleAdmin,
	ActionManageMembers: RoleAdmin,
	ActionManageTeam:    RoleOwner,
	ActionReadAudit:     RoleAdmin,
	// An endpoint receives every event of the team: as much as the audit
	// log shows.
	ActionManageWebhooks: RoleAdmin,
}

// Can reports whether role r may do a.
func (r Role) Can(a Action) bool {
	return int(a) < len(minRole) && r.AtLeast(minRole[a])
}

// Min returns the lower of r and o: a key's effective role is the lower of
// its own role and its creator's current role. An invalid role is lowest.
func (r Role) Min(o Role) Role {
	if r.rank() <= o.rank() {
		return r
	}
	return o
}

// CanManage reports whether a member of role r may add, remove, or change
// the role of a member whose role is (or would become) target: admins manage
// developers and viewers, only owners manage admins and owners (docs/api.md).
func (r Role) CanManage(target Role) bool {
	if !r.Can(ActionManageMembers) || !target.Valid() {
		return false
	}
	return !target.AtLeast(RoleAdmin) || r.Can(ActionManageTeam)
}
