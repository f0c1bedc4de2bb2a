package client_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
)

// The whole platform flow through the SDK: a service token makes a team
// with its external id and a key with every policy; the key then passes,
// and each row of docs/api.md's table refuses it, alike on GET /v1/me, the
// gateway (an upstream that requires orders:read) and the verify call.
func TestPlatformFlow(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(r.Header)
	}))
	t.Cleanup(upstream.Close)
	target, err := url.Parse(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := pometest.NewServer(t, pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{
		{Prefix: "/orders/", Target: target, Scopes: []string{"orders:read"}}}}))
	ctx := t.Context()
	tok, err := s.ServiceTokens.Create(ctx, "platform", []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	p := client.New(s.URL, client.WithServiceToken(tok.Plaintext))

	team, err := p.CreateTeam(ctx, client.CreateTeamParams{Name: "Acme", ExternalID: "org_42"})
	if err != nil {
		t.Fatalf("CreateTeam = %v", err)
	}
	newKey := func(t *testing.T, params client.CreateKeyParams) *client.CreatedKey {
		t.Helper()
		k, err := p.CreatePlatformKey(ctx, team.ID, params)
		if err != nil {
			t.Fatalf("CreatePlatformKey(%s) = %v", params.Name, err)
		}
		return k
	}
	full := client.CreateKeyParams{
		Name: "acme-prod", Environment: "test", Meta: json.RawMessage(`{"customer":"cus_42"}`),
		Scopes: []string{"orders:*"}, RateLimit: &client.RateLimit{Limit: 1000, WindowSeconds: 3600},
		AllowedCIDRs: []string{"127.0.0.0/8", "::1/128"},
	}
	key := newKey(t, full)

	// The three surfaces, each giving the refusal's code ("" when let
	// through). The client is this test, on loopback.
	type surface struct {
		name string
		call func(t *testing.T, key string, write bool) string
	}
	httpCall := func(t *testing.T, method, path, key string) (string, http.Header) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-KEY", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			var h http.Header
			json.NewDecoder(resp.Body).Decode(&h)
			return "", h
		}
		var env struct{ Error struct{ Code string } }
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Error.Code == "" {
			t.Fatalf("%s %s = %d with no error envelope", method, path, resp.StatusCode)
		}
		return env.Error.Code, nil
	}
	surfaces := []surface{
		{"GET /v1/me", func(t *testing.T, key string, write bool) string {
			_, err := client.New(s.URL, client.WithAPIKey(key)).Me(ctx)
			var ce *client.Error
			if errors.As(err, &ce) {
				return ce.Code()
			} else if err != nil {
				t.Fatal(err)
			}
			return ""
		}},
		{"gateway", func(t *testing.T, key string, write bool) string {
			method := http.MethodGet
			if write {
				method = http.MethodPost
			}
			code, _ := httpCall(t, method, "/orders/42", key)
			return code
		}},
		{"POST /v1/keys/verify", func(t *testing.T, key string, write bool) string {
			perm := "read"
			if write {
				perm = "write"
			}
			v, err := p.Verify(ctx, client.VerifyParams{Key: key, Permission: perm, Scopes: []string{"orders:read"}, IP: "127.0.0.1"})
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if v.Valid {
				return ""
			}
			return client.VerifyErrorOf(v.Code).Code
		}},
	}
	expect := func(t *testing.T, key string, write bool, want map[string]string) {
		t.Helper()
		for _, sf := range surfaces {
			w, ok := want[sf.name]
			if !ok {
				w = want[""]
			}
			if got := sf.call(t, key, write); got != w {
				t.Errorf("%s = %q, want %q", sf.name, got, w)
			}
		}
	}
	all := func(code string) map[string]string { return map[string]string{"": code} }

	t.Run("valid, with every policy in the answers", func(t *testing.T) {
		expect(t, key.Key, false, all(""))
		me, err := client.New(s.URL, client.WithAPIKey(key.Key)).Me(ctx)
		if err != nil || me.User.ID != "" || me.Team.ID != team.ID || me.APIKey.Environment != "test" ||
			!slices.Equal(me.APIKey.Scopes, []string{"orders:*"}) || string(me.APIKey.Meta) != `{"customer":"cus_42"}` {
			t.Errorf("Me = %+v, %v; want no user, the team, the key's environment, scopes and meta", me, err)
		}
		v, err := p.Verify(ctx, client.VerifyParams{Key: key.Key, Scopes: []string{"orders:read"}, IP: "::1"})
		if err != nil || !v.Valid || v.User != nil || v.Team.ExternalID == nil || *v.Team.ExternalID != "org_42" ||
			v.Key.Environment != "test" || string(v.Key.Meta) != `{"customer":"cus_42"}` || v.RateLimit == nil || v.RateLimit.Limit != 1000 {
			t.Errorf("Verify = %+v, %v; want VALID with the policies, the external id and the key's own limit", v, err)
		}
		_, h := httpCall(t, http.MethodGet, "/orders/42", key.Key)
		for k, want := range map[string]string{
			"Pome-Team-External-Id": "org_42", "Pome-Key-Environment": "test", "Pome-Key-Scopes": "orders:*",
			"Pome-Key-Meta": base64.RawURLEncoding.EncodeToString([]byte(`{"customer":"cus_42"}`)),
		} {
			if got := h.Get(k); got != want {
				t.Errorf("upstream header %s = %q, want %q", k, got, want)
			}
		}
		if h.Get("Pome-User-Id") != "" {
			t.Errorf("upstream got Pome-User-Id %q for a key a service token made", h.Get("Pome-User-Id"))
		}
	})
	t.Run("format, checksum, known", func(t *testing.T) {
		forged := key.Key[:len(key.Key)-1] + "0"
		if forged == key.Key {
			forged = key.Key[:len(key.Key)-1] + "1"
		}
		expect(t, forged, false, all(pome.ErrInvalidAPIKey.Code))
	})
	change := func(t *testing.T, id string, u client.UpdateKeyParams) {
		t.Helper()
		if _, err := p.UpdatePlatformKey(ctx, id, u); err != nil {
			t.Fatalf("UpdatePlatformKey = %v", err)
		}
	}
	t.Run("disabled", func(t *testing.T) {
		change(t, key.ID, client.UpdateKeyParams{Enabled: pome.Some(false)})
		expect(t, key.Key, false, all(pome.ErrKeyDisabled.Code))
		change(t, key.ID, client.UpdateKeyParams{Enabled: pome.Some(true)})
		expect(t, key.Key, false, all(""))
	})
	t.Run("client address outside allowed_cidrs", func(t *testing.T) {
		change(t, key.ID, client.UpdateKeyParams{AllowedCIDRs: pome.Some([]string{"10.0.0.0/8"})})
		expect(t, key.Key, false, all(pome.ErrIPNotAllowed.Code))
		change(t, key.ID, client.UpdateKeyParams{AllowedCIDRs: pome.Null[[]string]()})
		expect(t, key.Key, false, all(""))
	})
	t.Run("role may not use the method", func(t *testing.T) {
		viewer := full
		viewer.Name, viewer.Role = "viewer", pome.RoleViewer
		k := newKey(t, viewer)
		// GET /v1/me only reads: a viewer passes there.
		expect(t, k.Key, true, map[string]string{"": pome.ErrInsufficientPermissions.Code, "GET /v1/me": ""})
	})
	t.Run("required scopes missing", func(t *testing.T) {
		change(t, key.ID, client.UpdateKeyParams{Scopes: pome.Some([]string{"orders-archive:*", "billing:read"})})
		// GET /v1/me requires no scope.
		expect(t, key.Key, false, map[string]string{"": pome.ErrKeyInsufficientScope.Code, "GET /v1/me": ""})
		change(t, key.ID, client.UpdateKeyParams{Scopes: pome.Some([]string{"*"})})
		expect(t, key.Key, false, all(""))
	})
	t.Run("the key's own rate limit", func(t *testing.T) {
		for _, sf := range surfaces {
			one := full
			one.Name, one.RateLimit = "one an hour "+sf.name, &client.RateLimit{Limit: 1, WindowSeconds: 3600}
			k := newKey(t, one)
			if got := sf.call(t, k.Key, false); got != "" {
				t.Fatalf("%s: first call = %q, want let through", sf.name, got)
			}
			if got := sf.call(t, k.Key, false); got != pome.ErrRateLimited.Code {
				t.Errorf("%s: second call = %q, want %s", sf.name, got, pome.ErrRateLimited.Code)
			}
		}
	})
	t.Run("expired, revoked, team banned", func(t *testing.T) {
		rolled, err := p.RollPlatformKey(ctx, key.ID, client.RollKeyParams{ExpireOldInHours: new(0)})
		if err != nil {
			t.Fatalf("RollPlatformKey = %v", err)
		}
		expect(t, key.Key, false, all(pome.ErrKeyExpired.Code))
		expect(t, rolled.Key, false, all("")) // every policy went with it
		if _, err := p.RevokePlatformKey(ctx, rolled.ID); err != nil {
			t.Fatal(err)
		}
		expect(t, rolled.Key, false, all(pome.ErrKeyRevoked.Code))
		other := newKey(t, client.CreateKeyParams{Name: "other"})
		if _, err := p.UpdateTeam(ctx, team.ID, client.UpdateTeamParams{Status: new(pome.TeamBanned)}); err != nil {
			t.Fatal(err)
		}
		expect(t, other.Key, false, all(pome.ErrTeamBanned.Code))
	})
}
