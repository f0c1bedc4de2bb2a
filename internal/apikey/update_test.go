package apikey_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
)

// Update sets each field alone, leaving the others; a null clears; the
// store holds what Update returns.
func TestUpdateFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withPlan()
	owner := f.member(t, nil, pome.RoleOwner)
	k := f.mustCreate(t, owner, apikey.CreateParams{Description: "d", ExpiresInDays: ptr(30)}).Key
	at := f.clock.Now().Add(48 * time.Hour)
	for _, tc := range []struct {
		name  string
		p     apikey.UpdateParams
		apply func(k *pome.Key)
	}{
		{"name", apikey.UpdateParams{Name: pome.Some("renamed")}, func(k *pome.Key) { k.Name = "renamed" }},
		{"description", apikey.UpdateParams{Description: pome.Some("")}, func(k *pome.Key) { k.Description = "" }},
		{"meta", apikey.UpdateParams{Meta: pome.Some(json.RawMessage(`{"a": [1]}`))}, func(k *pome.Key) { k.Meta = `{"a":[1]}` }},
		{"scopes", apikey.UpdateParams{Scopes: pome.Some([]string{"*", "*"})}, func(k *pome.Key) { k.Scopes = []string{"*"} }},
		{"rate_limit", apikey.UpdateParams{RateLimit: pome.Some(apikey.RateLimitParams{Limit: 5, WindowSeconds: 10})},
			func(k *pome.Key) { k.RateLimit = &pome.RateLimit{Limit: 5, Window: 10 * time.Second} }},
		{"allowed_cidrs", apikey.UpdateParams{AllowedCIDRs: pome.Some([]string{"2001:db8::1/64"})},
			func(k *pome.Key) { k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("2001:db8::/64")} }},
		{"expires_at", apikey.UpdateParams{ExpiresAt: pome.Some(at)}, func(k *pome.Key) { k.ExpiresAt, k.Lifetime = &at, at.Sub(k.CreatedAt) }},
		{"enabled false", apikey.UpdateParams{Enabled: pome.Some(false)}, func(k *pome.Key) { k.Disabled = true }},
		{"enabled true", apikey.UpdateParams{Enabled: pome.Some(true)}, func(k *pome.Key) { k.Disabled = false }},
		{"meta {}", apikey.UpdateParams{Meta: pome.Some(json.RawMessage(`{}`))}, func(k *pome.Key) { k.Meta = "" }},
		{"meta again", apikey.UpdateParams{Meta: pome.Some(json.RawMessage(`{"b":2}`))}, func(k *pome.Key) { k.Meta = `{"b":2}` }},
		{"meta null", apikey.UpdateParams{Meta: pome.Null[json.RawMessage]()}, func(k *pome.Key) { k.Meta = "" }},
		{"scopes null", apikey.UpdateParams{Scopes: pome.Null[[]string]()}, func(k *pome.Key) { k.Scopes = nil }},
		{"rate_limit null", apikey.UpdateParams{RateLimit: pome.Null[apikey.RateLimitParams]()}, func(k *pome.Key) { k.RateLimit = nil }},
		{"allowed_cidrs null", apikey.UpdateParams{AllowedCIDRs: pome.Null[[]string]()}, func(k *pome.Key) { k.AllowedCIDRs = nil }},
		{"expires_at null", apikey.UpdateParams{ExpiresAt: pome.Null[time.Time]()}, func(k *pome.Key) { k.ExpiresAt, k.Lifetime = nil, 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.apply(&k)
			got, err := f.keys.Update(t.Context(), owner, k.ID, tc.p)
			if err != nil {
				t.Fatalf("Update(%s) = %v", tc.name, err)
			}
			stored, err := f.store.KeyByID(t.Context(), owner.Team.ID, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			for what, g := range map[string]pome.Key{"Update()": got, "the stored key": stored} {
				if !samePolicyFields(g, k) {
					t.Errorf("%s after %s = %+v, want %+v", what, tc.name, g, k)
				}
			}
		})
	}
	// A change names what it changed in the audit log, never the values.
	evs, err := f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: owner.Team.ID, Action: pome.AuditKeyUpdated, Limit: 100})
	if err != nil || len(evs) != 16 {
		t.Fatalf("key.updated events = %d, %v; want 16", len(evs), err)
	}
	if ev := evs[len(evs)-1]; ev.ActorType != pome.ActorUser || ev.ActorID != owner.User.ID || ev.TargetID != k.ID ||
		!reflect.DeepEqual(ev.Details["fields"], []any{"name"}) {
		t.Errorf("first key.updated = %+v, want by the owner on the key, fields [name]", ev)
	}
	two, err := f.keys.Update(t.Context(), owner, k.ID, apikey.UpdateParams{Scopes: pome.Some([]string{"a"}), Enabled: pome.Some(true)})
	if err != nil || !slices.Equal(two.Scopes, []string{"a"}) {
		t.Fatalf("Update(scopes, enabled) = %+v, %v", two, err)
	}
	evs, err = f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: owner.Team.ID, Action: pome.AuditKeyUpdated, Limit: 1})
	if err != nil || len(evs) != 1 || !reflect.DeepEqual(evs[0].Details["fields"], []any{"scopes", "enabled"}) {
		t.Errorf("key.updated of two fields = %+v, %v; want fields [scopes enabled]", evs, err)
	}
}

// samePolicyFields compares what Update may change.
func samePolicyFields(a, b pome.Key) bool {
	sameTime := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.Meta == b.Meta &&
		slices.Equal(a.Scopes, b.Scopes) && reflect.DeepEqual(a.RateLimit, b.RateLimit) &&
		slices.Equal(a.AllowedCIDRs, b.AllowedCIDRs) && sameTime(a.ExpiresAt, b.ExpiresAt) &&
		a.Lifetime == b.Lifetime && a.Disabled == b.Disabled && a.TestMode == b.TestMode && a.Role == b.Role
}

// Owners and admins change any key of the team; a developer is forbidden
// their own key and does not find another's; a viewer finds none; another
// team finds none. A refused change writes nothing.
func TestUpdatePermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	admin := f.member(t, &owner.Team, pome.RoleAdmin)
	dev := f.member(t, &owner.Team, pome.RoleDeveloper)
	viewer := f.member(t, &owner.Team, pome.RoleViewer)
	outsider := f.member(t, nil, pome.RoleOwner)
	ownerKey := f.mustCreate(t, owner, apikey.CreateParams{}).Key
	devKey := f.mustCreate(t, dev, apikey.CreateParams{}).Key
	disable := apikey.UpdateParams{Enabled: pome.Some(false)}
	for _, tc := range []struct {
		who  string
		m    pome.Member
		key  pome.Key
		want error
	}{
		{"developer, own key", dev, devKey, pome.ErrInsufficientPermissions},
		{"developer, the owner's key", dev, ownerKey, pome.ErrKeyNotFound},
		{"viewer", viewer, devKey, pome.ErrKeyNotFound},
		{"another team", outsider, devKey, pome.ErrKeyNotFound},
		{"unknown id", owner, pome.Key{ID: "key_0000000000000000"}, pome.ErrKeyNotFound},
		{"malformed id", owner, pome.Key{ID: "usr_0000000000000000"}, pome.ErrKeyNotFound},
	} {
		if _, err := f.keys.Update(t.Context(), tc.m, tc.key.ID, disable); !errors.Is(err, tc.want) {
			t.Errorf("Update(%s) = %v, want %v", tc.who, err, tc.want)
		}
	}
	for _, k := range []pome.Key{ownerKey, devKey} {
		if got, err := f.store.KeyByID(t.Context(), owner.Team.ID, k.ID); err != nil || got.Disabled {
			t.Errorf("key %s after refused changes: disabled %v, %v; want enabled", k.ID, got.Disabled, err)
		}
	}
	// An admin changes the owner's key too: a change mints nothing.
	for _, tc := range []struct {
		who string
		m   pome.Member
		key pome.Key
	}{{"admin, the owner's key", admin, ownerKey}, {"owner, a developer's key", owner, devKey}} {
		if got, err := f.keys.Update(t.Context(), tc.m, tc.key.ID, disable); err != nil || !got.Disabled {
			t.Errorf("Update(%s) = disabled %v, %v; want disabled", tc.who, got.Disabled, err)
		}
	}
}

// A revoked or expired key is key_not_active (409); an empty change is 400; a bad
// field of a change writes nothing, not even its good fields.
func TestUpdateRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	k := f.mustCreate(t, owner, apikey.CreateParams{}).Key

	_, err := f.keys.Update(t.Context(), owner, k.ID, apikey.UpdateParams{})
	if e := pome.AsError(err); e == nil || e.Code != "invalid_parameter" || e.Kind != pome.Invalid || !strings.Contains(e.Message, "Nothing to change") {
		t.Errorf("Update(nothing) = %v, want invalid_parameter", err)
	}
	_, err = f.keys.Update(t.Context(), owner, k.ID, apikey.UpdateParams{Enabled: pome.Null[bool]()})
	if e := pome.AsError(err); e == nil || e.Code != "invalid_parameter" || !strings.Contains(e.Message, "'enabled'") {
		t.Errorf("Update(enabled null) = %v, want invalid_parameter naming 'enabled'", err)
	}
	for _, tc := range []struct {
		name  string
		p     apikey.UpdateParams
		field string
	}{
		{"empty name", apikey.UpdateParams{Name: pome.Some("")}, "'name'"},
		{"name with a newline", apikey.UpdateParams{Name: pome.Some("a\nb")}, "'name'"},
		{"description of 501", apikey.UpdateParams{Description: pome.Some(strings.Repeat("d", 501))}, "'description'"},
		{"meta array", apikey.UpdateParams{Meta: pome.Some(json.RawMessage(`[]`))}, "'meta'"},
		{"scope", apikey.UpdateParams{Scopes: pome.Some([]string{"Docs:read"})}, "'scopes'"},
		{"rate_limit.limit", apikey.UpdateParams{RateLimit: pome.Some(apikey.RateLimitParams{WindowSeconds: 1})}, "'rate_limit.limit'"},
		{"CIDR", apikey.UpdateParams{AllowedCIDRs: pome.Some([]string{"10.0.0.0/33"})}, "'allowed_cidrs'"},
		{"expires_at past", apikey.UpdateParams{ExpiresAt: pome.Some(f.clock.Now().Add(-time.Hour))}, "'expires_at'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Enabled = pome.Some(false) // a good field with it
			_, err := f.keys.Update(t.Context(), owner, k.ID, tc.p)
			if e := pome.AsError(err); e == nil || e.Code != "invalid_parameter" || !strings.Contains(e.Message, tc.field) {
				t.Fatalf("Update(%s) = %v, want invalid_parameter naming %s", tc.name, err, tc.field)
			}
			if got, err := f.store.KeyByID(t.Context(), owner.Team.ID, k.ID); err != nil || !samePolicyFields(got, k) {
				t.Errorf("key after a refused change = %+v, %v; want unchanged", got, err)
			}
		})
	}

	if _, err := f.keys.Revoke(t.Context(), owner, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.keys.Update(t.Context(), owner, k.ID, apikey.UpdateParams{Enabled: pome.Some(false)})
	if e := pome.AsError(err); !errors.Is(err, pome.ErrKeyNotActive) || e.Kind != pome.Conflict {
		t.Errorf("Update(revoked) = %v, want key_not_active (409)", err)
	}
	// An expired key is as final: a change cannot bring it back.
	short := f.mustCreate(t, owner, apikey.CreateParams{ExpiresInDays: ptr(1)}).Key
	f.clock.Advance(25 * time.Hour)
	_, err = f.keys.Update(t.Context(), owner, short.ID, apikey.UpdateParams{ExpiresAt: pome.Some(f.clock.Now().Add(time.Hour))})
	if e := pome.AsError(err); !errors.Is(err, pome.ErrKeyNotActive) || e.Kind != pome.Conflict || !strings.Contains(e.Message, "expired") {
		t.Errorf("Update(expired) = %v, want key_not_active (409) saying it expired", err)
	}
	evs, err := f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: owner.Team.ID, Action: pome.AuditKeyUpdated, Limit: 10})
	if err != nil || len(evs) != 0 {
		t.Errorf("key.updated events of refused changes = %+v, %v; want none", evs, err)
	}
}

// A member's key limit may only narrow the plan's, on a change as on
// creation, whatever their role; a service token's may be anything.
func TestUpdateRateLimitPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withPlan()
	owner := f.member(t, nil, pome.RoleOwner)
	k := f.mustCreate(t, owner, apikey.CreateParams{}).Key
	above := apikey.UpdateParams{RateLimit: pome.Some(apikey.RateLimitParams{Limit: planLimit + 1, WindowSeconds: 60})}
	_, err := f.keys.Update(t.Context(), owner, k.ID, above)
	if e := pome.AsError(err); e == nil || e.Code != "invalid_parameter" || !strings.Contains(e.Message, "'rate_limit'") {
		t.Errorf("owner Update(rate_limit above the plan) = %v, want invalid_parameter naming 'rate_limit'", err)
	}
	faster := apikey.UpdateParams{RateLimit: pome.Some(apikey.RateLimitParams{Limit: planLimit, WindowSeconds: 30})}
	if _, err := f.keys.Update(t.Context(), owner, k.ID, faster); pome.AsError(err) == nil {
		t.Errorf("owner Update(rate_limit at twice the plan's rate) = nil, want invalid_parameter")
	}
	at := apikey.UpdateParams{RateLimit: pome.Some(apikey.RateLimitParams{Limit: planLimit, WindowSeconds: 60})}
	if _, err := f.keys.Update(t.Context(), owner, k.ID, at); err != nil {
		t.Errorf("owner Update(rate_limit = the plan's) = %v", err)
	}

	tok := f.token(t)
	got, err := f.keys.ForToken(tok).Update(t.Context(), k.ID, above)
	if err != nil || got.RateLimit == nil || got.RateLimit.Limit != planLimit+1 {
		t.Fatalf("token Update(rate_limit above the plan) = %+v, %v; want it set", got.RateLimit, err)
	}
	// The change is audited with the token as actor.
	evs, err := f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: owner.Team.ID, Action: pome.AuditKeyUpdated, Limit: 1})
	if err != nil || len(evs) != 1 || evs[0].ActorType != pome.ActorToken || evs[0].ActorID != tok.ID ||
		!reflect.DeepEqual(evs[0].Details["fields"], []any{"rate_limit"}) {
		t.Errorf("token's key.updated = %+v, %v; want actor service_token %s, fields [rate_limit]", evs, err, tok.ID)
	}
}
