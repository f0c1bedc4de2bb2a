package apikey_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
)

// token stores a service token of every scope, as `pome admin` makes one.
func (f *fixture) token(t testing.TB) pome.ServiceToken {
	t.Helper()
	st := pome.ServiceToken{ID: pome.NewID("stk_"), Name: "platform", Prefix: "pst_aB3kPqXy",
		Digest: pome.DigestOf(pome.NewID("secret")), Scopes: []pome.Scope{pome.ScopeAll}, CreatedAt: f.clock.Now()}
	if err := f.store.CreateServiceToken(t.Context(), st, pometest.Event("service_token.created")); err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	return st
}

// A token's key is created by the token, audited with it as actor; its
// role defaults to developer and may be any.
func TestTokenCreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	tok := f.token(t)
	tk := f.keys.ForToken(tok)
	c, err := tk.Create(t.Context(), owner.Team, apikey.CreateParams{Name: ptr("platform key"), PolicyParams: everyPolicy()})
	if err != nil {
		t.Fatalf("token Create() = %v", err)
	}
	if c.Key.CreatedBy != tok.ID || c.Key.Role != pome.RoleDeveloper || c.Key.TeamID != owner.Team.ID {
		t.Errorf("token's key = created by %s, role %s, team %s; want %s, developer, %s", c.Key.CreatedBy, c.Key.Role, c.Key.TeamID, tok.ID, owner.Team.ID)
	}
	checkEveryPolicy(t, "token's key", c.Key)
	if k, err := f.keys.Get(t.Context(), owner, c.Key.ID); err != nil || k.CreatedBy != tok.ID {
		t.Errorf("owner Get(token's key) = %+v, %v; want it, created by %s", k, err, tok.ID)
	}
	if o, err := tk.Create(t.Context(), owner.Team, apikey.CreateParams{Name: ptr("owner key"), Role: pome.RoleOwner}); err != nil || o.Key.Role != pome.RoleOwner {
		t.Errorf("token Create(role owner) = %+v, %v", o.Key, err)
	}
	evs, err := f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: owner.Team.ID, Action: pome.AuditKeyCreated, TargetID: c.Key.ID, Limit: 1})
	if err != nil || len(evs) != 1 || evs[0].ActorType != pome.ActorToken || evs[0].ActorID != tok.ID || evs[0].Details["environment"] != "test" {
		t.Errorf("key.created of a token's key = %+v, %v; want actor service_token %s, environment test", evs, err, tok.ID)
	}
}

// A token's key has no member creator to cap it: an admin member rolls
// an admin key the token made, keeping its role; the token rolls and
// revokes it too, audited as itself.
func TestTokenKeyRoll(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	admin := f.member(t, &owner.Team, pome.RoleAdmin)
	tok := f.token(t)
	tk := f.keys.ForToken(tok)
	c, err := tk.Create(t.Context(), owner.Team, apikey.CreateParams{Name: ptr("k"), Role: pome.RoleAdmin, PolicyParams: everyPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.keys.Roll(t.Context(), admin, c.Key.ID, apikey.RollParams{})
	if err != nil {
		t.Fatalf("admin Roll(token's key) = %v", err)
	}
	if r.Key.Role != pome.RoleAdmin || r.Key.CreatedBy != tok.ID || r.Key.IssuedTo != admin.User.ID {
		t.Errorf("replacement = role %s, created by %s, issued to %s; want admin, %s, %s", r.Key.Role, r.Key.CreatedBy, r.Key.IssuedTo, tok.ID, admin.User.ID)
	}
	checkEveryPolicy(t, "admin's replacement of a token's key", r.Key)

	r2, err := tk.Roll(t.Context(), r.Key.ID, apikey.RollParams{})
	if err != nil {
		t.Fatalf("token Roll() = %v", err)
	}
	if r2.Key.IssuedTo != "" || r2.Key.CreatedBy != tok.ID {
		t.Errorf("token's replacement = issued to %q, created by %s; want nobody, %s", r2.Key.IssuedTo, r2.Key.CreatedBy, tok.ID)
	}
	if _, err := tk.Revoke(t.Context(), r2.Key.ID); err != nil {
		t.Fatalf("token Revoke() = %v", err)
	}
	for action, target := range map[string]string{pome.AuditKeyRolled: r.Key.ID, pome.AuditKeyRevoked: r2.Key.ID} {
		evs, err := f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: owner.Team.ID, Action: action, TargetID: target, Limit: 1})
		if err != nil || len(evs) != 1 || evs[0].ActorType != pome.ActorToken || evs[0].ActorID != tok.ID {
			t.Errorf("%s by the token = %+v, %v; want actor service_token %s", action, evs, err, tok.ID)
		}
	}
	if _, err := tk.Get(t.Context(), "key_0000000000000000"); !errors.Is(err, pome.ErrKeyNotFound) {
		t.Errorf("token Get(unknown) = %v, want key_not_found", err)
	}
}

// Removing a member revokes the keys they created or were issued, never
// a token's own keys.
func TestRemoveMemberKeepsTokenKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	admin := f.member(t, &owner.Team, pome.RoleAdmin)
	dev := f.member(t, &owner.Team, pome.RoleDeveloper)
	tk := f.keys.ForToken(f.token(t))
	kept, err := tk.Create(t.Context(), owner.Team, apikey.CreateParams{Name: ptr("kept")})
	if err != nil {
		t.Fatal(err)
	}
	rolled, err := tk.Create(t.Context(), owner.Team, apikey.CreateParams{Name: ptr("rolled")})
	if err != nil {
		t.Fatal(err)
	}
	devKey := f.mustCreate(t, dev, apikey.CreateParams{}).Key
	r, err := f.keys.Roll(t.Context(), admin, rolled.Key.ID, apikey.RollParams{})
	if err != nil {
		t.Fatal(err)
	}
	remove := func(m pome.Member) []string {
		t.Helper()
		ids, err := f.store.RemoveMember(t.Context(), owner.Team.ID, m.User.ID, m.Role, f.clock.Now(), pometest.Event(pome.AuditMemberRemoved))
		if err != nil {
			t.Fatalf("RemoveMember: %v", err)
		}
		return ids
	}
	if got := remove(dev); !slices.Equal(got, []string{devKey.ID}) {
		t.Errorf("removing the developer revoked %v, want their key %s only", got, devKey.ID)
	}
	// The admin holds the plaintext of the replacement they rolled: it goes
	// with them; the token's keys stay.
	if got := remove(admin); !slices.Equal(got, []string{r.Key.ID}) {
		t.Errorf("removing the admin revoked %v, want the replacement they were issued, %s", got, r.Key.ID)
	}
	now := f.clock.Now()
	for _, id := range []string{kept.Key.ID, rolled.Key.ID} {
		k, err := f.store.KeyByID(t.Context(), owner.Team.ID, id)
		if err != nil || k.Status(now) != pome.KeyActive {
			t.Errorf("token's key %s after the removals = %s, %v; want active", id, k.Status(now), err)
		}
	}
}

// A roll copies every policy, the environment and the lifetime; with
// expires_at the replacement expires then; both expiries is 400.
func TestRollPolicies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, owner, apikey.CreateParams{ExpiresInDays: ptr(10), PolicyParams: everyPolicy()})
	f.clock.Advance(3 * 24 * time.Hour)
	r, err := f.keys.Roll(t.Context(), owner, c.Key.ID, apikey.RollParams{})
	if err != nil {
		t.Fatal(err)
	}
	checkEveryPolicy(t, "replacement", r.Key)
	stored, err := f.store.KeyByID(t.Context(), owner.Team.ID, r.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEveryPolicy(t, "stored replacement", stored)
	if want := f.clock.Now().AddDate(0, 0, 10); r.Key.ExpiresAt == nil || !r.Key.ExpiresAt.Equal(want) || r.Key.Lifetime != c.Key.Lifetime {
		t.Errorf("replacement expiry %v lifetime %v, want %v and %v", r.Key.ExpiresAt, r.Key.Lifetime, want, c.Key.Lifetime)
	}
	if !pome.DefaultKeyFormat.WellFormed(r.Plaintext) || r.Plaintext[:9] != "pme_test_" {
		t.Errorf("replacement of a test key = %q, want a pme_test_ key", r.Plaintext)
	}
	if _, err := f.verifier.Verify(t.Context(), r.Plaintext); err != nil {
		t.Errorf("Verify(test replacement) = %v", err)
	}

	at := f.clock.Now().Add(5 * time.Hour)
	r2, err := f.keys.Roll(t.Context(), owner, r.Key.ID, apikey.RollParams{ExpiresAt: &at})
	if err != nil || r2.Key.ExpiresAt == nil || !r2.Key.ExpiresAt.Equal(at) || r2.Key.Lifetime != at.Sub(r2.Key.CreatedAt) {
		t.Fatalf("Roll(expires_at) = expiry %v lifetime %v, %v; want %v", r2.Key.ExpiresAt, r2.Key.Lifetime, err, at)
	}
	checkEveryPolicy(t, "replacement with expires_at", r2.Key)
	// Its lifetime is now 5 hours: the next roll keeps that.
	r3, err := f.keys.Roll(t.Context(), owner, r2.Key.ID, apikey.RollParams{})
	if want := f.clock.Now().Add(5 * time.Hour); err != nil || r3.Key.ExpiresAt == nil || !r3.Key.ExpiresAt.Equal(want) {
		t.Errorf("Roll after Roll(expires_at) = expiry %v, %v; want %v", r3.Key.ExpiresAt, err, want)
	}
	for _, tc := range []struct {
		name string
		p    apikey.RollParams
	}{
		{"expires_at past", apikey.RollParams{ExpiresAt: ptr(f.clock.Now().Add(-time.Second))}},
		{"expires_at and expires_in_days", apikey.RollParams{ExpiresAt: &at, ExpiresInDays: ptr(1)}},
	} {
		if _, err := f.keys.Roll(t.Context(), owner, r3.Key.ID, tc.p); pome.AsError(err) == nil || pome.AsError(err).Code != "invalid_parameter" ||
			!strings.Contains(pome.AsError(err).Message, "'expires_at'") {
			t.Errorf("Roll(%s) = %v, want invalid_parameter naming 'expires_at'", tc.name, err)
		}
	}
	// A live key's replacement is live.
	live := f.mustCreate(t, owner, apikey.CreateParams{})
	lr, err := f.keys.Roll(t.Context(), owner, live.Key.ID, apikey.RollParams{})
	if err != nil || lr.Key.TestMode || lr.Plaintext[:9] == "pme_test_" {
		t.Errorf("Roll(live key) = test %v %q, %v; want live", lr.Key.TestMode, lr.Plaintext, err)
	}
}
