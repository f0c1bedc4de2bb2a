package account

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// SetTeamStatus bans or unbans the team with slug, as the operator (`pome
// admin team ban|unban`): the audit log names the system as the actor.
// Setting the status a team has changes and records nothing.
func (s *Service) SetTeamStatus(ctx context.Context, slug, status string) (pome.Team, error) {
	action := pome.AuditTeamBanned
	switch status {
	case pome.TeamBanned:
	case pome.TeamActive:
		action = pome.AuditTeamUnbanned
	default:
		return pome.Team{}, pome.InvalidParameter("status must be active or banned")
	}
	return s.operatorUpdate(ctx, slug, func(t *pome.Team) (string, map[string]any) {
		t.Status = status
		return action, nil
	})
}

// SetTeamPlan changes the plan tier of the team with slug, as the operator
// (`pome admin team set-plan`).
func (s *Service) SetTeamPlan(ctx context.Context, slug, plan string) (pome.Team, error) {
	if !pome.ValidPlan(plan) {
		return pome.Team{}, pome.InvalidParameter("plan must be free, pro or enterprise")
	}
	return s.operatorUpdate(ctx, slug, func(t *pome.Team) (string, map[string]any) {
		old := t.PlanTier
		t.PlanTier = plan
		return pome.AuditTeamPlanChanged, map[string]any{"old_plan": old, "new_plan": plan}
	})
}

func (s *Service) operatorUpdate(ctx context.Context, slug string, change func(*pome.Team) (string, map[string]any)) (pome.Team, error) {
	t, err := s.store.TeamBySlug(ctx, slug)
	if err != nil {
		return pome.Team{}, err
	}
	was := t
	action, details := change(&t)
	if t == was {
		return t, nil
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	ev := pome.NewAuditEvent(ctx, action, now).On(t.ID, pome.TargetTeam, t.ID).With(details)
	ev.ActorType = pome.ActorSystem
	if err := s.store.UpdateTeam(ctx, t, now, ev); err != nil {
		return pome.Team{}, err
	}
	return t, nil
}
