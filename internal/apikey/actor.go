package apikey

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// actor is who acts on a team's keys: a member of the team, with their
// role, or a service token, which acts on every team as its owner would
// (docs/api.md, "Service tokens"). Every rule of the Service is written
// once, on an actor.
type actor struct {
	teamID   string
	userID   string // the member's; "" for a token
	tokenID  string // the token's; "" for a member
	role     pome.Role
	planTier string // the team's plan: a member's key limit may not exceed it
}

func memberActor(m pome.Member) actor {
	return actor{teamID: m.Team.ID, userID: m.User.ID, role: m.Role, planTier: m.Team.PlanTier}
}

func tokenActor(st pome.ServiceToken, teamID string) actor {
	return actor{teamID: teamID, tokenID: st.ID, role: pome.RoleOwner}
}

// id is the actor's id: a key's CreatedBy when the actor makes it.
func (a actor) id() string {
	if a.tokenID != "" {
		return a.tokenID
	}
	return a.userID
}

// event starts the audit event of an action of the actor on a key.
func (a actor) event(ctx context.Context, action string, now time.Time, keyID string) pome.AuditEvent {
	ev := pome.NewAuditEvent(ctx, action, now)
	if a.tokenID != "" {
		ev = ev.ByToken(a.tokenID)
	} else {
		ev = ev.ByUser(a.userID)
	}
	return ev.On(a.teamID, pome.TargetKey, keyID)
}

// listedCreator is whose keys of the team the actor may see, list and
// manage: everyone's ("") for tokens, admins and owners, their own for
// developers. A viewer holds no keys: ErrInsufficientPermissions.
func (a actor) listedCreator() (string, error) {
	switch {
	case a.role.Can(pome.ActionManageAnyKey):
		return "", nil
	case a.role.Can(pome.ActionCreateKey):
		return a.userID, nil
	}
	return "", pome.ErrInsufficientPermissions
}

// creatorRole is the current role of a key's creator in the team: the cap
// of the key's effective role, and of its replacement's. A service token
// caps nothing (its keys do what their own role says); a member who left
// is ErrMemberNotFound.
func (s *Service) creatorRole(ctx context.Context, k *pome.Key) (pome.Role, error) {
	if pome.IsServiceTokenID(k.CreatedBy) {
		return pome.RoleOwner, nil
	}
	m, err := s.store.Member(ctx, k.TeamID, k.CreatedBy)
	if err != nil {
		return "", err
	}
	return m.Role, nil
}
