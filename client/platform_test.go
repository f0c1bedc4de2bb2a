package client_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// platformClient is a client of s with a new service token of scopes.
func platformClient(t *testing.T, s *pometest.Server, scopes ...string) *client.Client {
	t.Helper()
	c, err := s.ServiceTokens.Create(t.Context(), "platform", scopes)
	if err != nil {
		t.Fatalf("ServiceTokens.Create(%q) = %v", scopes, err)
	}
	return client.New(s.URL, client.WithServiceToken(c.Plaintext))
}

// A platform's backend makes a team for its customer with its own id, finds
// it again by that id, renames it, changes its plan and bans it; a key of
// the banned team is refused. Each call needs its scope.
func TestPlatformTeams(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithFollower())
	ctx := t.Context()
	p := platformClient(t, s, "teams:read", "teams:write")

	created, err := p.CreateTeam(ctx, client.CreateTeamParams{Name: "Acme Inc", ExternalID: "cus_123", PlanTier: "pro"})
	if err != nil {
		t.Fatalf("CreateTeam = %v", err)
	}
	if !pome.IsID(created.ID, "tm_") || created.Slug != "acme-inc" || created.Name != "Acme Inc" || created.PlanTier != "pro" ||
		created.Status != "active" || created.ExternalID == nil || *created.ExternalID != "cus_123" || created.CreatedAt.IsZero() {
		t.Fatalf("CreateTeam = %+v", created)
	}
	if got, err := p.Team(ctx, created.ID); err != nil || got.ID != created.ID || got.Slug != created.Slug {
		t.Errorf("Team(%s) = %+v, %v", created.ID, got, err)
	}
	if got, err := p.TeamByExternalID(ctx, "cus_123"); err != nil || got == nil || got.ID != created.ID {
		t.Errorf("TeamByExternalID(cus_123) = %+v, %v; want %s", got, err, created.ID)
	}
	if got, err := p.TeamByExternalID(ctx, "cus_999"); err != nil || got != nil {
		t.Errorf("TeamByExternalID(cus_999) = %+v, %v; want nil, nil", got, err)
	}

	// Taken: a given slug, an external id. A slug made from a taken name
	// gets a suffix instead.
	_, err = p.CreateTeam(ctx, client.CreateTeamParams{Name: "Other", Slug: "acme-inc"})
	mustAPIError(t, "CreateTeam(taken slug)", err, http.StatusConflict, "team_exists")
	_, err = p.CreateTeam(ctx, client.CreateTeamParams{Name: "Other", ExternalID: "cus_123"})
	mustAPIError(t, "CreateTeam(taken external id)", err, http.StatusConflict, "team_exists")
	again, err := p.CreateTeam(ctx, client.CreateTeamParams{Name: "Acme Inc"})
	if err != nil || again.Slug == created.Slug || again.ExternalID != nil {
		t.Errorf("CreateTeam(same name) = %+v, %v; want another slug and no external id", again, err)
	}

	// A key of the team (made by a member the platform added through the
	// dashboard's API; keys by token come with the keys API).
	name, plan, banned := "Acme Corporation", "enterprise", "banned"
	renamed, err := p.UpdateTeam(ctx, created.ID, client.UpdateTeamParams{Name: &name, PlanTier: &plan})
	if err != nil || renamed.Name != name || renamed.PlanTier != plan || renamed.Status != "active" {
		t.Errorf("UpdateTeam(rename, plan) = %+v, %v", renamed, err)
	}
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	me, err := client.New(s.URL, client.WithAPIKey(key)).Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpdateTeam(ctx, me.Team.ID, client.UpdateTeamParams{Status: &banned}); err != nil {
		t.Fatalf("UpdateTeam(ban) = %v", err)
	}
	// Through the change log, as a ban by `pome admin` (within a second).
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, err = client.New(s.URL, client.WithAPIKey(key)).Me(ctx)
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mustAPIError(t, "Me with a key of a team banned by the platform", err, http.StatusForbidden, "team_banned")

	// The audit log names the token.
	evs, err := s.DB.AuditEvents(ctx, pome.AuditFilter{TeamID: created.ID, Limit: 10})
	if err != nil || len(evs) != 2 || evs[0].Action != pome.AuditTeamPlanChanged || evs[1].Action != pome.AuditTeamCreated ||
		evs[0].ActorType != pome.ActorToken || !pome.IsID(evs[0].ActorID, "stk_") {
		t.Errorf("audit of the team = %+v, %v; want team.created then team.plan_changed by the service token", evs, err)
	}

	// Scopes: reading needs teams:read, changing teams:write; a verify
	// token does neither.
	reader := platformClient(t, s, "teams:read")
	if _, err := reader.Team(ctx, created.ID); err != nil {
		t.Errorf("Team with teams:read = %v", err)
	}
	_, err = reader.CreateTeam(ctx, client.CreateTeamParams{Name: "x"})
	mustAPIError(t, "CreateTeam with teams:read", err, http.StatusForbidden, "insufficient_scope")
	_, err = reader.UpdateTeam(ctx, created.ID, client.UpdateTeamParams{Name: &name})
	mustAPIError(t, "UpdateTeam with teams:read", err, http.StatusForbidden, "insufficient_scope")
	_, err = platformClient(t, s).Team(ctx, created.ID)
	mustAPIError(t, "Team with keys:verify", err, http.StatusForbidden, "insufficient_scope")
	if _, err := platformClient(t, s, "all").Team(ctx, created.ID); err != nil {
		t.Errorf("Team with all = %v", err)
	}
	_, err = client.New(s.URL, client.WithAPIKey(key)).Team(ctx, created.ID)
	mustAPIError(t, "Team with a customer's key", err, http.StatusUnauthorized, "invalid_service_token")
}

// Every bad input of the teams API is a 400 naming what is wrong, or a 404;
// never a 500, and nothing is made.
func TestPlatformTeamsBadInput(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	ctx := t.Context()
	p := platformClient(t, s, "all")
	for _, c := range []struct {
		name string
		p    client.CreateTeamParams
		code string
	}{
		{"no name", client.CreateTeamParams{}, "missing_required_parameter"},
		{"bad plan", client.CreateTeamParams{Name: "x", PlanTier: "gold"}, "invalid_parameter"},
		{"bad slug", client.CreateTeamParams{Name: "x", Slug: "Acme_Inc"}, "invalid_parameter"},
		{"one-letter slug", client.CreateTeamParams{Name: "x", Slug: "a"}, "invalid_parameter"},
		{"external id over 128", client.CreateTeamParams{Name: "x", ExternalID: strings.Repeat("x", 129)}, "invalid_parameter"},
		{"external id with NUL", client.CreateTeamParams{Name: "x", ExternalID: "cus\x00"}, "invalid_parameter"},
		{"name with a bidi override", client.CreateTeamParams{Name: "ac\u202eme"}, "invalid_parameter"},
	} {
		_, err := p.CreateTeam(ctx, c.p)
		mustAPIError(t, "CreateTeam("+c.name+")", err, http.StatusBadRequest, c.code)
	}
	bad, banned := "gold", "banned"
	for _, id := range []string{"tm_nope", "key_X5FQfLSUBaHoJ77k", pome.NewID("tm_")} {
		_, err := p.Team(ctx, id)
		mustAPIError(t, "Team("+id+")", err, http.StatusNotFound, "team_not_found")
		_, err = p.UpdateTeam(ctx, id, client.UpdateTeamParams{Status: &banned})
		mustAPIError(t, "UpdateTeam("+id+")", err, http.StatusNotFound, "team_not_found")
	}
	_, err := p.TeamByExternalID(ctx, "")
	mustAPIError(t, "TeamByExternalID(\"\")", err, http.StatusBadRequest, "missing_required_parameter")
	_, err = p.TeamByExternalID(ctx, "cus\xff")
	mustAPIError(t, "TeamByExternalID(invalid UTF-8)", err, http.StatusBadRequest, "invalid_parameter")
	team, err := p.CreateTeam(ctx, client.CreateTeamParams{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		u    client.UpdateTeamParams
		code string
	}{
		{"bad status", client.UpdateTeamParams{Status: &bad}, "invalid_parameter"},
		{"bad plan", client.UpdateTeamParams{PlanTier: &bad}, "invalid_parameter"},
		{"empty name", client.UpdateTeamParams{Name: new(string)}, "invalid_parameter"},
	} {
		_, err := p.UpdateTeam(ctx, team.ID, c.u)
		mustAPIError(t, "UpdateTeam("+c.name+")", err, http.StatusBadRequest, c.code)
	}
	if got, err := p.Team(ctx, team.ID); err != nil || got.Status != "active" || got.PlanTier != "free" || got.Name != "Acme" {
		t.Errorf("the team after refused changes = %+v, %v; want it unchanged", got, err)
	}
}
