package authz_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/ratelimit"
)

// fullPolicies is a key with every policy of docs/api.md's table set, that
// the attempt of policyAttempt passes.
func fullPolicies() pome.KeyOwner {
	return pome.KeyOwner{
		Key: pome.Key{ID: "key_1", Role: pome.RoleDeveloper, TestMode: true,
			Scopes:       []string{"billing:read", "docs:*"},
			Meta:         `{"plan":"gold"}`,
			RateLimit:    &pome.RateLimit{Limit: 1 << 30, Window: time.Second},
			AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24")},
		},
		Team:        pome.Team{Status: pome.TeamActive, PlanTier: pome.PlanFree},
		CreatorRole: pome.RoleOwner,
	}
}

func policyAttempt(key string) authz.Attempt {
	return authz.Attempt{Key: key, ClientIP: "192.0.2.1", From: netip.MustParseAddr("192.0.2.1"),
		Action: pome.ActionAPIRead, Scopes: []string{"docs:read"}}
}

// freePlan is the free plan's limit of newPolicyGate's gates: high enough
// for a benchmark never to reach, so that a key without a limit of its own
// is counted as one with it is (the key's limit replaces the plan's).
var freePlan = ratelimit.Rule{Name: "free", Limit: 1 << 30, Period: time.Second}

func newPolicyGate(t testing.TB, owner pome.KeyOwner) *authz.Gate {
	store := keyStore{owner: owner}
	return authz.New(authz.Config{
		Verifier: apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Minute, time.Now),
		Meter:    meter.New(store),
		Limiter:  ratelimit.NewMemory(time.Now, 0),
		Plans:    map[string]ratelimit.Rule{pome.PlanFree: freePlan},
		Failures: ratelimit.DefaultRules().AuthFailureIP,
	})
}

// Each policy refuses with its row's error, and the rows come in the
// table's order: a key that fails two checks gets the earlier one's answer.
func TestAuthorizePolicies(t *testing.T) {
	t.Parallel()
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		key     func(o *pome.KeyOwner)
		attempt func(a *authz.Attempt)
		wantErr *pome.Error
	}{
		{"every policy passes", nil, nil, nil},
		{"disabled", func(o *pome.KeyOwner) { o.Key.Disabled = true }, nil, pome.ErrKeyDisabled},
		{"banned before disabled", func(o *pome.KeyOwner) { o.Key.Disabled = true; o.Team.Status = pome.TeamBanned }, nil, pome.ErrTeamBanned},
		{"address outside the CIDRs", nil, func(a *authz.Attempt) { a.From = netip.MustParseAddr("203.0.113.9") }, pome.ErrIPNotAllowed},
		{"IPv6 address outside", nil, func(a *authz.Attempt) { a.From = netip.MustParseAddr("2001:db8::1") }, pome.ErrIPNotAllowed},
		{"IPv4-mapped address inside", nil, func(a *authz.Attempt) { a.From = netip.MustParseAddr("::ffff:10.1.2.3") }, nil},
		{"unknown address", nil, func(a *authz.Attempt) { a.From = netip.Addr{} }, pome.ErrIPNotAllowed},
		{"no CIDRs: any address", func(o *pome.KeyOwner) { o.Key.AllowedCIDRs = nil }, func(a *authz.Attempt) { a.From = netip.Addr{} }, nil},
		{"disabled before the address", func(o *pome.KeyOwner) { o.Key.Disabled = true }, func(a *authz.Attempt) { a.From = netip.Addr{} }, pome.ErrKeyDisabled},
		{"address before the role", func(o *pome.KeyOwner) { o.Key.Role = pome.RoleViewer },
			func(a *authz.Attempt) { a.From = netip.Addr{}; a.Action = pome.ActionAPIWrite }, pome.ErrIPNotAllowed},
		{"role before the scopes", func(o *pome.KeyOwner) { o.Key.Role = pome.RoleViewer },
			func(a *authz.Attempt) { a.Action = pome.ActionAPIWrite; a.Scopes = []string{"admin:all"} }, pome.ErrInsufficientPermissions},
		{"scope missing", nil, func(a *authz.Attempt) { a.Scopes = []string{"docs:read", "billing:write"} }, pome.ErrKeyInsufficientScope},
		{"prefix wildcard is no string prefix", nil, func(a *authz.Attempt) { a.Scopes = []string{"docsearch:read"} }, pome.ErrKeyInsufficientScope},
		{"no scopes: none may be required", func(o *pome.KeyOwner) { o.Key.Scopes = nil }, nil, pome.ErrKeyInsufficientScope},
		{"star covers everything", func(o *pome.KeyOwner) { o.Key.Scopes = []string{"*"} },
			func(a *authz.Attempt) { a.Scopes = []string{"x:y", "z"} }, nil},
		{"scopes before the limit", func(o *pome.KeyOwner) { o.Key.RateLimit = &pome.RateLimit{Limit: 1, Window: time.Hour} },
			func(a *authz.Attempt) { a.Scopes = []string{"nope"} }, pome.ErrKeyInsufficientScope},
	} {
		t.Run(c.name, func(t *testing.T) {
			owner := fullPolicies()
			if c.key != nil {
				c.key(&owner)
			}
			a := policyAttempt(key)
			if c.attempt != nil {
				c.attempt(&a)
			}
			g, err := newPolicyGate(t, owner).Authorize(t.Context(), a)
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("Authorize = %v, want %v", err, c.wantErr)
			}
			if err == nil && (g.Owner.Key.Meta != owner.Key.Meta || !g.Owner.Key.TestMode) {
				t.Errorf("granted owner = %+v, want the key's meta and environment", g.Owner.Key)
			}
		})
	}
}

// A key's own rate limit replaces its plan's: counted under its own name,
// with its own quota, which the rate-limit headers then show.
func TestAuthorizeKeyRateLimit(t *testing.T) {
	t.Parallel()
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	owner := fullPolicies()
	owner.Key.RateLimit = &pome.RateLimit{Limit: 2, Window: time.Hour}
	gate := newPolicyGate(t, owner)
	for i := range 3 {
		g, err := gate.Authorize(t.Context(), policyAttempt(key))
		if g.Limit.Rule.Name != authz.KeyRateLimitName || g.Limit.Rule.Limit != 2 || g.Limit.Rule.Period != time.Hour {
			t.Fatalf("attempt %d: limit %+v, want the key's own (2 per hour)", i+1, g.Limit.Rule)
		}
		if want := i == 2; errors.Is(err, pome.ErrRateLimited) != want {
			t.Fatalf("attempt %d = %v, want rate limited: %v", i+1, err, want)
		}
	}
	// Without a limit of its own, the plan's applies.
	owner.Key.RateLimit = nil
	g, err := newPolicyGate(t, owner).Authorize(t.Context(), policyAttempt(key))
	if err != nil || g.Limit.Rule != freePlan {
		t.Fatalf("without a key limit: %v, limit %+v; want the free plan's", err, g.Limit.Rule)
	}
}

// With every policy set, a cached key's granted attempt still allocates
// nothing.
func TestAuthorizeAllocsWithPolicies(t *testing.T) {
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	gate := newPolicyGate(t, fullPolicies())
	a := policyAttempt(key)
	if _, err := gate.Authorize(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { gate.Authorize(t.Context(), a) }); n != 0 {
		t.Errorf("Authorize(cached key with every policy) allocates %.1f times, want 0", n)
	}
}

// BenchmarkAuthorize is the cached verification of one key, without
// policies (its plan's limit counted) and with every one of them set (its
// own limit counted instead): docs/performance.md compares the two.
func BenchmarkAuthorize(b *testing.B) {
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		b.Fatal(err)
	}
	plain := fullPolicies()
	plain.Key = pome.Key{ID: "key_1", Role: pome.RoleDeveloper}
	for _, c := range []struct {
		name  string
		owner pome.KeyOwner
		a     authz.Attempt
	}{
		{"plain", plain, authz.Attempt{Key: key, ClientIP: "192.0.2.1", From: netip.MustParseAddr("192.0.2.1"), Action: pome.ActionAPIRead}},
		{"policies", fullPolicies(), policyAttempt(key)},
	} {
		b.Run(c.name, func(b *testing.B) {
			gate := newPolicyGate(b, c.owner)
			if _, err := gate.Authorize(b.Context(), c.a); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := gate.Authorize(b.Context(), c.a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Each attempt of a known key is counted once under its outcome; an
// unknown key is no outcome.
func TestAuthorizeCountsOutcomes(t *testing.T) {
	t.Parallel()
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	owner := fullPolicies()
	owner.Key.RateLimit = &pome.RateLimit{Limit: 2, Window: time.Hour}
	gate := newPolicyGate(t, owner)
	a := policyAttempt(key)
	outside := a
	outside.From = netip.MustParseAddr("203.0.113.9")
	unscoped := a
	unscoped.Scopes = []string{"admin:write"}
	for _, at := range []authz.Attempt{a, outside, unscoped, a, a, {Key: key[:len(key)-1], ClientIP: "192.0.2.1"}} {
		gate.Authorize(t.Context(), at)
	}
	for o, want := range map[pome.Outcome]uint64{pome.OutcomeValid: 2, pome.OutcomeIPNotAllowed: 1,
		pome.OutcomeInsufficientScope: 1, pome.OutcomeRateLimited: 1, pome.OutcomeRevoked: 0} {
		if got := gate.OutcomeCount(o); got != want {
			t.Errorf("OutcomeCount(%s) = %d, want %d", o, got, want)
		}
	}
}
