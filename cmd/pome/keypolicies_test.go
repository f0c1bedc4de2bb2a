package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// TestKeysPolicyFlags protects the policy flags of pome keys create and
// pome keys update against a real server: each reaches the API, the
// clears clear, and a bad value is a usage error (exit 2) before any
// request, or the API's 400 (exit 1).
func TestKeysPolicyFlags(t *testing.T) {
	t.Parallel()
	_, env := aliceSignedIn(t)

	// create with every policy.
	r := mustRun(t, env, "", 0, "keys", "create", "sandbox", "--json", "--environment", "test",
		"--scope", "docs:read", "--scope", "billing:*", "--rate-limit", "10/1m", "--allowed-cidr", "10.1.2.3/8",
		"--allowed-cidr", "2001:db8::/32", "--meta", `{"customer": "c_42"}`, "--disable",
		"--expires-at", pometest.Epoch.Add(48*time.Hour).Format(time.RFC3339))
	var k client.CreatedKey
	mustDecode(t, r.stdout, &k)
	if k.Environment != "test" || !strings.HasPrefix(k.Key, "pme_test_") || !pome.DefaultKeyFormat.WellFormed(k.Key) ||
		!slices.Equal(k.Scopes, []string{"docs:read", "billing:*"}) || k.RateLimit == nil || *k.RateLimit != (client.RateLimit{Limit: 10, WindowSeconds: 60}) ||
		!slices.Equal(k.AllowedCIDRs, []string{"10.0.0.0/8", "2001:db8::/32"}) || string(k.Meta) != `{"customer":"c_42"}` ||
		k.Enabled || k.ExpiresAt == nil || !k.ExpiresAt.Equal(pometest.Epoch.Add(48*time.Hour)) {
		t.Fatalf("keys create with every policy = %+v", k)
	}

	// get shows them.
	r = mustRun(t, env, "", 0, "keys", "get", k.ID)
	mustContain(t, "keys get", r.stdout, "environment    test", "enabled        false", "scopes         docs:read billing:*",
		"rate limit     10/60s", "10.0.0.0/8 2001:db8::/32", `{"customer":"c_42"}`)

	update := func(t *testing.T, args ...string) client.Key {
		t.Helper()
		r := mustRun(t, env, "", 0, append([]string{"keys", "update", k.ID, "--json"}, args...)...)
		var got client.Key
		mustDecode(t, r.stdout, &got)
		return got
	}
	t.Run("update each", func(t *testing.T) {
		if got := update(t, "--enable"); !got.Enabled {
			t.Errorf("--enable: %+v", got)
		}
		if got := update(t, "--name", "sandbox-2", "--description", "for tests"); got.Name != "sandbox-2" || got.Description != "for tests" {
			t.Errorf("--name --description: %+v", got)
		}
		if got := update(t, "--scope", "*"); !slices.Equal(got.Scopes, []string{"*"}) || len(got.AllowedCIDRs) != 2 {
			t.Errorf("--scope *: %+v, want the scopes replaced and the rest kept", got)
		}
		if got := update(t, "--rate-limit", "5/30"); got.RateLimit == nil || *got.RateLimit != (client.RateLimit{Limit: 5, WindowSeconds: 30}) {
			t.Errorf("--rate-limit 5/30: %+v", got.RateLimit)
		}
		if got := update(t, "--allowed-cidr", "::1"); !slices.Equal(got.AllowedCIDRs, []string{"::1/128"}) {
			t.Errorf("--allowed-cidr ::1: %v", got.AllowedCIDRs)
		}
		if got := update(t, "--meta", `{"a":1}`); string(got.Meta) != `{"a":1}` {
			t.Errorf("--meta: %s", got.Meta)
		}
		if got := update(t, "--expires-at", "2027-01-31"); got.ExpiresAt == nil || !got.ExpiresAt.Equal(time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("--expires-at 2027-01-31: %v", got.ExpiresAt)
		}
		// Days from now, here: the server's clock is the test's.
		got := update(t, "--expires-in-days", "30")
		if want := time.Now().AddDate(0, 0, 30); got.ExpiresAt == nil || got.ExpiresAt.Sub(want).Abs() > time.Minute {
			t.Errorf("--expires-in-days 30: %v, want about %v", got.ExpiresAt, want)
		}
		if got := update(t, "--disable"); got.Enabled {
			t.Errorf("--disable: %+v", got)
		}
		// Not JSON: the notice on stderr, the key's fields on stdout.
		r := mustRun(t, env, "", 0, "keys", "update", "sandbox-2", "--enable")
		mustContain(t, "keys update", r.stderr, "Updated key "+k.ID)
		mustContain(t, "keys update", r.stdout, "enabled        true")
	})
	t.Run("clears", func(t *testing.T) {
		got := update(t, "--clear-scopes", "--clear-rate-limit", "--clear-cidrs", "--clear-meta", "--no-expiry")
		if len(got.Scopes) != 0 || got.RateLimit != nil || len(got.AllowedCIDRs) != 0 || string(got.Meta) != "{}" || got.ExpiresAt != nil ||
			got.Environment != "test" || got.Name != "sandbox-2" {
			t.Errorf("every clear = %+v, want no policy, the environment and name kept", got)
		}
	})
	t.Run("credits", func(t *testing.T) {
		r := mustRun(t, env, "", 0, "keys", "create", "metered", "--json", "--credits", "5", "--refill", "daily:10")
		var m client.CreatedKey
		mustDecode(t, r.stdout, &m)
		if m.Credits == nil || m.Credits.Remaining != 5 || m.Credits.Refill == nil || *m.Credits.Refill != (client.CreditRefill{Interval: "daily", Amount: 10}) {
			t.Fatalf("keys create --credits 5 --refill daily:10: credits = %+v", m.Credits)
		}
		r = mustRun(t, env, "", 0, "keys", "get", m.ID)
		mustContain(t, "keys get", r.stdout, "credits        5 left, refilled daily to 10")
		upd := func(args ...string) *client.Credits {
			t.Helper()
			r := mustRun(t, env, "", 0, append([]string{"keys", "update", m.ID, "--json"}, args...)...)
			var got client.Key
			mustDecode(t, r.stdout, &got)
			return got.Credits
		}
		if got := upd("--add-credits", "-2"); got == nil || got.Remaining != 3 {
			t.Errorf("--add-credits -2: %+v, want 3", got)
		}
		if got := upd("--credits", "1", "--clear-refill"); got == nil || got.Remaining != 1 || got.Refill != nil {
			t.Errorf("--credits 1 --clear-refill: %+v, want 1 and no refill", got)
		}
		// Adding is the platform's: a member's --add-credits 1 is the API's 400.
		for _, args := range [][]string{{"--add-credits", "1"}, {"--unlimited"}} {
			r := mustRun(t, env, "", 1, append([]string{"keys", "update", m.ID}, args...)...)
			mustContain(t, "keys update "+strings.Join(args, " "), r.stderr, "code invalid_parameter")
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"create", "x", "--environment", "prod"}, "--environment must be live or test"},
			{[]string{"create", "x", "--rate-limit", "100"}, "--rate-limit must be N/WINDOW"},
			{[]string{"create", "x", "--rate-limit", "0/60s"}, "--rate-limit must be N/WINDOW"},
			{[]string{"create", "x", "--rate-limit", "10/1500ms"}, "--rate-limit must be N/WINDOW"},
			{[]string{"create", "x", "--meta", "{nope"}, "--meta must be a JSON object"},
			{[]string{"create", "x", "--expires-at", "tomorrow"}, "--expires-at must be an RFC 3339 time"},
			{[]string{"create", "x", "--expires-at", "2027-01-31", "--expires-in-days", "3"}, "not both"},
			{[]string{"create", "x", "--enable", "--disable"}, "--enable or --disable, not both"},
			{[]string{"update", k.ID}, "nothing to change"},
			{[]string{"update", k.ID, "--scope", "a", "--clear-scopes"}, "--scope or --clear-scopes, not both"},
			{[]string{"update", k.ID, "--no-expiry", "--expires-in-days", "3"}, "give one of --expires-at, --expires-in-days, --no-expiry"},
			{[]string{"update", k.ID, "--environment", "live"}, "unknown flag: --environment"},
			{[]string{"create", "x", "--refill", "daily:10"}, "--refill needs --credits"},
			{[]string{"create", "x", "--credits", "5", "--refill", "hourly:10"}, "--refill must be daily:AMOUNT or monthly:AMOUNT"},
			{[]string{"create", "x", "--credits", "-1"}, "--credits must be 0 or more"},
			{[]string{"update", k.ID, "--credits", "1", "--add-credits", "1"}, "--credits or --add-credits, not both"},
			{[]string{"update", k.ID, "--unlimited", "--refill", "daily:1"}, "--refill or --unlimited, not both"},
			{[]string{"update"}, "missing KEY"},
		} {
			r := mustRun(t, env, "", 2, append([]string{"keys"}, tc.args...)...)
			mustContain(t, "keys "+strings.Join(tc.args, " "), r.stderr, tc.want)
		}
	})
	t.Run("API errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"create", "x", "--allowed-cidr", "10.0.0.0/33"},
			{"create", "x", "--scope", "Docs:read"},
			{"create", "x", "--meta", "[]"},
			{"update", k.ID, "--allowed-cidr", "example.com"},
			{"update", k.ID, "--expires-at", "2020-01-01"},
		} {
			r := mustRun(t, env, "", 1, append([]string{"keys"}, args...)...)
			mustContain(t, "keys "+strings.Join(args, " "), r.stderr, "code invalid_parameter")
		}
	})
	t.Run("not from the environment", func(t *testing.T) {
		// A variable left set in the shell changes no key's policies.
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e["POME_DISABLE"], e["POME_SCOPE"], e["POME_ENVIRONMENT"], e["POME_CLEAR_SCOPES"] = "true", "all", "test", "true"
		r := mustRun(t, e, "", 0, "keys", "create", "plain", "--json")
		var plain client.CreatedKey
		mustDecode(t, r.stdout, &plain)
		if !plain.Enabled || len(plain.Scopes) != 0 || plain.Environment != "live" {
			t.Errorf("keys create with POME_DISABLE, POME_SCOPE, POME_ENVIRONMENT set = %+v, want none of them", plain)
		}
		r = mustRun(t, e, "", 2, "keys", "update", plain.ID)
		mustContain(t, "keys update with POME_CLEAR_SCOPES set", r.stderr, "nothing to change")
	})
	t.Run("revoked", func(t *testing.T) {
		mustRun(t, env, "", 0, "keys", "revoke", k.ID, "--yes")
		r := mustRun(t, env, "", 1, "keys", "update", k.ID, "--enable")
		mustContain(t, "keys update of a revoked key", r.stderr, "code key_not_active")
	})
	// Roll keeps the environment and policies.
	t.Run("roll", func(t *testing.T) {
		r := mustRun(t, env, "", 0, "keys", "create", "rolled", "--json", "--environment", "test", "--scope", "a:b")
		var old client.CreatedKey
		mustDecode(t, r.stdout, &old)
		r = mustRun(t, env, "", 0, "keys", "roll", old.ID, "--json")
		var rolled client.RolledKey
		mustDecode(t, r.stdout, &rolled)
		if !strings.HasPrefix(rolled.Key, "pme_test_") || !slices.Equal(rolled.Scopes, []string{"a:b"}) {
			t.Errorf("keys roll of a test key = %+v", rolled)
		}
	})
}

// TestKeysPolicyCompletion protects the completion of --environment.
func TestKeysPolicyCompletion(t *testing.T) {
	t.Parallel()
	r := mustRun(t, nil, "", 0, "__complete", "keys", "create", "x", "--environment", "")
	mustContain(t, "completions of --environment", r.stdout, "live", "test")
	r = mustRun(t, nil, "", 0, "__complete", "keys", "")
	mustContain(t, "completions of keys", r.stdout, "update")
	r = mustRun(t, nil, "", 0, "__complete", "keys", "update", "x", "--clear-")
	mustContain(t, "completions of keys update --clear-", r.stdout, "--clear-scopes", "--clear-rate-limit", "--clear-cidrs", "--clear-meta")
}

// The rate limit's format, alone.
func TestParseKeyRateLimit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]client.RateLimit{
		"100/60s": {Limit: 100, WindowSeconds: 60}, "100/1m": {Limit: 100, WindowSeconds: 60}, "1000/1h": {Limit: 1000, WindowSeconds: 3600}, "5/1s": {Limit: 5, WindowSeconds: 1}, "7/90": {Limit: 7, WindowSeconds: 90}, "1/24h": {Limit: 1, WindowSeconds: 86400},
	} {
		if got, err := parseKeyRateLimit("keys create", in); err != nil || got != want {
			t.Errorf("parseKeyRateLimit(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "100", "/60s", "x/60s", "-1/60s", "0/60s", "10/0s", "10/500ms", "10/1.5s", "10/-5", "10/soon"} {
		if _, err := parseKeyRateLimit("keys create", in); err == nil {
			t.Errorf("parseKeyRateLimit(%q) = nil error, want a usage error", in)
		}
	}
}
