package apikey_test

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
)

// planLimit is the free plan's limit a minute in these tests: a member's
// key may not allow more.
const planLimit = 100

// withPlan gives f's Service a free plan of planLimit requests a minute.
func (f *fixture) withPlan() *fixture {
	f.keys.SetPlans(map[string]pome.RateLimit{pome.PlanFree: {Limit: planLimit, Window: time.Minute}})
	return f
}

// everyPolicy is a new key's policies, each set.
func everyPolicy() apikey.PolicyParams {
	return apikey.PolicyParams{
		Environment:  pome.EnvTest,
		Meta:         json.RawMessage(`{ "customer": "c_42" }`),
		Scopes:       []string{"docs:read", "billing:*", "docs:read"},
		RateLimit:    &apikey.RateLimitParams{Limit: 10, WindowSeconds: 60},
		AllowedCIDRs: []string{"10.1.2.3/8", "2001:db8::/32", "192.0.2.7", "::ffff:198.51.100.0/120"},
		Enabled:      ptr(false),
	}
}

// checkEveryPolicy asserts that k holds everyPolicy as the Service keeps it.
func checkEveryPolicy(t *testing.T, what string, k pome.Key) {
	t.Helper()
	wantCIDRs := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("198.51.100.0/24")}
	if !k.TestMode || k.Environment() != pome.EnvTest || k.Meta != `{"customer":"c_42"}` ||
		!slices.Equal(k.Scopes, []string{"docs:read", "billing:*"}) ||
		k.RateLimit == nil || *k.RateLimit != (pome.RateLimit{Limit: 10, Window: time.Minute}) ||
		!slices.Equal(k.AllowedCIDRs, wantCIDRs) || !k.Disabled {
		t.Errorf("%s = env %s meta %s scopes %v rate %v cidrs %v disabled %v; want every policy",
			what, k.Environment(), k.Meta, k.Scopes, k.RateLimit, k.AllowedCIDRs, k.Disabled)
	}
}

// Create keeps every policy, as the store reads it back; a test key's
// plaintext says so and is of Pome's format.
func TestCreatePolicies(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withPlan()
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{PolicyParams: everyPolicy()})
	checkEveryPolicy(t, "Create()", c.Key)
	stored, err := f.store.KeyByID(t.Context(), m.Team.ID, c.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEveryPolicy(t, "the stored key", stored)
	if !strings.HasPrefix(c.Plaintext, "pme_test_") || !pome.DefaultKeyFormat.WellFormed(c.Plaintext) || c.Key.Prefix != c.Plaintext[:17] {
		t.Errorf("test key plaintext %q, prefix %q: want a well-formed pme_test_ key", c.Plaintext, c.Key.Prefix)
	}

	plain := f.mustCreate(t, m, apikey.CreateParams{})
	k := plain.Key
	if k.TestMode || k.Meta != "" || k.Scopes != nil || k.RateLimit != nil || k.AllowedCIDRs != nil || k.Disabled ||
		strings.HasPrefix(plain.Plaintext, "pme_test_") {
		t.Errorf("Create(no policy) = %+v, want a live key with none", k)
	}
	// Empty lists and objects are none too.
	empty := f.mustCreate(t, m, apikey.CreateParams{PolicyParams: apikey.PolicyParams{
		Environment: pome.EnvLive, Meta: json.RawMessage(`{}`), Scopes: []string{}, AllowedCIDRs: []string{}, Enabled: ptr(true)}}).Key
	if empty.TestMode || empty.Meta != "" || empty.Scopes != nil || empty.AllowedCIDRs != nil || empty.Disabled {
		t.Errorf("Create(empty policies) = %+v, want none", empty)
	}
}

// Each bad policy is invalid_parameter naming its field, and creates nothing.
func TestCreatePolicyErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withPlan()
	m := f.member(t, nil, pome.RoleOwner)
	scopes51 := make([]string, 51)
	for i := range scopes51 {
		scopes51[i] = "s" + strings.Repeat("x", i)
	}
	cidrs51 := make([]string, 51)
	for i := range cidrs51 {
		cidrs51[i] = netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).String()
	}
	past := f.clock.Now().Add(-time.Second)
	for _, tc := range []struct {
		name  string
		p     apikey.CreateParams
		field string
	}{
		{"environment", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Environment: "prod"}}, "'environment'"},
		{"meta array", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Meta: json.RawMessage(`[]`)}}, "'meta'"},
		{"meta string", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Meta: json.RawMessage(`"x"`)}}, "'meta'"},
		{"meta over 4 KiB", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Meta: json.RawMessage(`{"x":"` + strings.Repeat("a", 4<<10) + `"}`)}}, "'meta'"},
		{"51 scopes", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Scopes: scopes51}}, "'scopes'"},
		{"upper-case scope", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Scopes: []string{"Docs:read"}}}, "'scopes'"},
		{"empty scope", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Scopes: []string{""}}}, "'scopes'"},
		{"65-character scope", apikey.CreateParams{PolicyParams: apikey.PolicyParams{Scopes: []string{strings.Repeat("a", 65)}}}, "'scopes'"},
		{"rate_limit.limit 0", apikey.CreateParams{PolicyParams: apikey.PolicyParams{RateLimit: &apikey.RateLimitParams{Limit: 0, WindowSeconds: 60}}}, "'rate_limit.limit'"},
		{"rate_limit.window_seconds 0", apikey.CreateParams{PolicyParams: apikey.PolicyParams{RateLimit: &apikey.RateLimitParams{Limit: 1}}}, "'rate_limit.window_seconds'"},
		{"rate_limit.window_seconds over a day", apikey.CreateParams{PolicyParams: apikey.PolicyParams{RateLimit: &apikey.RateLimitParams{Limit: 1, WindowSeconds: 86401}}}, "'rate_limit.window_seconds'"},
		{"rate_limit above the plan", apikey.CreateParams{PolicyParams: apikey.PolicyParams{RateLimit: &apikey.RateLimitParams{Limit: planLimit + 1, WindowSeconds: 60}}}, "'rate_limit'"},
		{"rate_limit faster than the plan", apikey.CreateParams{PolicyParams: apikey.PolicyParams{RateLimit: &apikey.RateLimitParams{Limit: 2, WindowSeconds: 1}}}, "'rate_limit'"},
		{"CIDR /33", apikey.CreateParams{PolicyParams: apikey.PolicyParams{AllowedCIDRs: []string{"10.0.0.0/33"}}}, "'allowed_cidrs'"},
		{"IPv6 /129", apikey.CreateParams{PolicyParams: apikey.PolicyParams{AllowedCIDRs: []string{"::1/129"}}}, "'allowed_cidrs'"},
		{"host name", apikey.CreateParams{PolicyParams: apikey.PolicyParams{AllowedCIDRs: []string{"example.com"}}}, "'allowed_cidrs'"},
		{"zoned address", apikey.CreateParams{PolicyParams: apikey.PolicyParams{AllowedCIDRs: []string{"fe80::1%eth0"}}}, "'allowed_cidrs'"},
		{"51 CIDRs", apikey.CreateParams{PolicyParams: apikey.PolicyParams{AllowedCIDRs: cidrs51}}, "'allowed_cidrs'"},
		{"expires_at now", apikey.CreateParams{ExpiresAt: ptr(f.clock.Now())}, "'expires_at'"},
		{"expires_at past", apikey.CreateParams{ExpiresAt: &past}, "'expires_at'"},
		{"expires_at over 3650 days", apikey.CreateParams{ExpiresAt: ptr(f.clock.Now().AddDate(0, 0, 3650).Add(time.Second))}, "'expires_at'"},
		{"expires_at and expires_in_days", apikey.CreateParams{ExpiresAt: ptr(f.clock.Now().Add(time.Hour)), ExpiresInDays: ptr(1)}, "'expires_at'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Name = ptr("bad")
			_, err := f.keys.Create(t.Context(), m, tc.p)
			if e := pome.AsError(err); e == nil || e.Code != "invalid_parameter" || !strings.Contains(e.Message, tc.field) {
				t.Fatalf("Create(%s) = %v, want invalid_parameter naming %s", tc.name, err, tc.field)
			}
		})
	}
	page, err := f.keys.List(t.Context(), m, apikey.ListQuery{Status: "all"})
	if err != nil || page.Total != 0 {
		t.Errorf("keys after refused creations = %d, %v; want none", page.Total, err)
	}
	// The limits themselves are allowed: 50 scopes and CIDRs, the plan's
	// own limit, a day's window at the plan's rate.
	f.mustCreate(t, m, apikey.CreateParams{PolicyParams: apikey.PolicyParams{Scopes: scopes51[:50], AllowedCIDRs: cidrs51[:50],
		RateLimit: &apikey.RateLimitParams{Limit: planLimit, WindowSeconds: 60}}})
	f.mustCreate(t, m, apikey.CreateParams{PolicyParams: apikey.PolicyParams{RateLimit: &apikey.RateLimitParams{Limit: 1, WindowSeconds: 86400}}})
}

// expires_at sets the expiry and the lifetime from creation, which a roll
// gives the replacement.
func TestCreateExpiresAt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	at := f.clock.Now().Add(36 * time.Hour).Add(123 * time.Microsecond) // kept to the millisecond
	k := f.mustCreate(t, m, apikey.CreateParams{ExpiresAt: &at}).Key
	want := at.Truncate(time.Millisecond)
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(want) || k.Lifetime != want.Sub(k.CreatedAt) {
		t.Fatalf("Create(expires_at) = expiry %v lifetime %v, want %v and %v", k.ExpiresAt, k.Lifetime, want, want.Sub(k.CreatedAt))
	}
	stored, err := f.store.KeyByID(t.Context(), m.Team.ID, k.ID)
	if err != nil || stored.Lifetime != k.Lifetime || !stored.ExpiresAt.Equal(want) {
		t.Errorf("stored key = expiry %v lifetime %v, %v; want %v and %v", stored.ExpiresAt, stored.Lifetime, err, want, k.Lifetime)
	}
	f.clock.Advance(12 * time.Hour)
	r, err := f.keys.Roll(t.Context(), m, k.ID, apikey.RollParams{})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now().Add(k.Lifetime); r.Key.ExpiresAt == nil || !r.Key.ExpiresAt.Equal(want) {
		t.Errorf("replacement expiry = %v, want the lifetime from now, %v", r.Key.ExpiresAt, want)
	}
}
