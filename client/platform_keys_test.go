package client_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// platformTeam is a new team of s, made by p.
func platformTeam(t *testing.T, p *client.Client, name string) *client.PlatformTeam {
	t.Helper()
	team, err := p.CreateTeam(t.Context(), client.CreateTeamParams{Name: name})
	if err != nil {
		t.Fatalf("CreateTeam(%s) = %v", name, err)
	}
	return team
}

// A platform's backend makes a key for its customer's team with every
// policy, reads it, changes it, rolls it and revokes it; the key is the
// token's (created_by), works at once, and each change is audited with the
// token as actor.
func TestPlatformKeys(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	ctx := t.Context()
	tok, err := s.ServiceTokens.Create(ctx, "platform", []string{"teams:write", "keys:read", "keys:write"})
	if err != nil {
		t.Fatal(err)
	}
	p := client.New(s.URL, client.WithServiceToken(tok.Plaintext))
	team := platformTeam(t, p, "Acme")

	enabled := true
	created, err := p.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{
		Name: "acme-prod", Description: "the production key", ExpiresInDays: 90, Environment: "test",
		Meta: json.RawMessage(`{"customer": "cus_123", "tier": 2}`), Scopes: []string{"docs:read", "billing:*"},
		RateLimit: &client.RateLimit{Limit: 100, WindowSeconds: 60}, AllowedCIDRs: []string{"10.0.0.0/8", "127.0.0.1", "2001:db8::/32"},
		Enabled: &enabled,
	})
	if err != nil {
		t.Fatalf("CreatePlatformKey = %v", err)
	}
	if !pome.IsID(created.ID, "key_") || created.Role != pome.RoleDeveloper || created.TeamID != team.ID ||
		created.Environment != "test" || !strings.HasPrefix(created.Key, "pme_test_") || created.ExpiresAt == nil ||
		!created.ExpiresAt.Equal(s.Now().UTC().Truncate(time.Second).AddDate(0, 0, 90)) || !created.Enabled ||
		string(created.Meta) != `{"customer":"cus_123","tier":2}` || !slices.Equal(created.Scopes, []string{"docs:read", "billing:*"}) ||
		*created.RateLimit != (client.RateLimit{Limit: 100, WindowSeconds: 60}) ||
		!slices.Equal(created.AllowedCIDRs, []string{"10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32"}) {
		t.Fatalf("CreatePlatformKey = %+v; want every field as given, role developer", created)
	}
	got, err := p.PlatformKey(ctx, created.ID)
	if err != nil || got.CreatedBy != tok.Token.ID || got.Name != "acme-prod" || got.Description != "the production key" ||
		got.KeyPolicies.TeamID != team.ID || !slices.Equal(got.AllowedCIDRs, created.AllowedCIDRs) || got.Status != pome.KeyActive {
		t.Fatalf("PlatformKey = %+v, %v; want the key, created by %s", got, err, tok.Token.ID)
	}

	// Changed: only what is given; null clears.
	rename := "acme-production"
	changed, err := p.UpdatePlatformKey(ctx, created.ID, client.UpdateKeyParams{
		Name: pome.Some(rename), RateLimit: pome.Null[client.RateLimit](), Scopes: pome.Some([]string{"docs:*"}),
	})
	if err != nil || changed.Name != rename || changed.RateLimit != nil || !slices.Equal(changed.Scopes, []string{"docs:*"}) ||
		changed.Description != "the production key" || string(changed.Meta) != string(created.Meta) ||
		!slices.Equal(changed.AllowedCIDRs, created.AllowedCIDRs) || !changed.ExpiresAt.Equal(*created.ExpiresAt) {
		t.Fatalf("UpdatePlatformKey = %+v, %v; want name and scopes set, rate_limit cleared, the rest kept", changed, err)
	}
	disabled, err := p.UpdatePlatformKey(ctx, created.ID, client.UpdateKeyParams{Enabled: pome.Some(false), ExpiresAt: pome.Null[time.Time]()})
	if err != nil || disabled.Enabled || disabled.ExpiresAt != nil || disabled.Name != rename {
		t.Fatalf("UpdatePlatformKey(enabled false, expires_at null) = %+v, %v", disabled, err)
	}
	if k, err := p.PlatformKey(ctx, created.ID); err != nil || k.Enabled || k.ExpiresAt != nil {
		t.Errorf("PlatformKey after the change = %+v, %v; want it disabled, never expiring", k, err)
	}

	revoked, err := p.RevokePlatformKey(ctx, created.ID)
	if err != nil || revoked.ID != created.ID || !revoked.Success {
		t.Fatalf("RevokePlatformKey = %+v, %v", revoked, err)
	}
	if again, err := p.RevokePlatformKey(ctx, created.ID); err != nil || again.ID != created.ID {
		t.Errorf("RevokePlatformKey again = %+v, %v; want success", again, err)
	}
	_, err = client.New(s.URL, client.WithAPIKey(created.Key)).Me(ctx)
	mustAPIError(t, "Me with the revoked key", err, http.StatusForbidden, "key_revoked")
	_, err = p.UpdatePlatformKey(ctx, created.ID, client.UpdateKeyParams{Name: pome.Some("x")})
	mustAPIError(t, "UpdatePlatformKey(revoked)", err, http.StatusConflict, "key_not_active")
	_, err = p.RollPlatformKey(ctx, created.ID, client.RollKeyParams{})
	mustAPIError(t, "RollPlatformKey(revoked)", err, http.StatusConflict, "key_not_active")

	// The audit log names the token, newest first.
	evs, err := s.DB.AuditEvents(ctx, pome.AuditFilter{TeamID: team.ID, TargetID: created.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
		if e.ActorType != pome.ActorToken || e.ActorID != tok.Token.ID || e.TargetType != pome.TargetKey {
			t.Errorf("audit event %s = actor %s %s, target %s; want the service token %s on the key", e.Action, e.ActorType, e.ActorID, e.TargetType, tok.Token.ID)
		}
	}
	want := []string{pome.AuditKeyRevoked, pome.AuditKeyUpdated, pome.AuditKeyUpdated, pome.AuditKeyCreated}
	if !slices.Equal(actions, want) {
		t.Errorf("audit of the key = %v, want %v", actions, want)
	}
}

// A roll by token copies every field and policy of the key and its
// lifetime, unless the roll gives an expiry; the creator stays the token.
func TestPlatformKeysRoll(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	ctx := t.Context()
	p := platformClient(t, s, "teams:write", "keys:write", "keys:read")
	team := platformTeam(t, p, "Acme")
	old, err := p.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{
		Name: "acme", Description: "d", Role: pome.RoleAdmin, ExpiresInDays: 90, Environment: "test",
		Meta: json.RawMessage(`{"a":1}`), Scopes: []string{"docs:read"}, RateLimit: &client.RateLimit{Limit: 5, WindowSeconds: 10},
		AllowedCIDRs: []string{"::1/128"}, Enabled: new(bool),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(80 * 24 * time.Hour)
	grace := 2
	r, err := p.RollPlatformKey(ctx, old.ID, client.RollKeyParams{ExpireOldInHours: &grace})
	if err != nil {
		t.Fatalf("RollPlatformKey = %v", err)
	}
	now := s.Now().UTC().Truncate(time.Second)
	if r.RolledFrom != old.ID || r.ID == old.ID || r.Name != "acme" || r.Description != "d" || r.Role != pome.RoleAdmin ||
		r.Environment != "test" || !strings.HasPrefix(r.Key, "pme_test_") || r.TeamID != team.ID || string(r.Meta) != `{"a":1}` ||
		!slices.Equal(r.Scopes, old.Scopes) || *r.RateLimit != *old.RateLimit || !slices.Equal(r.AllowedCIDRs, old.AllowedCIDRs) ||
		r.Enabled || r.ExpiresAt == nil || !r.ExpiresAt.Equal(now.AddDate(0, 0, 90)) {
		t.Errorf("RollPlatformKey = %+v; want every field and policy of the old key, and 90 days from now", r)
	}
	if r.OldKey.ExpiresAt == nil || !r.OldKey.ExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Errorf("old key = %+v; want it to expire in 2 hours", r.OldKey)
	}
	was, err := p.PlatformKey(ctx, old.ID)
	if err != nil || !pome.IsID(was.CreatedBy, "stk_") {
		t.Fatalf("PlatformKey(old) = %+v, %v; want it created by the token", was, err)
	}
	if k, err := p.PlatformKey(ctx, r.ID); err != nil || k.CreatedBy != was.CreatedBy {
		t.Errorf("the replacement = %+v, %v; want it created by the token, %s", k, err, was.CreatedBy)
	}

	// An expiry given replaces the lifetime.
	at := now.Add(7 * 24 * time.Hour)
	r2, err := p.RollPlatformKey(ctx, r.ID, client.RollKeyParams{ExpiresAt: &at})
	if err != nil || r2.ExpiresAt == nil || !r2.ExpiresAt.Equal(at) || string(r2.Meta) != `{"a":1}` {
		t.Errorf("RollPlatformKey(expires_at) = %+v, %v; want expiry %s", r2, err, at)
	}
	r3, err := p.RollPlatformKey(ctx, r2.ID, client.RollKeyParams{ExpiresInDays: 3})
	if err != nil || r3.ExpiresAt == nil || !r3.ExpiresAt.Equal(now.AddDate(0, 0, 3)) {
		t.Errorf("RollPlatformKey(expires_in_days 3) = %+v, %v", r3, err)
	}
	evs, err := s.DB.AuditEvents(ctx, pome.AuditFilter{TeamID: team.ID, Action: pome.AuditKeyRolled, Limit: 10})
	if err != nil || len(evs) != 3 || evs[2].TargetID != old.ID || evs[2].ActorType != pome.ActorToken || !pome.IsID(evs[2].ActorID, "stk_") {
		t.Errorf("key.rolled events = %+v, %v; want three, by the token", evs, err)
	}
}

// Paging a team's keys while other goroutines add keys to it: every key
// made before the first page is on exactly one page, and no key shows
// twice. Other teams' keys never show.
func TestPlatformKeysPagingUnderInserts(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	ctx := t.Context()
	p := platformClient(t, s, "teams:write", "keys:write", "keys:read")
	team, other := platformTeam(t, p, "Acme"), platformTeam(t, p, "Other")
	before := map[string]bool{}
	for i := range 23 {
		s.Clock.Advance(time.Millisecond)
		k, err := p.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{Name: "k" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		before[k.ID] = true
	}
	if _, err := p.CreatePlatformKey(ctx, other.ID, client.CreateKeyParams{Name: "elsewhere"}); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s.Clock.Advance(time.Millisecond)
				if _, err := p.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{Name: "new-" + strconv.Itoa(g) + "-" + strconv.Itoa(i)}); err != nil {
					t.Errorf("CreatePlatformKey while paging = %v", err)
					return
				}
			}
		})
	}
	seen := map[string]int{}
	pages := 0
	for cursor := ""; ; pages++ {
		l, err := p.PlatformKeys(ctx, team.ID, client.KeyListOptions{Limit: 4, Cursor: cursor})
		if err != nil {
			t.Fatalf("PlatformKeys(page %d) = %v", pages, err)
		}
		if len(l.Keys) > 4 {
			t.Fatalf("page %d holds %d keys, want at most 4", pages, len(l.Keys))
		}
		for _, k := range l.Keys {
			seen[k.ID]++
			if k.TeamID != team.ID {
				t.Errorf("key %s of team %s listed for %s", k.ID, k.TeamID, team.ID)
			}
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
		time.Sleep(time.Millisecond) // let the inserters in between pages
	}
	close(stop)
	wg.Wait()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("key %s listed %d times", id, n)
		}
	}
	for id := range before {
		if seen[id] != 1 {
			t.Errorf("key %s, made before paging, listed %d times; want once", id, seen[id])
		}
	}
	if pages < 5 {
		t.Errorf("%d pages of 4 for %d keys", pages+1, len(seen))
	}

	// The iterator follows every page the same way.
	n := 0
	for k, err := range p.AllPlatformKeys(ctx, team.ID, "all") {
		if err != nil {
			t.Fatal(err)
		}
		if k.TeamID != team.ID {
			t.Errorf("AllPlatformKeys gave a key of %s", k.TeamID)
		}
		n++
	}
	if n < len(seen) {
		t.Errorf("AllPlatformKeys = %d keys, want at least the %d listed", n, len(seen))
	}
}

// Each call needs its scope, and the 403 names it; unknown teams and keys
// are 404, whatever their shape.
func TestPlatformKeysScopesAndNotFound(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	ctx := t.Context()
	admin := platformClient(t, s, "all")
	team := platformTeam(t, admin, "Acme")
	key, err := admin.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	reader, writer := platformClient(t, s, "keys:read"), platformClient(t, s, "keys:write")
	if _, err := reader.PlatformKey(ctx, key.ID); err != nil {
		t.Errorf("PlatformKey with keys:read = %v", err)
	}
	if _, err := reader.PlatformKeys(ctx, team.ID, client.KeyListOptions{}); err != nil {
		t.Errorf("PlatformKeys with keys:read = %v", err)
	}
	name := pome.Some("x")
	for call, err := range map[string]error{
		"CreatePlatformKey": second(reader.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{Name: "x"})),
		"UpdatePlatformKey": second(reader.UpdatePlatformKey(ctx, key.ID, client.UpdateKeyParams{Name: name})),
		"RevokePlatformKey": second(reader.RevokePlatformKey(ctx, key.ID)),
		"RollPlatformKey":   second(reader.RollPlatformKey(ctx, key.ID, client.RollKeyParams{})),
	} {
		e := mustAPIError(t, call+" with keys:read", err, http.StatusForbidden, "insufficient_scope")
		if !strings.Contains(e.Message(), "'keys:write'") {
			t.Errorf("%s with keys:read: %q; want it to name keys:write", call, e.Message())
		}
	}
	for call, err := range map[string]error{
		"PlatformKey":  second(writer.PlatformKey(ctx, key.ID)),
		"PlatformKeys": second(writer.PlatformKeys(ctx, team.ID, client.KeyListOptions{})),
	} {
		e := mustAPIError(t, call+" with keys:write", err, http.StatusForbidden, "insufficient_scope")
		if !strings.Contains(e.Message(), "'keys:read'") {
			t.Errorf("%s with keys:write: %q; want it to name keys:read", call, e.Message())
		}
	}
	_, err = platformClient(t, s, "teams:read", "teams:write", "keys:verify").PlatformKey(ctx, key.ID)
	mustAPIError(t, "PlatformKey with teams and verify scopes", err, http.StatusForbidden, "insufficient_scope")
	if k, err := writer.RollPlatformKey(ctx, key.ID, client.RollKeyParams{}); err != nil || k.RolledFrom != key.ID {
		t.Errorf("RollPlatformKey with keys:write = %+v, %v", k, err)
	}

	for _, id := range []string{"tm_nope", key.ID, pome.NewID("tm_"), "Acme"} {
		_, err := admin.CreatePlatformKey(ctx, id, client.CreateKeyParams{Name: "x"})
		mustAPIError(t, "CreatePlatformKey("+id+")", err, http.StatusNotFound, "team_not_found")
		_, err = admin.PlatformKeys(ctx, id, client.KeyListOptions{})
		mustAPIError(t, "PlatformKeys("+id+")", err, http.StatusNotFound, "team_not_found")
	}
	for _, id := range []string{"key_nope", team.ID, pome.NewID("key_"), "k", "key_X5FQfLSUBaHoJ77k/roll"} {
		_, err := admin.PlatformKey(ctx, id)
		mustAPIError(t, "PlatformKey("+id+")", err, http.StatusNotFound, "key_not_found")
		_, err = admin.UpdatePlatformKey(ctx, id, client.UpdateKeyParams{Name: name})
		mustAPIError(t, "UpdatePlatformKey("+id+")", err, http.StatusNotFound, "key_not_found")
		_, err = admin.RevokePlatformKey(ctx, id)
		mustAPIError(t, "RevokePlatformKey("+id+")", err, http.StatusNotFound, "key_not_found")
		_, err = admin.RollPlatformKey(ctx, id, client.RollKeyParams{})
		mustAPIError(t, "RollPlatformKey("+id+")", err, http.StatusNotFound, "key_not_found")
	}
}

func second[T any](_ T, err error) error { return err }

// Every bad field of a key is a 400 naming it, on creation and on change
// alike, and nothing is made or changed.
func TestPlatformKeysBadInput(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	ctx := t.Context()
	p := platformClient(t, s, "all")
	team := platformTeam(t, p, "Acme")
	key, err := p.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	past := s.Now().Add(-time.Hour)
	scopes51 := make([]string, 51)
	for i := range scopes51 {
		scopes51[i] = "s" + strconv.Itoa(i)
	}
	bigMeta := json.RawMessage(`{"x":"` + strings.Repeat("a", 4100) + `"}`)
	for _, c := range []struct {
		name  string
		p     client.CreateKeyParams
		u     *client.UpdateKeyParams // nil: creation only
		field string
	}{
		{"IPv4 prefix over 32", client.CreateKeyParams{AllowedCIDRs: []string{"10.0.0.0/33"}},
			&client.UpdateKeyParams{AllowedCIDRs: pome.Some([]string{"10.0.0.0/33"})}, "allowed_cidrs"},
		{"IPv6 prefix over 128", client.CreateKeyParams{AllowedCIDRs: []string{"::1/129"}},
			&client.UpdateKeyParams{AllowedCIDRs: pome.Some([]string{"::1/129"})}, "allowed_cidrs"},
		{"a hostname", client.CreateKeyParams{AllowedCIDRs: []string{"example.com"}},
			&client.UpdateKeyParams{AllowedCIDRs: pome.Some([]string{"example.com/8"})}, "allowed_cidrs"},
		{"51 scopes", client.CreateKeyParams{Scopes: scopes51}, &client.UpdateKeyParams{Scopes: pome.Some(scopes51)}, "scopes"},
		{"scope with capitals", client.CreateKeyParams{Scopes: []string{"Docs:Read"}},
			&client.UpdateKeyParams{Scopes: pome.Some([]string{"docs read"})}, "scopes"},
		{"scope over 64", client.CreateKeyParams{Scopes: []string{strings.Repeat("a", 65)}}, nil, "scopes"},
		{"meta not an object", client.CreateKeyParams{Meta: json.RawMessage(`[1, 2]`)},
			&client.UpdateKeyParams{Meta: pome.Some(json.RawMessage(`"x"`))}, "meta"},
		{"meta over 4 KiB", client.CreateKeyParams{Meta: bigMeta}, &client.UpdateKeyParams{Meta: pome.Some(bigMeta)}, "meta"},
		{"expires_at in the past", client.CreateKeyParams{ExpiresAt: &past},
			&client.UpdateKeyParams{ExpiresAt: pome.Some(past)}, "expires_at"},
		{"rate limit 0", client.CreateKeyParams{RateLimit: &client.RateLimit{Limit: 0, WindowSeconds: 60}},
			&client.UpdateKeyParams{RateLimit: pome.Some(client.RateLimit{Limit: -1, WindowSeconds: 60})}, "rate_limit.limit"},
		{"rate window 0", client.CreateKeyParams{RateLimit: &client.RateLimit{Limit: 5}},
			&client.UpdateKeyParams{RateLimit: pome.Some(client.RateLimit{Limit: 5, WindowSeconds: 86401})}, "rate_limit.window_seconds"},
		{"environment", client.CreateKeyParams{Environment: "staging"}, nil, "environment"},
		{"role", client.CreateKeyParams{Role: "root"}, nil, "role"},
		{"both expiries", client.CreateKeyParams{ExpiresInDays: 3, ExpiresAt: new(s.Now().Add(time.Hour))}, nil, "expires_at"},
		{"expires_in_days", client.CreateKeyParams{ExpiresInDays: 3651}, nil, "expires_in_days"},
		{"name with a bidi override", client.CreateKeyParams{Name: "ac\u202eme"},
			&client.UpdateKeyParams{Name: pome.Some("ac\u202eme")}, "name"},
	} {
		if c.p.Name == "" {
			c.p.Name = "bad"
		}
		_, err := p.CreatePlatformKey(ctx, team.ID, c.p)
		e := mustAPIError(t, "CreatePlatformKey("+c.name+")", err, http.StatusBadRequest, "invalid_parameter")
		if !strings.Contains(e.Message(), "'"+c.field+"'") {
			t.Errorf("CreatePlatformKey(%s): %q; want it to name '%s'", c.name, e.Message(), c.field)
		}
		if c.u == nil {
			continue
		}
		_, err = p.UpdatePlatformKey(ctx, key.ID, *c.u)
		e = mustAPIError(t, "UpdatePlatformKey("+c.name+")", err, http.StatusBadRequest, "invalid_parameter")
		if !strings.Contains(e.Message(), "'"+c.field+"'") {
			t.Errorf("UpdatePlatformKey(%s): %q; want it to name '%s'", c.name, e.Message(), c.field)
		}
	}
	_, err = p.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{})
	mustAPIError(t, "CreatePlatformKey(no name)", err, http.StatusBadRequest, "missing_required_parameter")
	_, err = p.RollPlatformKey(ctx, key.ID, client.RollKeyParams{ExpireOldInHours: new(169)})
	mustAPIError(t, "RollPlatformKey(grace 169h)", err, http.StatusBadRequest, "invalid_parameter")
	_, err = p.RollPlatformKey(ctx, key.ID, client.RollKeyParams{ExpiresAt: &past})
	mustAPIError(t, "RollPlatformKey(expires_at in the past)", err, http.StatusBadRequest, "invalid_parameter")
	_, err = p.PlatformKeys(ctx, team.ID, client.KeyListOptions{Limit: 101})
	mustAPIError(t, "PlatformKeys(limit 101)", err, http.StatusBadRequest, "invalid_parameter")

	l, err := p.PlatformKeys(ctx, team.ID, client.KeyListOptions{Status: "all"})
	if err != nil || len(l.Keys) != 1 {
		t.Fatalf("keys after refused calls = %+v, %v; want the one key", l, err)
	}
	if k := l.Keys[0]; k.Name != "k" || len(k.Scopes) != 0 || len(k.AllowedCIDRs) != 0 || k.RateLimit != nil ||
		string(k.Meta) != "{}" || k.ExpiresAt != nil || k.Status != pome.KeyActive {
		t.Errorf("the key after refused changes = %+v; want it unchanged", k)
	}
}
