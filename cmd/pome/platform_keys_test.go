package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pomehq/pome/client"
)

// `pome platform keys` drives the platform API's keys with the service
// token of POME_SERVICE_TOKEN: create with policies (the key alone on
// stdout), get, list, update (set and clear), roll and revoke; bad flags
// are usage errors (exit 2), the server's refusals API errors (exit 1).
func TestPlatformKeysCommands(t *testing.T) {
	t.Parallel()
	s, token := mustServeWithTokens(t)
	env := map[string]string{"POME_SERVICE_TOKEN": token("teams:write,keys:read,keys:write"), "POME_API_URL": s.URL}
	var team client.PlatformTeam
	r := mustRun(t, env, "", 0, "platform", "teams", "create", "Acme Inc", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &team); err != nil {
		t.Fatal(err)
	}

	// Not a terminal: the key alone on stdout.
	r = mustRun(t, env, "", 0, "platform", "keys", "create", team.ID, "acme-prod", "--environment", "test",
		"--scope", "docs:read", "--scope", "billing:*", "--rate-limit", "100/1m", "--allowed-cidr", "10.0.0.0/8",
		"--meta", `{"customer":"cus_123"}`, "--expires-in-days", "30", "--description", "prod")
	plaintext := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(plaintext, "pme_test_") || strings.Contains(plaintext, " ") || !strings.Contains(r.stderr, "only once") {
		t.Fatalf("platform keys create: stdout %q, stderr %q; want the key alone, the notice on stderr", r.stdout, r.stderr)
	}
	var list client.PlatformKeyList
	r = mustRun(t, env, "", 0, "platform", "keys", "list", team.ID, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Keys) != 1 {
		t.Fatalf("platform keys list --json = %q, %v", r.stdout, err)
	}
	k := list.Keys[0]
	if k.Environment != "test" || strings.Join(k.Scopes, ",") != "docs:read,billing:*" || k.RateLimit == nil ||
		*k.RateLimit != (client.RateLimit{Limit: 100, WindowSeconds: 60}) || strings.Join(k.AllowedCIDRs, ",") != "10.0.0.0/8" ||
		string(k.Meta) != `{"customer":"cus_123"}` || k.ExpiresAt == nil || k.Description != "prod" || k.Role != "developer" ||
		!strings.HasPrefix(k.CreatedBy, "stk_") {
		t.Fatalf("the key made by platform keys create = %+v", k)
	}
	if strings.Contains(r.stdout, plaintext) {
		t.Errorf("platform keys list holds the plaintext")
	}
	r = mustRun(t, env, "", 0, "platform", "keys", "get", k.ID)
	for _, want := range []string{k.ID, "acme-prod", "docs:read, billing:*", "100 per 60s", "10.0.0.0/8", "cus_123", "test", k.CreatedBy} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("platform keys get: %q; want %q in it", r.stdout, want)
		}
	}
	r = mustRun(t, env, "", 0, "platform", "keys", "list", team.ID)
	if !strings.Contains(r.stdout, k.ID) || !strings.Contains(r.stdout, "acme-prod") {
		t.Errorf("platform keys list: %q; want the key's row", r.stdout)
	}

	// Update: set some, clear others; the rest stays.
	r = mustRun(t, env, "", 0, "platform", "keys", "update", k.ID, "--name", "acme-production", "--clear-rate-limit",
		"--clear-scopes", "--allowed-cidr", "192.168.0.0/16", "--allowed-cidr", "::1", "--disable", "--json")
	var changed client.Key
	if err := json.Unmarshal([]byte(r.stdout), &changed); err != nil || changed.Name != "acme-production" || changed.RateLimit != nil ||
		len(changed.Scopes) != 0 || strings.Join(changed.AllowedCIDRs, ",") != "192.168.0.0/16,::1/128" || changed.Enabled ||
		string(changed.Meta) != `{"customer":"cus_123"}` || changed.Description != "prod" || changed.ExpiresAt == nil {
		t.Fatalf("platform keys update = %q, %v", r.stdout, err)
	}
	r = mustRun(t, env, "", 0, "platform", "keys", "update", k.ID, "--enable", "--no-expiry", "--clear-meta", "--clear-cidrs", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &changed); err != nil || !changed.Enabled || changed.ExpiresAt != nil ||
		string(changed.Meta) != "{}" || len(changed.AllowedCIDRs) != 0 || changed.Name != "acme-production" {
		t.Fatalf("platform keys update (clears) = %q, %v", r.stdout, err)
	}

	// Roll: every policy goes with the key; the new key alone on stdout.
	mustRun(t, env, "", 0, "platform", "keys", "update", k.ID, "--rate-limit", "5/10", "--scope", "docs:read")
	var rolled client.RolledKey
	r = mustRun(t, env, "", 0, "platform", "keys", "roll", k.ID, "--grace", "1h", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &rolled); err != nil || rolled.RolledFrom != k.ID || rolled.Name != "acme-production" ||
		rolled.RateLimit == nil || *rolled.RateLimit != (client.RateLimit{Limit: 5, WindowSeconds: 10}) ||
		strings.Join(rolled.Scopes, ",") != "docs:read" || rolled.Environment != "test" || !strings.HasPrefix(rolled.Key, "pme_test_") {
		t.Fatalf("platform keys roll --json = %q, %v", r.stdout, err)
	}
	r = mustRun(t, env, "", 0, "platform", "keys", "revoke", rolled.ID, "--yes")
	if !strings.Contains(r.stdout, "Revoked key "+rolled.ID) {
		t.Errorf("platform keys revoke: %q", r.stdout)
	}
	r = mustRun(t, env, "", 0, "platform", "keys", "get", rolled.ID, "--json")
	if !strings.Contains(r.stdout, `"status":"revoked"`) {
		t.Errorf("platform keys get after revoke: %q", r.stdout)
	}

	reader := map[string]string{"POME_SERVICE_TOKEN": token("keys:read"), "POME_API_URL": s.URL}
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no token", map[string]string{"POME_API_URL": s.URL}, []string{"platform", "keys", "get", k.ID}, 2, "no service token"},
		{"bad rate limit", env, []string{"platform", "keys", "create", team.ID, "x", "--rate-limit", "100"}, 2, "--rate-limit must be N/WINDOW"},
		{"bad rate window", env, []string{"platform", "keys", "create", team.ID, "x", "--rate-limit", "100/1ms"}, 2, "whole seconds"},
		{"bad meta", env, []string{"platform", "keys", "create", team.ID, "x", "--meta", "{customer}"}, 2, "--meta must be a JSON object"},
		{"bad expires-at", env, []string{"platform", "keys", "create", team.ID, "x", "--expires-at", "tomorrow"}, 2, "RFC 3339"},
		{"both expiries", env, []string{"platform", "keys", "create", team.ID, "x", "--expires-at", "2030-01-01T00:00:00Z", "--expires-in-days", "3"}, 2, "not both"},
		{"bad role", env, []string{"platform", "keys", "create", team.ID, "x", "--role", "root"}, 2, "--role must be"},
		{"missing name", env, []string{"platform", "keys", "create", team.ID}, 2, "missing NAME"},
		{"nothing to update", env, []string{"platform", "keys", "update", k.ID}, 2, "nothing to change"},
		{"set and clear", env, []string{"platform", "keys", "update", k.ID, "--scope", "a", "--clear-scopes"}, 2, "--scope or --clear-scopes, not both"},
		{"enabled and disabled", env, []string{"platform", "keys", "update", k.ID, "--enable", "--disable"}, 2, "--enable or --disable, not both"},
		{"bad status", env, []string{"platform", "keys", "list", team.ID, "--status", "gone"}, 2, "--status must be"},
		{"revoke without --yes", env, []string{"platform", "keys", "revoke", k.ID}, 2, "--yes"},
		{"bad cidr", env, []string{"platform", "keys", "create", team.ID, "x", "--allowed-cidr", "10.0.0.0/33"}, 1, "'allowed_cidrs'"},
		{"unknown team", env, []string{"platform", "keys", "list", "tm_nope"}, 1, "team_not_found"},
		{"unknown key", env, []string{"platform", "keys", "get", "key_nope"}, 1, "key_not_found"},
		{"without the scope", reader, []string{"platform", "keys", "create", team.ID, "x"}, 1, "lacks the 'keys:write' scope"},
	} {
		r := runCLI(t, c.env, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", c.name, r.code, r.stderr, c.code, c.want)
		}
	}
}
