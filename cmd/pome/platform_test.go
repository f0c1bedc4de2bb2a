package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pomehq/pome/client"
)

// `pome platform teams` drives the platform API with the service token of
// POME_SERVICE_TOKEN: create, get by id and by external id, update; without
// a token it is a usage error, without the scope an API error naming it.
func TestPlatformTeamsCommands(t *testing.T) {
	t.Parallel()
	s, token := mustServeWithTokens(t)
	env := map[string]string{"POME_SERVICE_TOKEN": token("teams:read,teams:write"), "POME_API_URL": s.URL}
	var created client.PlatformTeam
	r := mustRun(t, env, "", 0, "platform", "teams", "create", "Acme Inc", "--external-id", "cus_123", "--plan", "pro", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.Slug != "acme-inc" || created.PlanTier != "pro" ||
		created.ExternalID == nil || *created.ExternalID != "cus_123" {
		t.Fatalf("platform teams create --json = %q, %v", r.stdout, err)
	}
	r = mustRun(t, env, "", 0, "platform", "teams", "get", "--external-id", "cus_123")
	if !strings.Contains(r.stdout, created.ID) || !strings.Contains(r.stdout, "acme-inc") || !strings.Contains(r.stdout, "cus_123") {
		t.Errorf("platform teams get --external-id: %q; want the team's row", r.stdout)
	}
	r = mustRun(t, env, "", 0, "platform", "teams", "update", created.ID, "--status", "banned", "-o", "json")
	if !strings.Contains(r.stdout, `"status":"banned"`) {
		t.Errorf("platform teams update --status banned: %q", r.stdout)
	}
	r = mustRun(t, env, "", 0, "platform", "teams", "get", created.ID, "--json")
	if !strings.Contains(r.stdout, `"status":"banned"`) {
		t.Errorf("platform teams get after the ban: %q", r.stdout)
	}

	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no token", map[string]string{"POME_API_URL": s.URL}, []string{"platform", "teams", "get", created.ID}, 2, "no service token"},
		{"no such external id", env, []string{"platform", "teams", "get", "--external-id", "cus_999"}, 2, `no team has the external id "cus_999"`},
		{"id and external id", env, []string{"platform", "teams", "get", created.ID, "--external-id", "x"}, 2, "either a team ID or --external-id"},
		{"nothing to update", env, []string{"platform", "teams", "update", created.ID}, 2, "nothing to change"},
		{"taken external id", env, []string{"platform", "teams", "create", "Other", "--external-id", "cus_123"}, 1, "external_id already exists"},
		{"without the scope", map[string]string{"POME_SERVICE_TOKEN": token("teams:read"), "POME_API_URL": s.URL},
			[]string{"platform", "teams", "create", "Other"}, 1, "lacks the 'teams:write' scope"},
	} {
		r := runCLI(t, c.env, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", c.name, r.code, r.stderr, c.code, c.want)
		}
	}
}

// mustServeWithTokens serves a fresh data directory and returns token,
// which makes a service token of the given scopes (comma-separated) with
// pome admin service-token create.
func mustServeWithTokens(t *testing.T) (*testServer, func(scopes string) string) {
	t.Helper()
	dir := t.TempDir()
	s := mustServe(t, dir)
	return s, func(scopes string) string {
		r := mustRun(t, nil, "", 0, "admin", "service-token", "create", "ops", "--scope", scopes, "--data-dir", dir)
		return strings.TrimSpace(r.stdout)
	}
}
