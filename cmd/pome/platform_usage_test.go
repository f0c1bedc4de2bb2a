package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome/client"
)

// `pome platform keys usage` and `pome platform teams usage` show a key's
// and a team's verifications by outcome, as `pome keys usage` does: VALID,
// a column for each refusal that happened, TOTAL; --json every outcome.
func TestPlatformUsageCommands(t *testing.T) {
	t.Parallel()
	s, token := mustServeWithTokens(t)
	env := map[string]string{"POME_SERVICE_TOKEN": token("teams:write,keys:read,keys:write"), "POME_API_URL": s.URL}
	var team client.PlatformTeam
	if err := json.Unmarshal([]byte(mustRun(t, env, "", 0, "platform", "teams", "create", "Acme Inc", "--json").stdout), &team); err != nil {
		t.Fatal(err)
	}
	plaintext := strings.TrimSpace(mustRun(t, env, "", 0, "platform", "keys", "create", team.ID, "ci").stdout)
	var list client.PlatformKeyList
	if err := json.Unmarshal([]byte(mustRun(t, env, "", 0, "platform", "keys", "list", team.ID, "--json").stdout), &list); err != nil || len(list.Keys) != 1 {
		t.Fatalf("platform keys list --json = %+v, %v", list, err)
	}
	k := list.Keys[0]
	asKey := map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": plaintext}
	mustRun(t, asKey, "", 0, "whoami")
	mustRun(t, env, "", 0, "platform", "keys", "update", k.ID, "--disable")
	mustRun(t, asKey, "", 1, "whoami")
	mustRun(t, asKey, "", 1, "whoami")

	// The server flushes about every second.
	var u client.KeyUsage
	waitFor(t, 10*time.Second, "the usage flushed", func() bool {
		r := mustRun(t, env, "", 0, "platform", "keys", "usage", k.ID, "--days", "2", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &u); err != nil {
			t.Fatal(err)
		}
		return len(u.Days) == 2 && u.Days[1].Total == 3
	})
	if d := u.Days[1]; d.Valid != 1 || d.Disabled != 2 || u.Days[0].Total != 0 {
		t.Errorf("platform keys usage --json = %+v, want today 1 valid and 2 disabled", u)
	}
	r := mustRun(t, env, "", 0, "platform", "keys", "usage", k.ID, "--days", "2")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "DATE VALID DISABLED TOTAL" ||
		strings.Join(strings.Fields(lines[3]), " ") != "total 1 2 3" {
		t.Errorf("platform keys usage = %q, want DATE VALID DISABLED TOTAL, 2 days and the totals", r.stdout)
	}
	r = mustRun(t, env, "", 0, "platform", "teams", "usage", team.ID, "--days", "1")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 3 || strings.Join(strings.Fields(lines[2]), " ") != "total 1 2 3" {
		t.Errorf("platform teams usage = %q, want the key's counts", r.stdout)
	}
	mustRun(t, env, "", 2, "platform", "keys", "usage", k.ID, "--days", "91")
	mustRun(t, env, "", 2, "platform", "teams", "usage")
	r = mustRun(t, env, "", 1, "platform", "teams", "usage", "tm_0000000000000000")
	mustContain(t, "stderr", r.stderr, "team_not_found")
	verifier := map[string]string{"POME_SERVICE_TOKEN": token("keys:verify"), "POME_API_URL": s.URL}
	r = mustRun(t, verifier, "", 1, "platform", "keys", "usage", k.ID)
	mustContain(t, "stderr", r.stderr, "insufficient_scope")
}
