package account

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// roleErr is the error of a role parameter that is not one of the four.
var roleErr = pome.InvalidParameter("'role' must be one of owner, admin, developer, viewer")

// Members lists the members of m's team. Every member may read the list:
// docs/api.md restricts managing members, not knowing one's colleagues.
func (s *Service) Members(ctx context.Context, m pome.Member) ([]pome.TeamMember, error) {
	return s.store.Members(ctx, m.Team.ID)
}

// member finds the member userID of m's team. A user who is not in the
// team is ErrMemberNotFound, as is a malformed id, which is not looked up:
// it may be text no store can hold.
func (s *Service) member(ctx context.Context, m pome.Member, userID string) (pome.TeamMember, error) {
	if !pome.IsID(userID, "usr_") {
		return pome.TeamMember{}, pome.ErrMemberNotFound
	}
	return s.store.Member(ctx, m.Team.ID, userID)
}

// target finds the member userID of m's team whom m may manage.
func (s *Service) target(ctx context.Context, m pome.Member, userID string) (pome.TeamMember, error) {
	t, err := s.member(ctx, m, userID)
	if err != nil {
		return pome.TeamMember{}, err
	}
	if !m.Role.CanManage(t.Role) {
		return pome.TeamMember{}, pome.ErrInsufficientPermissions
	}
	return t, nil
}

// SetRole changes the role of member userID of m's team. Admins move
// developers and viewers between those two roles; owners change any role,
// their own included; a team keeps at least one owner (ErrLastOwner).
// Setting the role a member has is a success that changes nothing.
func (s *Service) SetRole(ctx context.Context, m pome.Member, userID string, role pome.Role) (pome.TeamMember, error) {
	if !m.Role.Can(pome.ActionManageMembers) {
		return pome.TeamMember{}, pome.ErrInsufficientPermissions
	}
	if err := checkRole(role); err != nil {
		return pome.TeamMember{}, err
	}
	t, err := s.target(ctx, m, userID)
	if err != nil {
		return pome.TeamMember{}, err
	}
	if !m.Role.CanManage(role) {
		return pome.TeamMember{}, pome.ErrInsufficientPermissions
	}
	if t.Role == role {
		return t, nil
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	ev := pome.NewAuditEvent(ctx, pome.AuditMemberRoleChanged, now).ByUser(m.User.ID).
		On(m.Team.ID, pome.TargetUser, userID).
		With(map[string]any{"old_role": string(t.Role), "new_role": string(role)})
	if err := s.store.SetMemberRole(ctx, m.Team.ID, userID, t.Role, role, now, ev); err != nil {
		return pome.TeamMember{}, err
	}
	t.Role = role
	return t, nil
}

// Removed is the outcome of RemoveMember: who left and the keys revoked.
type Removed struct {
	UserID      string
	RevokedKeys []string
}

// RemoveMember removes member userID from m's team and revokes the keys
// they created in it, and those they were issued (a colleague's key they
// rolled, whose plaintext they hold). Admins remove developers and viewers, owners anyone;
// every member may remove themselves (leave), except the last owner.
func (s *Service) RemoveMember(ctx context.Context, m pome.Member, userID string) (Removed, error) {
	var t pome.TeamMember
	var err error
	leaving := userID == m.User.ID
	switch {
	case leaving:
		t, err = s.member(ctx, m, userID)
	case !m.Role.Can(pome.ActionManageMembers):
		err = pome.ErrInsufficientPermissions
	default:
		t, err = s.target(ctx, m, userID)
	}
	if err != nil {
		return Removed{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	details := map[string]any{"role": string(t.Role)}
	if leaving {
		details["left"] = true
	}
	ev := pome.NewAuditEvent(ctx, pome.AuditMemberRemoved, now).ByUser(m.User.ID).
		On(m.Team.ID, pome.TargetUser, userID).With(details)
	revoked, err := s.store.RemoveMember(ctx, m.Team.ID, userID, t.Role, now, ev)
	if err != nil {
		return Removed{}, err
	}
	return Removed{UserID: userID, RevokedKeys: revoked}, nil
}
