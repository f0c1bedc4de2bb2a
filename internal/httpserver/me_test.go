package httpserver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

type meBody struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Team struct {
		ID       string `json:"id"`
		Slug     string `json:"slug"`
		PlanTier string `json:"plan_tier"`
	} `json:"team"`
	APIKey struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Prefix string `json:"prefix"`
		Role   string `json:"role"`
	} `json:"api_key"`
}

// wrongChecksum returns key with its last character changed: well-formed in
// every way but the checksum.
func wrongChecksum(key string) string {
	last := key[len(key)-1]
	if last == 'a' {
		last = 'b'
	} else {
		last = 'a'
	}
	return key[:len(key)-1] + string(last)
}

func apiKey(key string) http.Header { return hdr("X-API-KEY", key) }

// Every row of the API's table, and every rule of reading the key.
func TestMe(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKeyWith(t, alice, `{"name":"ci-prod","role":"developer"}`).Key
	viewer := s.CreateKeyWith(t, alice, `{"name":"dashboards","role":"viewer"}`).Key
	revoked := s.CreateKeyWith(t, alice, `{"name":"old"}`)
	if r := s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("DELETE /api/keys/%s status = %d, want %d", revoked.ID, r.Status, http.StatusOK)
	}
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}

	const get, me = "GET", "/v1/me"
	runScenarios(t, s, []scenario{
		{name: "x-api-key", method: get, path: me, header: apiKey(key), status: 200, golden: "me"},
		{name: "bearer", method: get, path: me, header: hdr("Authorization", "Bearer "+key), status: 200, golden: "me"},
		{name: "bearer lowercase scheme", method: get, path: me, header: hdr("Authorization", "bearer "+key), status: 200},
		{name: "bearer uppercase scheme", method: get, path: me, header: hdr("Authorization", "BEARER "+key), status: 200},
		{name: "both headers equal", method: get, path: me, header: hdr("X-API-KEY", key, "Authorization", "Bearer "+key), status: 200},
		{name: "viewer key reads", method: get, path: me, header: apiKey(viewer), status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if got := decode[meBody](t, r).APIKey.Role; got != "viewer" {
					t.Errorf("GET /v1/me api_key.role = %q, want viewer", got)
				}
			}},
		{name: "HEAD", method: "HEAD", path: me, header: apiKey(key), status: 200},

		{name: "missing", method: get, path: me, status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "empty x-api-key", method: get, path: me, header: apiKey(""), status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "empty bearer", method: get, path: me, header: hdr("Authorization", "Bearer"), status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "basic scheme", method: get, path: me, header: hdr("Authorization", "Basic dXNlcjpwYXNz"), status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "key as scheme", method: get, path: me, header: hdr("Authorization", key), status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "key in query ignored", method: get, path: me + "?api_key=" + key + "&key=" + key, status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "key in cookie ignored", method: get, path: me, header: hdr("Cookie", "api_key="+key+"; pome_session="+key), status: 401, typ: "authentication_error", code: "missing_api_key"},

		{name: "malformed", method: get, path: me, header: apiKey("pme_abc"), status: 401, typ: "authentication_error", code: "invalid_api_key"},
		{name: "wrong prefix", method: get, path: me, header: apiKey("xyz" + key[3:]), status: 401, typ: "authentication_error", code: "invalid_api_key"},
		{name: "wrong checksum", method: get, path: me, header: apiKey(wrongChecksum(key)), status: 401, typ: "authentication_error", code: "invalid_api_key"},
		{name: "unknown well-formed", method: get, path: me, header: apiKey(unknown), status: 401, typ: "authentication_error", code: "invalid_api_key"},

		{name: "conflicting headers", method: get, path: me, header: hdr("X-API-KEY", key, "Authorization", "Bearer "+viewer), status: 400, typ: "invalid_request_error", code: "conflicting_credentials"},
		{name: "x-api-key and basic", method: get, path: me, header: hdr("X-API-KEY", key, "Authorization", "Basic dXNlcjpwYXNz"), status: 400, typ: "invalid_request_error", code: "conflicting_credentials"},
		{name: "x-api-key repeated", method: get, path: me, header: hdr("X-API-KEY", key, "X-API-KEY", key), status: 400, typ: "invalid_request_error", code: "conflicting_credentials"},
		{name: "authorization repeated", method: get, path: me, header: hdr("Authorization", "Bearer "+key, "Authorization", "Bearer "+key), status: 400, typ: "invalid_request_error", code: "conflicting_credentials"},

		{name: "revoked", method: get, path: me, header: apiKey(revoked.Key), status: 403, typ: "permission_error", code: "key_revoked"},
		{name: "wrong method", method: "POST", path: me, header: apiKey(key), status: 405, typ: "invalid_request_error", code: "method_not_allowed"},
	})
}

// A key past its expires_at answers key_expired, from the very instant it
// expires, though it is cached.
func TestMeExpired(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	k := s.CreateKeyWith(t, alice, `{"name":"temp","expires_in_days":1}`)
	ok := scenario{name: "before expiry", method: "GET", path: "/v1/me", header: apiKey(k.Key), status: 200}
	t.Run(ok.name, func(t *testing.T) { ok.run(t, s) })

	s.Clock.Advance(24*time.Hour - time.Second)
	t.Run("one second before", func(t *testing.T) { ok.run(t, s) })

	s.Clock.Advance(time.Second)
	runScenarios(t, s, []scenario{
		{name: "at expiry", method: "GET", path: "/v1/me", header: apiKey(k.Key), status: 403, typ: "permission_error", code: "key_expired"},
	})
}

// A team banned in the store stops its keys once the verifier forgets the
// cached key (Follow does so within a poll interval; here directly).
func TestMeTeamBanned(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	bob := s.Signup(t, "bob@example.com")
	key := s.CreateKey(t, bob, "ci")
	r := scenario{method: "GET", path: "/v1/me", header: apiKey(key), status: 200}.run(t, s)
	team := decode[meBody](t, r).Team.ID

	if err := s.DB.UpdateTeam(t.Context(), pome.Team{ID: team, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, s.Now(), pometest.Event(pome.AuditTeamBanned)); err != nil {
		t.Fatalf("UpdateTeam(banned) = %v", err)
	}
	s.Verifier.Forget(pome.DigestOf(key))
	runScenarios(t, s, []scenario{
		{name: "banned", method: "GET", path: "/v1/me", header: apiKey(key), status: 403, typ: "permission_error", code: "team_banned"},
	})

	if err := s.DB.UpdateTeam(t.Context(), pome.Team{ID: team, Status: pome.TeamActive, PlanTier: pome.PlanPro}, s.Now(), pometest.Event(pome.AuditTeamBanned)); err != nil {
		t.Fatalf("UpdateTeam(active) = %v", err)
	}
	s.Verifier.Forget(pome.DigestOf(key))
	runScenarios(t, s, []scenario{
		{name: "unbanned", method: "GET", path: "/v1/me", header: apiKey(key), status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if got := decode[meBody](t, r).Team.PlanTier; got != pome.PlanPro {
					t.Errorf("GET /v1/me team.plan_tier = %q, want %q", got, pome.PlanPro)
				}
			}},
	})
}

// GET /v1/me writes nothing to the store: a cache miss reads the key once,
// a hit reads nothing; usage is counted in memory.
func TestMeNoStoreWrite(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	ok := scenario{method: "GET", path: "/v1/me", header: apiKey(key), status: 200}

	t.Run("cache miss", func(t *testing.T) {
		s.Store.Reset()
		ok.run(t, s)
		if got, want := s.Store.Calls(), map[string]int{"KeyByDigest": 1}; !equalCounts(got, want) {
			t.Errorf("store calls of GET /v1/me = %v, want %v", got, want)
		}
	})
	t.Run("cache hit", func(t *testing.T) {
		s.Store.Reset()
		for range 5 {
			ok.run(t, s)
		}
		if got := s.Store.Calls(); len(got) != 0 {
			t.Errorf("store calls of 5 cached GET /v1/me = %v, want none", got)
		}
	})
}

// A candidate that fails the offline format check never reaches the store.
func TestMeBadKeyNoStoreCall(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	for _, c := range []struct{ name, key string }{
		{"wrong checksum", wrongChecksum(key)},
		{"too short", key[:len(key)-1]},
		{"bad alphabet", key[:10] + "-" + key[11:]},
		{"wrong prefix", "abc" + key[3:]},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.Store.Reset()
			sc := scenario{method: "GET", path: "/v1/me", header: apiKey(c.key), status: 401, typ: "authentication_error", code: "invalid_api_key"}
			sc.run(t, s)
			if got := s.Store.Calls(); len(got) != 0 {
				t.Errorf("store calls for %s key = %v, want none", c.name, got)
			}
		})
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
