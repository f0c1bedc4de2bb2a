package account_test

import (
	"slices"
	"testing"

	"github.com/pomehq/pome"
)

// The operator bans and unbans a team (`pome admin team ban|unban`): the
// status is stored, members see it, and each change is audited with the
// system as the actor; setting the status a team has changes and records
// nothing; a status other than active or banned, or an unknown team, is
// refused.
func TestSetTeamStatus(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, newWorld(t))
	ctx, teamID := t.Context(), tm.owner.Team.ID
	for i, step := range []struct {
		status string
		code   string
		want   string   // the status after
		events []string // the status events after: bans, then unbans
	}{
		{pome.TeamBanned, "", pome.TeamBanned, []string{pome.AuditTeamBanned}},
		{pome.TeamBanned, "", pome.TeamBanned, []string{pome.AuditTeamBanned}},
		{"frozen", "invalid_parameter", pome.TeamBanned, []string{pome.AuditTeamBanned}},
		{pome.TeamActive, "", pome.TeamActive, []string{pome.AuditTeamBanned, pome.AuditTeamUnbanned}},
		{pome.TeamActive, "", pome.TeamActive, []string{pome.AuditTeamBanned, pome.AuditTeamUnbanned}},
	} {
		got, err := tm.s.SetTeamStatus(ctx, tm.slug, step.status)
		if code(err) != step.code {
			t.Fatalf("step %d: SetTeamStatus(%s, %q) = %v, want code %q", i, tm.slug, step.status, err, step.code)
		}
		if err == nil && (got.ID != teamID || got.Status != step.want) {
			t.Errorf("step %d: SetTeamStatus(%s, %q) = %+v, want it %s", i, tm.slug, step.status, got, step.want)
		}
		if m := mustMember(t, tm.s, tm.dev.User, tm.slug); m.Team.Status != step.want {
			t.Errorf("step %d: status a member sees = %q, want %q", i, m.Team.Status, step.want)
		}
		var actions []string
		for _, ev := range append(events(t, tm.db, teamID, pome.AuditTeamBanned), events(t, tm.db, teamID, pome.AuditTeamUnbanned)...) {
			if ev.ActorType != pome.ActorSystem || ev.ActorID != "" || ev.TargetType != pome.TargetTeam || ev.TargetID != teamID {
				t.Errorf("step %d: event %+v, want by the system on team %s", i, ev, teamID)
			}
			actions = append(actions, ev.Action)
		}
		if !slices.Equal(actions, step.events) {
			t.Errorf("step %d: status events = %v, want %v", i, actions, step.events)
		}
	}
	if _, err := tm.s.SetTeamStatus(ctx, "no-such-team", pome.TeamBanned); code(err) != "team_not_found" {
		t.Errorf("SetTeamStatus(unknown team) = %v, want team_not_found", err)
	}
}

// The operator changes a team's plan (`pome admin team set-plan`): stored,
// audited by the system with the old and new plan, the team's status kept;
// the plan it has already changes and records nothing; an unknown plan or
// team is refused.
func TestSetTeamPlan(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, newWorld(t))
	ctx, teamID := t.Context(), tm.owner.Team.ID
	if _, err := tm.s.SetTeamStatus(ctx, tm.slug, pome.TeamBanned); err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		plan, code, want string
		events           int
	}{
		{pome.PlanPro, "", pome.PlanPro, 1},
		{pome.PlanPro, "", pome.PlanPro, 1},
		{"gold", "invalid_parameter", pome.PlanPro, 1},
		{pome.PlanEnterprise, "", pome.PlanEnterprise, 2},
		{pome.PlanFree, "", pome.PlanFree, 3},
	} {
		got, err := tm.s.SetTeamPlan(ctx, tm.slug, step.plan)
		if code(err) != step.code {
			t.Fatalf("step %d: SetTeamPlan(%s, %q) = %v, want code %q", i, tm.slug, step.plan, err, step.code)
		}
		if err == nil && (got.PlanTier != step.want || got.Status != pome.TeamBanned) {
			t.Errorf("step %d: SetTeamPlan(%s, %q) = %+v, want plan %s, still banned", i, tm.slug, step.plan, got, step.want)
		}
		if m := mustMember(t, tm.s, tm.viewer.User, tm.slug); m.Team.PlanTier != step.want || m.Team.Status != pome.TeamBanned {
			t.Errorf("step %d: team a member sees = plan %q, status %q; want %q, banned", i, m.Team.PlanTier, m.Team.Status, step.want)
		}
		if evs := events(t, tm.db, teamID, pome.AuditTeamPlanChanged); len(evs) != step.events {
			t.Errorf("step %d: team.plan_changed events = %d, want %d", i, len(evs), step.events)
		}
	}
	evs := events(t, tm.db, teamID, pome.AuditTeamPlanChanged)
	for i, want := range [][2]string{{pome.PlanEnterprise, pome.PlanFree}, {pome.PlanPro, pome.PlanEnterprise}, {pome.PlanFree, pome.PlanPro}} {
		ev := evs[i]
		if ev.ActorType != pome.ActorSystem || ev.TargetID != teamID || ev.Details["old_plan"] != want[0] || ev.Details["new_plan"] != want[1] {
			t.Errorf("event %d = %+v, want by the system on %s, %s → %s", i, ev, teamID, want[0], want[1])
		}
	}
	if _, err := tm.s.SetTeamPlan(ctx, "no-such-team", pome.PlanPro); code(err) != "team_not_found" {
		t.Errorf("SetTeamPlan(unknown team) = %v, want team_not_found", err)
	}
}
