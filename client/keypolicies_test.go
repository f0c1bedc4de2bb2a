package client_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// planLimit is the free plan's limit in these tests: a member's key may
// not allow more.
const planLimit = 100

// policyServer is a server whose free plan allows planLimit requests a
// minute, and alice, owner of acme.
func policyServer(t *testing.T) (*pometest.Server, *client.Client) {
	t.Helper()
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
		r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, planLimit)
	}))
	return s, mustSignup(t, s, "alice@example.com", "Acme")
}

// fullPolicies is a key with every policy set, and what the server answers
// for them (CIDRs masked and normalized, duplicates dropped).
var fullPolicies = client.CreateKeyParams{
	Name: "full", Description: "every policy", Role: pome.RoleDeveloper,
	Environment:  "test",
	Meta:         json.RawMessage(`{ "customer": "c_42", "tier": [1, 2] }`),
	Scopes:       []string{"docs:read", "billing:*", "docs:read"},
	RateLimit:    &client.RateLimit{Limit: 10, WindowSeconds: 60},
	AllowedCIDRs: []string{"10.1.2.3/8", "2001:db8::/32", "192.0.2.7"},
	Enabled:      new(false),
}

func wantFullPolicies(teamID string) client.KeyPolicies {
	return client.KeyPolicies{
		TeamID: teamID, Environment: "test", Meta: json.RawMessage(`{"customer":"c_42","tier":[1,2]}`),
		Scopes: []string{"docs:read", "billing:*"}, RateLimit: &client.RateLimit{Limit: 10, WindowSeconds: 60},
		AllowedCIDRs: []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"}, Enabled: false,
	}
}

// samePolicies compares policies, meta as JSON text.
func samePolicies(got, want client.KeyPolicies) bool {
	return string(got.Meta) == string(want.Meta) && reflect.DeepEqual(
		client.KeyPolicies{TeamID: got.TeamID, Environment: got.Environment, Scopes: got.Scopes, RateLimit: got.RateLimit, AllowedCIDRs: got.AllowedCIDRs, Enabled: got.Enabled},
		client.KeyPolicies{TeamID: want.TeamID, Environment: want.Environment, Scopes: want.Scopes, RateLimit: want.RateLimit, AllowedCIDRs: want.AllowedCIDRs, Enabled: want.Enabled})
}

// TestKeyPolicies protects the policies through the SDK: CreateKey sends
// every one, and GetKey, ListKeys and the creation answer all return them.
func TestKeyPolicies(t *testing.T) {
	_, c := policyServer(t)
	ctx := t.Context()
	sess, err := c.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	teamID := sess.Teams[0].ID
	want := wantFullPolicies(teamID)

	k, err := c.CreateKey(ctx, fullPolicies)
	if err != nil {
		t.Fatalf("CreateKey(every policy) = %v", err)
	}
	if !samePolicies(k.KeyPolicies, want) {
		t.Errorf("CreateKey(every policy) policies = %+v, want %+v", k.KeyPolicies, want)
	}
	// A test key says so in its text, and is a key of Pome's format all
	// the same.
	if !strings.HasPrefix(k.Key, "pme_test_") || !pome.DefaultKeyFormat.WellFormed(k.Key) || k.Prefix != k.Key[:17] {
		t.Errorf("test key = %q (prefix %q), want a well-formed pme_test_ key", k.Key, k.Prefix)
	}
	got, err := c.GetKey(ctx, k.ID)
	if err != nil || !samePolicies(got.KeyPolicies, want) {
		t.Errorf("GetKey() = %+v, %v; want policies %+v", got, err, want)
	}
	l, err := c.ListKeys(ctx, client.KeyListOptions{})
	if err != nil || len(l.Keys) != 1 || !samePolicies(l.Keys[0].KeyPolicies, want) {
		t.Errorf("ListKeys() = %+v, %v; want the key with policies %+v", l, err, want)
	}

	// None given: none, and a live key.
	plain, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	none := client.KeyPolicies{TeamID: teamID, Environment: "live", Meta: json.RawMessage(`{}`),
		Scopes: []string{}, AllowedCIDRs: []string{}, Enabled: true}
	if !samePolicies(plain.KeyPolicies, none) || strings.HasPrefix(plain.Key, "pme_test_") || !pome.DefaultKeyFormat.WellFormed(plain.Key) {
		t.Errorf("CreateKey(no policy) = %+v, want %+v", plain, none)
	}

	// expires_at: the expiry given, to the second as the wire has it.
	at := pometest.Epoch.Add(10 * 24 * time.Hour)
	e, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "dated", ExpiresAt: &at})
	if err != nil || e.ExpiresAt == nil || !e.ExpiresAt.Equal(at) {
		t.Errorf("CreateKey(expires_at) = %+v, %v; want expiry %v", e, err, at)
	}
}

// TestKeyPolicyErrors protects the 400 of each bad policy: invalid_parameter,
// naming the field.
func TestKeyPolicyErrors(t *testing.T) {
	s, c := policyServer(t)
	ctx := t.Context()
	past := pometest.Epoch.Add(-time.Hour)
	scopes51 := make([]string, 51)
	for i := range scopes51 {
		scopes51[i] = "s" + strings.Repeat("x", i)
	}
	bigMeta := json.RawMessage(`{"x":"` + strings.Repeat("a", 4<<10) + `"}`)
	for _, tc := range []struct {
		name  string
		p     client.CreateKeyParams
		field string
	}{
		{"CIDR /33", client.CreateKeyParams{AllowedCIDRs: []string{"10.0.0.0/33"}}, "allowed_cidrs"},
		{"IPv6 /129", client.CreateKeyParams{AllowedCIDRs: []string{"::1/129"}}, "allowed_cidrs"},
		{"host name CIDR", client.CreateKeyParams{AllowedCIDRs: []string{"example.com"}}, "allowed_cidrs"},
		{"51 scopes", client.CreateKeyParams{Scopes: scopes51}, "scopes"},
		{"upper-case scope", client.CreateKeyParams{Scopes: []string{"Docs:read"}}, "scopes"},
		{"meta array", client.CreateKeyParams{Meta: json.RawMessage(`[]`)}, "meta"},
		{"meta over 4 KiB", client.CreateKeyParams{Meta: bigMeta}, "meta"},
		{"expires_at past", client.CreateKeyParams{ExpiresAt: &past}, "expires_at"},
		{"expires_at and expires_in_days", client.CreateKeyParams{ExpiresAt: new(pometest.Epoch.Add(time.Hour)), ExpiresInDays: 2}, "expires_at"},
		{"rate_limit.limit 0", client.CreateKeyParams{RateLimit: &client.RateLimit{Limit: 0, WindowSeconds: 60}}, "rate_limit.limit"},
		{"rate_limit.window_seconds 0", client.CreateKeyParams{RateLimit: &client.RateLimit{Limit: 1, WindowSeconds: 0}}, "rate_limit.window_seconds"},
		{"rate_limit above the plan", client.CreateKeyParams{RateLimit: &client.RateLimit{Limit: planLimit + 1, WindowSeconds: 60}}, "rate_limit"},
		{"rate_limit faster than the plan", client.CreateKeyParams{RateLimit: &client.RateLimit{Limit: 10, WindowSeconds: 1}}, "rate_limit"},
		{"environment", client.CreateKeyParams{Environment: "prod"}, "environment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.Clock.Advance(time.Minute) // a fresh create_key quota
			tc.p.Name = "bad"
			_, err := c.CreateKey(ctx, tc.p)
			e := mustAPIError(t, "CreateKey("+tc.name+")", err, http.StatusBadRequest, "invalid_parameter")
			if !strings.Contains(e.Message(), "'"+tc.field+"'") {
				t.Errorf("CreateKey(%s) message = %q, want it to name '%s'", tc.name, e.Message(), tc.field)
			}
			// The same rule on a change, but for what a change has not.
			if tc.p.ExpiresInDays != 0 || tc.p.Environment != "" {
				return
			}
			k, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "good"})
			if err != nil {
				t.Fatal(err)
			}
			u := client.UpdateKeyParams{}
			switch {
			case tc.p.AllowedCIDRs != nil:
				u.AllowedCIDRs = pome.Some(tc.p.AllowedCIDRs)
			case tc.p.Scopes != nil:
				u.Scopes = pome.Some(tc.p.Scopes)
			case tc.p.Meta != nil:
				u.Meta = pome.Some(tc.p.Meta)
			case tc.p.ExpiresAt != nil:
				u.ExpiresAt = pome.Some(*tc.p.ExpiresAt)
			case tc.p.RateLimit != nil:
				u.RateLimit = pome.Some(*tc.p.RateLimit)
			}
			_, err = c.UpdateKey(ctx, k.ID, u)
			e = mustAPIError(t, "UpdateKey("+tc.name+")", err, http.StatusBadRequest, "invalid_parameter")
			if !strings.Contains(e.Message(), "'"+tc.field+"'") {
				t.Errorf("UpdateKey(%s) message = %q, want it to name '%s'", tc.name, e.Message(), tc.field)
			}
			// A refused change changed nothing.
			if got, err := c.GetKey(ctx, k.ID); err != nil || !samePolicies(got.KeyPolicies, k.KeyPolicies) || got.ExpiresAt != nil {
				t.Errorf("GetKey() after a refused change = %+v, %v; want %+v", got, err, k.KeyPolicies)
			}
		})
	}
	// The plan's own limit is allowed.
	if _, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "at the plan", RateLimit: &client.RateLimit{Limit: planLimit, WindowSeconds: 60}}); err != nil {
		t.Errorf("CreateKey(rate_limit = the plan's) = %v", err)
	}
}

// TestUpdateKey protects UpdateKey: each field set alone, the others
// unchanged; null clears; a body without a field is 400.
func TestUpdateKey(t *testing.T) {
	s, c := policyServer(t)
	ctx := t.Context()
	k, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "ci", Description: "d", ExpiresInDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := c.GetKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	at := pometest.Epoch.Add(48 * time.Hour)
	for _, tc := range []struct {
		name  string
		p     client.UpdateKeyParams
		apply func(k *client.Key) // what the change does to the key
	}{
		{"name", client.UpdateKeyParams{Name: pome.Some("ci-2")}, func(k *client.Key) { k.Name = "ci-2" }},
		{"description", client.UpdateKeyParams{Description: pome.Some("")}, func(k *client.Key) { k.Description = "" }},
		{"meta", client.UpdateKeyParams{Meta: pome.Some(json.RawMessage(`{"a": 1}`))}, func(k *client.Key) { k.Meta = json.RawMessage(`{"a":1}`) }},
		{"scopes", client.UpdateKeyParams{Scopes: pome.Some([]string{"*"})}, func(k *client.Key) { k.Scopes = []string{"*"} }},
		{"rate_limit", client.UpdateKeyParams{RateLimit: pome.Some(client.RateLimit{Limit: 5, WindowSeconds: 10})},
			func(k *client.Key) { k.RateLimit = &client.RateLimit{Limit: 5, WindowSeconds: 10} }},
		{"allowed_cidrs", client.UpdateKeyParams{AllowedCIDRs: pome.Some([]string{"::1"})}, func(k *client.Key) { k.AllowedCIDRs = []string{"::1/128"} }},
		{"expires_at", client.UpdateKeyParams{ExpiresAt: pome.Some(at)}, func(k *client.Key) { k.ExpiresAt = &at }},
		{"disable", client.UpdateKeyParams{Enabled: pome.Some(false)}, func(k *client.Key) { k.Enabled = false }},
		{"enable", client.UpdateKeyParams{Enabled: pome.Some(true)}, func(k *client.Key) { k.Enabled = true }},
		{"clear meta", client.UpdateKeyParams{Meta: pome.Null[json.RawMessage]()}, func(k *client.Key) { k.Meta = json.RawMessage(`{}`) }},
		{"clear scopes", client.UpdateKeyParams{Scopes: pome.Null[[]string]()}, func(k *client.Key) { k.Scopes = []string{} }},
		{"clear rate_limit", client.UpdateKeyParams{RateLimit: pome.Null[client.RateLimit]()}, func(k *client.Key) { k.RateLimit = nil }},
		{"clear allowed_cidrs", client.UpdateKeyParams{AllowedCIDRs: pome.Null[[]string]()}, func(k *client.Key) { k.AllowedCIDRs = []string{} }},
		{"clear expires_at", client.UpdateKeyParams{ExpiresAt: pome.Null[time.Time]()}, func(k *client.Key) { k.ExpiresAt = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.apply(cur)
			got, err := c.UpdateKey(ctx, k.ID, tc.p)
			if err != nil {
				t.Fatalf("UpdateKey(%s) = %v", tc.name, err)
			}
			if !sameKey(got, cur) {
				t.Errorf("UpdateKey(%s) = %+v, want %+v", tc.name, got, cur)
			}
			if read, err := c.GetKey(ctx, k.ID); err != nil || !sameKey(read, cur) {
				t.Errorf("GetKey() after UpdateKey(%s) = %+v, %v; want %+v", tc.name, read, err, cur)
			}
		})
	}

	t.Run("nothing to change", func(t *testing.T) {
		_, err := c.UpdateKey(ctx, k.ID, client.UpdateKeyParams{})
		mustAPIError(t, "UpdateKey({})", err, http.StatusBadRequest, "invalid_parameter")
	})
	t.Run("enabled null", func(t *testing.T) {
		_, err := c.UpdateKey(ctx, k.ID, client.UpdateKeyParams{Enabled: pome.Null[bool]()})
		e := mustAPIError(t, "UpdateKey(enabled null)", err, http.StatusBadRequest, "invalid_parameter")
		if !strings.Contains(e.Message(), "'enabled'") {
			t.Errorf("message = %q, want it to name 'enabled'", e.Message())
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := c.UpdateKey(ctx, "key_doesnotexist00", client.UpdateKeyParams{Name: pome.Some("x")})
		mustAPIError(t, "UpdateKey(unknown)", err, http.StatusNotFound, "key_not_found")
	})
	t.Run("another team's key", func(t *testing.T) {
		bob := mustSignup(t, s, "bob@example.com", "Bobs")
		bk, err := bob.CreateKey(ctx, client.CreateKeyParams{Name: "bob's"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.UpdateKey(ctx, bk.ID, client.UpdateKeyParams{Enabled: pome.Some(false)})
		mustAPIError(t, "UpdateKey(another team's key)", err, http.StatusNotFound, "key_not_found")
		if got, err := bob.GetKey(ctx, bk.ID); err != nil || !got.Enabled {
			t.Errorf("bob's key after alice's change = %+v, %v; want it enabled", got, err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		if _, err := c.RevokeKey(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		_, err := c.UpdateKey(ctx, k.ID, client.UpdateKeyParams{Name: pome.Some("back")})
		mustAPIError(t, "UpdateKey(revoked)", err, http.StatusConflict, "key_not_active")
	})
}

// sameKey compares two key objects, meta as JSON text and times by instant.
func sameKey(a, b *client.Key) bool {
	sameTime := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.Role == b.Role &&
		a.Status == b.Status && sameTime(a.ExpiresAt, b.ExpiresAt) && samePolicies(a.KeyPolicies, b.KeyPolicies)
}

// TestUpdateKeyPermissions protects who may change a key: owners and
// admins; a developer is 403 on their own key and 404 on another's; a
// viewer 404; and a member's rate_limit only within the plan's.
func TestUpdateKeyPermissions(t *testing.T) {
	s, alice := policyServer(t)
	ctx := t.Context()
	dev := mustSignup(t, s, "dev@example.com", "Devs")
	viewer := mustSignup(t, s, "viewer@example.com", "Views")
	admin := mustSignup(t, s, "admin@example.com", "Admins")
	mustJoin(t, alice, dev, "dev@example.com", pome.RoleDeveloper)
	mustJoin(t, alice, viewer, "viewer@example.com", pome.RoleViewer)
	mustJoin(t, alice, admin, "admin@example.com", pome.RoleAdmin)
	dev, viewer, admin = dev.ForTeam("acme"), viewer.ForTeam("acme"), admin.ForTeam("acme")
	aliceKey, err := alice.CreateKey(ctx, client.CreateKeyParams{Name: "alice's"})
	if err != nil {
		t.Fatal(err)
	}
	devKey, err := dev.CreateKey(ctx, client.CreateKeyParams{Name: "dev's"})
	if err != nil {
		t.Fatal(err)
	}
	change := client.UpdateKeyParams{Enabled: pome.Some(false)}

	_, err = dev.UpdateKey(ctx, devKey.ID, change)
	mustAPIError(t, "developer UpdateKey(own)", err, http.StatusForbidden, "insufficient_permissions")
	_, err = dev.UpdateKey(ctx, aliceKey.ID, change)
	mustAPIError(t, "developer UpdateKey(another's)", err, http.StatusNotFound, "key_not_found")
	_, err = viewer.UpdateKey(ctx, aliceKey.ID, change)
	mustAPIError(t, "viewer UpdateKey()", err, http.StatusNotFound, "key_not_found")
	for _, id := range []string{aliceKey.ID, devKey.ID} {
		if k, err := alice.GetKey(ctx, id); err != nil || !k.Enabled {
			t.Errorf("key %s after refused changes = %+v, %v; want it enabled", id, k, err)
		}
	}

	// An admin changes any key of the team, an owner's included.
	for _, id := range []string{aliceKey.ID, devKey.ID} {
		if k, err := admin.UpdateKey(ctx, id, change); err != nil || k.Enabled {
			t.Errorf("admin UpdateKey(%s) = %+v, %v; want it disabled", id, k, err)
		}
	}
	// Within the plan's limit only, for an owner too: the plan is the
	// operator's.
	_, err = alice.UpdateKey(ctx, devKey.ID, client.UpdateKeyParams{RateLimit: pome.Some(client.RateLimit{Limit: planLimit + 1, WindowSeconds: 60})})
	mustAPIError(t, "owner UpdateKey(rate_limit above the plan)", err, http.StatusBadRequest, "invalid_parameter")
	if k, err := alice.UpdateKey(ctx, devKey.ID, client.UpdateKeyParams{RateLimit: pome.Some(client.RateLimit{Limit: planLimit, WindowSeconds: 120})}); err != nil ||
		k.RateLimit == nil || *k.RateLimit != (client.RateLimit{Limit: planLimit, WindowSeconds: 120}) {
		t.Errorf("owner UpdateKey(rate_limit within the plan) = %+v, %v", k, err)
	}
}

// TestRollKeepsPolicies protects the roll: the replacement has every
// policy and the environment of the old key (a test key's is a test key),
// and its lifetime unless expires_at (or expires_in_days) is given.
func TestRollKeepsPolicies(t *testing.T) {
	s, c := policyServer(t)
	ctx := t.Context()
	p := fullPolicies
	p.ExpiresAt = new(pometest.Epoch.Add(10 * 24 * time.Hour)) // a 10-day lifetime
	k, err := c.CreateKey(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(3 * 24 * time.Hour)

	r, err := c.RollKey(ctx, k.ID, client.RollKeyParams{})
	if err != nil {
		t.Fatalf("RollKey() = %v", err)
	}
	if !samePolicies(r.KeyPolicies, k.KeyPolicies) {
		t.Errorf("RollKey() policies = %+v, want the old key's %+v", r.KeyPolicies, k.KeyPolicies)
	}
	if !strings.HasPrefix(r.Key, "pme_test_") || !pome.DefaultKeyFormat.WellFormed(r.Key) {
		t.Errorf("RollKey() of a test key = %q, want a pme_test_ key", r.Key)
	}
	if want := s.Clock.Now().Add(10 * 24 * time.Hour); r.ExpiresAt == nil || !r.ExpiresAt.Equal(want) {
		t.Errorf("RollKey() expires_at = %v, want the 10-day lifetime from now, %v", r.ExpiresAt, want)
	}
	if got, err := c.GetKey(ctx, r.ID); err != nil || !samePolicies(got.KeyPolicies, k.KeyPolicies) {
		t.Errorf("GetKey(replacement) = %+v, %v; want the old key's policies", got, err)
	}

	at := s.Clock.Now().Add(2 * time.Hour)
	r2, err := c.RollKey(ctx, r.ID, client.RollKeyParams{ExpiresAt: &at})
	if err != nil || r2.ExpiresAt == nil || !r2.ExpiresAt.Equal(at) || !samePolicies(r2.KeyPolicies, k.KeyPolicies) {
		t.Errorf("RollKey(expires_at) = %+v, %v; want expiry %v and the same policies", r2, err, at)
	}
	_, err = c.RollKey(ctx, r2.ID, client.RollKeyParams{ExpiresAt: new(s.Clock.Now().Add(-time.Minute))})
	mustAPIError(t, "RollKey(expires_at past)", err, http.StatusBadRequest, "invalid_parameter")
	_, err = c.RollKey(ctx, r2.ID, client.RollKeyParams{ExpiresAt: &at, ExpiresInDays: 3})
	mustAPIError(t, "RollKey(expires_at and expires_in_days)", err, http.StatusBadRequest, "invalid_parameter")

	// A live key's replacement is live.
	live, err := c.CreateKey(ctx, client.CreateKeyParams{Name: "live", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := c.RollKey(ctx, live.ID, client.RollKeyParams{})
	if err != nil || lr.Environment != "live" || strings.HasPrefix(lr.Key, "pme_test_") || !slices.Equal(lr.Scopes, []string{"a"}) {
		t.Errorf("RollKey(live) = %+v, %v", lr, err)
	}
}
