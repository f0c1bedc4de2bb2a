package httpserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/servicetoken"
)

type verifyBody struct {
	Valid bool   `json:"valid"`
	Code  string `json:"code"`
	Key   *struct {
		ID        string     `json:"id"`
		Name      string     `json:"name"`
		Prefix    string     `json:"prefix"`
		Role      string     `json:"role"`
		ExpiresAt *time.Time `json:"expires_at"`
	} `json:"key"`
	Team *struct {
		ID       string `json:"id"`
		Slug     string `json:"slug"`
		PlanTier string `json:"plan_tier"`
	} `json:"team"`
	User *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	RateLimit *struct {
		Limit      int   `json:"limit"`
		Remaining  int   `json:"remaining"`
		Reset      int64 `json:"reset"`
		RetryAfter int64 `json:"retry_after"`
	} `json:"ratelimit"`
}

func bearer(token string) http.Header { return hdr("Authorization", "Bearer "+token) }

func mustServiceToken(t *testing.T, s *pometest.Server, name string, scopes ...string) servicetoken.Created {
	t.Helper()
	c, err := s.ServiceTokens.Create(t.Context(), name, scopes)
	if err != nil {
		t.Fatalf("ServiceTokens.Create(%q) = %v", name, err)
	}
	return c
}

// Every code of POST /v1/keys/verify, each for the key it describes.
func TestVerifyCodes(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
		r.Plans[pome.PlanPro] = ratelimit.PlanRule(pome.PlanPro, 2)
	}))
	token := mustServiceToken(t, s, "billing").Plaintext
	alice := s.Signup(t, "alice@example.com")
	created := s.CreateKeyWith(t, alice, `{"name":"ci","role":"developer"}`)
	viewer := s.CreateKeyWith(t, alice, `{"name":"ro","role":"viewer"}`).Key
	revoked := s.CreateKeyWith(t, alice, `{"name":"old"}`)
	s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, "")
	expiring := s.CreateKeyWith(t, alice, `{"name":"temp","expires_in_days":1}`).Key
	bob := s.Signup(t, "bob@example.com")
	banned := s.CreateKey(t, bob, "ci")
	carol := s.Signup(t, "carol@example.com")
	limited := s.CreateKey(t, carol, "ci")
	unknown, _ := pome.DefaultKeyFormat.Generate()
	teamOf := func(key string) string {
		r := s.Do(t, nil, "POST", "/v1/keys/verify", bearer(token), `{"key":"`+key+`"}`)
		return decode[verifyBody](t, r).Team.ID
	}
	if err := s.DB.UpdateTeam(t.Context(), pome.Team{ID: teamOf(banned), Status: pome.TeamBanned, PlanTier: pome.PlanFree}, s.Now(), pometest.Event(pome.AuditTeamBanned)); err != nil {
		t.Fatal(err)
	}
	s.Verifier.Forget(pome.DigestOf(banned))
	if err := s.DB.UpdateTeam(t.Context(), pome.Team{ID: teamOf(limited), Status: pome.TeamActive, PlanTier: pome.PlanPro}, s.Now(), pometest.Event(pome.AuditTeamPlanChanged)); err != nil {
		t.Fatal(err)
	}
	s.Verifier.Forget(pome.DigestOf(limited))
	s.Clock.Advance(24*time.Hour + time.Second)

	for _, tc := range []struct {
		name, body, code string
		valid, identity  bool
		check            func(t *testing.T, b verifyBody)
	}{
		{name: "valid", body: `{"key":"` + created.Key + `"}`, code: "VALID", valid: true, identity: true,
			check: func(t *testing.T, b verifyBody) {
				if b.Key.ID != created.ID || b.Key.Name != "ci" || b.Key.Role != "developer" || b.Key.Prefix != created.Prefix ||
					b.User.Email != "alice@example.com" || b.Team.Slug != "alice" || b.Team.PlanTier != "free" || b.RateLimit != nil {
					t.Errorf("verify body = key %+v team %+v user %+v ratelimit %+v", *b.Key, *b.Team, *b.User, b.RateLimit)
				}
			}},
		{name: "valid for write", body: `{"key":"` + created.Key + `","permission":"write"}`, code: "VALID", valid: true, identity: true},
		{name: "viewer reads", body: `{"key":"` + viewer + `","permission":"read"}`, code: "VALID", valid: true, identity: true},
		{name: "viewer may not write", body: `{"key":"` + viewer + `","permission":"write"}`, code: "INSUFFICIENT_PERMISSIONS", identity: true},
		{name: "unknown", body: `{"key":"` + unknown + `"}`, code: "INVALID"},
		{name: "malformed", body: `{"key":"pme_abc"}`, code: "INVALID"},
		{name: "wrong checksum", body: `{"key":"` + wrongChecksum(created.Key) + `"}`, code: "INVALID"},
		{name: "empty", body: `{"key":""}`, code: "INVALID"},
		{name: "revoked", body: `{"key":"` + revoked.Key + `"}`, code: "REVOKED"},
		{name: "expired", body: `{"key":"` + expiring + `"}`, code: "EXPIRED"},
		{name: "team banned", body: `{"key":"` + banned + `"}`, code: "TEAM_BANNED"},
		{name: "within the plan limit", body: `{"key":"` + limited + `"}`, code: "VALID", valid: true, identity: true,
			check: func(t *testing.T, b verifyBody) {
				if b.RateLimit == nil || b.RateLimit.Limit != 2 || b.RateLimit.Remaining != 1 {
					t.Errorf("ratelimit = %+v, want limit 2, remaining 1", b.RateLimit)
				}
			}},
		{name: "last of the plan limit", body: `{"key":"` + limited + `"}`, code: "VALID", valid: true, identity: true},
		{name: "over the plan limit", body: `{"key":"` + limited + `"}`, code: "RATE_LIMITED", identity: true,
			check: func(t *testing.T, b verifyBody) {
				if b.RateLimit == nil || b.RateLimit.Remaining != 0 || b.RateLimit.RetryAfter < 1 {
					t.Errorf("ratelimit = %+v, want remaining 0 and retry_after", b.RateLimit)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(t, nil, "POST", "/v1/keys/verify", bearer(token), tc.body)
			if r.Status != http.StatusOK {
				t.Fatalf("POST /v1/keys/verify status = %d, want 200; body %s", r.Status, r.Body)
			}
			checkCommonHeaders(t, "POST /v1/keys/verify", r)
			b := decode[verifyBody](t, r)
			if b.Code != tc.code || b.Valid != tc.valid {
				t.Fatalf("verify %s = {valid %v, code %s}, want {%v, %s}", tc.body, b.Valid, b.Code, tc.valid, tc.code)
			}
			if got := b.Key != nil && b.Team != nil && b.User != nil; got != tc.identity {
				t.Errorf("verify %s: key, team and user given = %v, want %v; body %s", tc.body, got, tc.identity, r.Body)
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

// A verify call needs a token with keys:verify (or all): any other token is
// 403 insufficient_scope naming the scope, and no key is looked at.
func TestVerifyScope(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	for _, c := range []struct {
		scopes []string
		status int
	}{
		{nil, http.StatusOK},
		{[]string{"keys:verify"}, http.StatusOK},
		{[]string{"all"}, http.StatusOK},
		{[]string{"keys:read", "keys:write", "teams:read", "teams:write", "portal:write", "webhooks:write"}, http.StatusForbidden},
	} {
		token := mustServiceToken(t, s, "backend", c.scopes...).Plaintext
		r := s.Do(t, nil, "POST", "/v1/keys/verify", bearer(token), `{"key":"`+key+`"}`)
		if r.Status != c.status {
			t.Errorf("verify with scopes %q = %d %s, want %d", c.scopes, r.Status, r.Body, c.status)
			continue
		}
		if c.status == http.StatusForbidden {
			e := checkErrorBody(t, "verify without keys:verify", r)
			if e.Type != "permission_error" || e.Code != "insufficient_scope" || !strings.Contains(e.Message, "'keys:verify'") {
				t.Errorf("verify with scopes %q = %+v, want permission_error insufficient_scope naming keys:verify", c.scopes, e)
			}
		}
	}
}

// Only a service token authenticates a verify call: not a customer's key,
// not a revoked or unknown token; each refusal is the error envelope.
func TestVerifyServiceToken(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	good := mustServiceToken(t, s, "billing")
	gone := mustServiceToken(t, s, "old")
	if _, err := s.ServiceTokens.Revoke(t.Context(), gone.Token.ID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := pome.ServiceTokenFormat.Generate()
	body := `{"key":"` + key + `"}`
	const post, path = "POST", "/v1/keys/verify"
	runScenarios(t, s, []scenario{
		{name: "valid token", method: post, path: path, header: bearer(good.Plaintext), body: body, status: 200},
		{name: "lowercase scheme", method: post, path: path, header: hdr("Authorization", "bearer "+good.Plaintext), body: body, status: 200},
		{name: "missing", method: post, path: path, body: body, status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "basic scheme", method: post, path: path, header: hdr("Authorization", "Basic dXNlcjpwYXNz"), body: body, status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "token in x-api-key", method: post, path: path, header: apiKey(good.Plaintext), body: body, status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "customer key as bearer", method: post, path: path, header: bearer(key), body: body, status: 401, typ: "authentication_error", code: "invalid_service_token"},
		{name: "malformed", method: post, path: path, header: bearer("pst_abc"), body: body, status: 401, typ: "authentication_error", code: "invalid_service_token"},
		{name: "unknown", method: post, path: path, header: bearer(unknown), body: body, status: 401, typ: "authentication_error", code: "invalid_service_token"},
		{name: "revoked", method: post, path: path, header: bearer(gone.Plaintext), body: body, status: 401, typ: "authentication_error", code: "invalid_service_token"},
		{name: "repeated", method: post, path: path, header: hdr("Authorization", "Bearer "+good.Plaintext, "Authorization", "Bearer "+good.Plaintext), body: body, status: 400, typ: "invalid_request_error", code: "conflicting_credentials"},
		{name: "no key", method: post, path: path, header: bearer(good.Plaintext), body: `{}`, status: 400, typ: "invalid_request_error", code: "missing_required_parameter"},
		{name: "bad permission", method: post, path: path, header: bearer(good.Plaintext), body: `{"key":"x","permission":"admin"}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "not JSON", method: post, path: path, header: bearer(good.Plaintext), body: `key=x`, status: 400, typ: "invalid_request_error", code: "invalid_json"},
		{name: "GET", method: "GET", path: path, header: bearer(good.Plaintext), status: 405, typ: "invalid_request_error", code: "method_not_allowed"},
	})

	// Created and revoked tokens are audited, by the system actor.
	for _, action := range []string{pome.AuditServiceTokenCreated, pome.AuditServiceTokenRevoked} {
		evs, err := s.DB.AuditEvents(t.Context(), pome.AuditFilter{Action: action, Limit: 10})
		if err != nil || len(evs) == 0 || evs[0].ActorType != pome.ActorSystem || evs[0].TargetType != pome.TargetServiceToken {
			t.Errorf("audit events %s = %+v, %v; want some by the system on a service_token", action, evs, err)
		}
	}
}

// A token revoked elsewhere (`pome admin` on the database) stops working
// within servicetoken.CacheTTL, as a key revoked on another node does.
func TestVerifyServiceTokenRevokedElsewhere(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	tok := mustServiceToken(t, s, "billing")
	call := scenario{method: "POST", path: "/v1/keys/verify", header: bearer(tok.Plaintext), body: `{"key":"` + key + `"}`, status: 200}
	t.Run("before", func(t *testing.T) { call.run(t, s) })

	admin := servicetoken.New(s.DB, s.Now) // another process's view
	if _, err := admin.Revoke(t.Context(), tok.Token.ID); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(servicetoken.CacheTTL)
	refused := call
	refused.status, refused.typ, refused.code = 401, "authentication_error", "invalid_service_token"
	t.Run("after the cache TTL", func(t *testing.T) { refused.run(t, s) })
}

// A valid verification counts one use of the key, like any request; the
// others count none.
func TestVerifyUsage(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	tok := mustServiceToken(t, s, "billing").Plaintext
	alice := s.Signup(t, "alice@example.com")
	viewer := s.CreateKeyWith(t, alice, `{"name":"ro","role":"viewer"}`).Key
	for _, body := range []string{
		`{"key":"` + viewer + `"}`,
		`{"key":"` + viewer + `","permission":"read"}`,
		`{"key":"` + viewer + `","permission":"write"}`, // INSUFFICIENT_PERMISSIONS: no use
	} {
		if r := s.Do(t, nil, "POST", "/v1/keys/verify", bearer(tok), body); r.Status != http.StatusOK {
			t.Fatalf("verify status = %d", r.Status)
		}
	}
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Keys []struct {
			UsageCount int64 `json:"usage_count"`
		} `json:"keys"`
	}
	s.Do(t, alice, "GET", "/api/keys", nil, "").DecodeJSON(t, &list)
	if len(list.Keys) != 1 || list.Keys[0].UsageCount != 2 {
		t.Errorf("usage after 2 valid verifications and a refused one = %+v, want 2", list.Keys)
	}
}
