package storetest

import (
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// newTeam returns an unsaved team with slug and externalID, as the platform
// API makes them.
func newTeam(slug, externalID string) pome.Team {
	return pome.Team{ID: pome.NewID("tm_"), Slug: slug, Name: slug + " Inc", PlanTier: pome.PlanPro,
		Status: pome.TeamActive, CreatedAt: t0, ExternalID: externalID}
}

func mustCreateTeam(t *testing.T, s pome.Store, team pome.Team) pome.Team {
	t.Helper()
	if err := s.CreateTeam(t.Context(), team, sysEvent(pome.AuditTeamCreated, t0).On(team.ID, pome.TargetTeam, team.ID)); err != nil {
		t.Fatalf("CreateTeam(%s) = %v, want nil", team.Slug, err)
	}
	return team
}

// The teams a platform makes through its API: no member, found by id, slug
// or its own external id, each unique.
var platformTeamTests = []test{
	{"CreateTeam, then find it by id, slug and external id", func(t *testing.T, s pome.Store) {
		want := mustCreateTeam(t, s, newTeam("acme", "cus_123"))
		for _, c := range []struct {
			by  string
			get func() (pome.Team, error)
		}{
			{"TeamByID", func() (pome.Team, error) { return s.TeamByID(t.Context(), want.ID) }},
			{"TeamBySlug", func() (pome.Team, error) { return s.TeamBySlug(t.Context(), "acme") }},
			{"TeamByExternalID", func() (pome.Team, error) { return s.TeamByExternalID(t.Context(), "cus_123") }},
		} {
			if got, err := c.get(); err != nil || !sameTeam(got, want) {
				t.Errorf("%s = %+v, %v; want %+v", c.by, got, err, want)
			}
		}
		if ms, err := s.Members(t.Context(), want.ID); err != nil || len(ms) != 0 {
			t.Errorf("Members(new team) = %v, %v; want none", ms, err)
		}
		evs, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: want.ID, Limit: 10})
		if err != nil || len(evs) != 1 || evs[0].Action != pome.AuditTeamCreated {
			t.Errorf("audit of the new team = %+v, %v; want one team.created", evs, err)
		}
	}},
	{"CreateTeam refuses a taken slug or external id; teams without one coexist", func(t *testing.T, s pome.Store) {
		mustCreateTeam(t, s, newTeam("acme", "cus_123"))
		mustAccount(t, s, "signup") // a team made by a signup has no external id
		mustCreateTeam(t, s, newTeam("other", ""))
		mustCreateTeam(t, s, newTeam("third", ""))
		err := s.CreateTeam(t.Context(), newTeam("acme", "cus_456"), sysEvent(pome.AuditTeamCreated, t0))
		wantErr(t, "CreateTeam(taken slug)", err, pome.ErrSlugTaken)
		err = s.CreateTeam(t.Context(), newTeam("fresh", "cus_123"), sysEvent(pome.AuditTeamCreated, t0))
		wantErr(t, "CreateTeam(taken external id)", err, pome.ErrExternalIDTaken)
		if _, err := s.TeamBySlug(t.Context(), "fresh"); err == nil {
			t.Errorf("a refused CreateTeam left its team behind")
		}
	}},
	{"TeamByID and TeamByExternalID of no team", func(t *testing.T, s pome.Store) {
		mustCreateTeam(t, s, newTeam("acme", "cus_123"))
		_, err := s.TeamByID(t.Context(), pome.NewID("tm_"))
		wantErr(t, "TeamByID(unknown)", err, pome.ErrTeamNotFound)
		_, err = s.TeamByExternalID(t.Context(), "cus_999")
		wantErr(t, "TeamByExternalID(unknown)", err, pome.ErrTeamNotFound)
		_, err = s.TeamByExternalID(t.Context(), "")
		wantErr(t, `TeamByExternalID("")`, err, pome.ErrTeamNotFound)
	}},
	{"UpdateTeam renames, and an empty name keeps the name", func(t *testing.T, s pome.Store) {
		team := mustCreateTeam(t, s, newTeam("acme", "cus_123"))
		team.Name = "Acme Corporation"
		if err := s.UpdateTeam(t.Context(), team, at(time.Hour), sysEvent(pome.AuditTeamPlanChanged, at(time.Hour))); err != nil {
			t.Fatalf("UpdateTeam(rename) = %v", err)
		}
		keep := team
		keep.Name, keep.Status = "", pome.TeamBanned
		if err := s.UpdateTeam(t.Context(), keep, at(2*time.Hour), sysEvent(pome.AuditTeamBanned, at(2*time.Hour))); err != nil {
			t.Fatalf("UpdateTeam(ban) = %v", err)
		}
		want := team
		want.Status = pome.TeamBanned
		if got, err := s.TeamByID(t.Context(), team.ID); err != nil || !sameTeam(got, want) {
			t.Errorf("TeamByID after rename and ban = %+v, %v; want %+v", got, err, want)
		}
	}},
}

// RunAuditTokenActor checks the migration that lets a service token be an
// audit event's actor (0009_audit_token_actor), which SQLite makes by
// rebuilding the table: run again on a log that holds events (undo forgets
// it, as RunScopesDefault's undo does, and opens the store again), it keeps
// every event and its seq, and the next event comes after them.
func RunAuditTokenActor(t *testing.T, s pome.Store, undo func(t *testing.T, s pome.Store) pome.Store) {
	team := mustCreateTeam(t, s, newTeam("acme", "cus_1")) // team.created, by the system
	byToken := sysEvent(pome.AuditTeamRenamed, at(time.Minute)).ByToken(pome.NewID("stk_")).On(team.ID, pome.TargetTeam, team.ID)
	if err := s.AppendAudit(t.Context(), byToken); err != nil {
		t.Fatalf("AppendAudit(by a service token) = %v, want nil", err)
	}
	before, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: team.ID, Limit: 10})
	if err != nil || len(before) != 2 {
		t.Fatalf("AuditEvents before = %v, %v; want 2", before, err)
	}
	s = undo(t, s)
	after, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: team.ID, Limit: 10})
	if err != nil || len(after) != 2 || after[0].Seq != before[0].Seq || after[0].ID != before[0].ID ||
		after[0].ActorType != pome.ActorToken || after[1].Seq != before[1].Seq {
		t.Fatalf("AuditEvents after the migration ran again = %+v, %v; want %+v", after, err, before)
	}
	if err := s.AppendAudit(t.Context(), sysEvent(pome.AuditTeamBanned, at(time.Hour)).On(team.ID, pome.TargetTeam, team.ID)); err != nil {
		t.Fatalf("AppendAudit after = %v", err)
	}
	if last, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: team.ID, Limit: 1}); err != nil || len(last) != 1 || last[0].Seq <= before[0].Seq {
		t.Errorf("the next event = %+v, %v; want a seq after %d", last, err, before[0].Seq)
	}
}
