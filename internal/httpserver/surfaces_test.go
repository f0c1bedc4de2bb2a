package httpserver_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/pomeauth/inprocess"
)

// outcome is what a surface answered about a key: the error code of a
// refusal ("" when the request was let through) and the HTTP status, 0 for
// an answer in the verify endpoint's body.
type outcome struct {
	code   string
	status int
}

// surfaceClient sends one attempt through one surface: key (with write, a
// method other than GET) from this test's address.
type surfaceClient struct {
	name string
	do   func(t *testing.T, key string, write bool) outcome
	// flood sends one failing credential: on the verify endpoint, whose
	// failed-authentication limit counts its caller's service tokens (never
	// the customers' keys it asks about), a forged service token.
	flood func(t *testing.T) outcome
	// scoped sends a read that requires the scope "docs:read" (the
	// gateway's --upstream-scope, the verify call's scopes, the
	// middleware's Require); nil for /v1/me, which requires none.
	scoped func(t *testing.T, key string) outcome
}

// The same attempts get the same answers on every surface that verifies a
// key — GET /v1/me, gateway mode, POST /v1/keys/verify and the in-process
// Go middleware — because each only translates authz.Gate's decision.
func TestSurfacesAgree(t *testing.T) {
	t.Parallel()
	const planLimit, failureLimit = 3, 10
	up := newUpstream(t)
	s := pometest.NewServer(t, pometest.WithNow(time.Now),
		pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{{Prefix: "/gw/", Target: up.url(t)},
			{Prefix: "/gws/", Target: up.url(t), Scopes: []string{"docs:read"}}}}),
		pometest.WithRules(func(r *ratelimit.Rules) {
			r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, planLimit)
			r.AuthFailureIP.Limit = failureLimit
			r.CreateKey.Limit = 0 // the test makes more keys than a person would
		}))
	token, err := s.ServiceTokens.Create(t.Context(), "backend", nil)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := inprocess.New(t.Context(), inprocess.Config{
		DataDir:               filepath.Dir(s.DB.Path()),
		PlanLimits:            map[string]int{pome.PlanFree: planLimit},
		AuthFailuresPerMinute: failureLimit,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { auth.Close() })
	app := httptest.NewServer(auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	t.Cleanup(app.Close)
	scopedApp := httptest.NewServer(auth.Require("docs:read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	t.Cleanup(scopedApp.Close)

	// The keys, each in the state an attempt needs, made before any
	// surface caches one.
	alice := s.Signup(t, "alice@example.com")
	valid := s.CreateKey(t, alice, "valid")
	viewer := s.CreateKeyWith(t, alice, `{"name":"viewer","role":"viewer"}`).Key
	revoked := s.CreateKeyWith(t, alice, `{"name":"revoked"}`)
	if r := s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	expired := s.CreateKeyWith(t, alice, `{"name":"expired"}`)
	if r := s.Do(t, alice, "POST", "/api/keys/"+expired.ID+"/roll", nil, `{"expire_old_in_hours":0}`); r.Status != http.StatusCreated {
		t.Fatalf("roll = %d %s", r.Status, r.Body)
	}
	bob := s.Signup(t, "bob@example.com")
	banned := s.CreateKey(t, bob, "banned")
	if _, err := s.Accounts.SetTeamStatus(t.Context(), "bob", pome.TeamBanned); err != nil {
		t.Fatal(err)
	}
	// The policies of docs/api.md's table, one key each. The test's
	// address is loopback.
	disabled := s.CreateKeyWith(t, alice, `{"name":"disabled","enabled":false}`).Key
	elsewhere := s.CreateKeyWith(t, alice, `{"name":"elsewhere","allowed_cidrs":["10.0.0.0/8","2001:db8::/32"]}`).Key
	here := s.CreateKeyWith(t, alice, `{"name":"here","allowed_cidrs":["10.0.0.0/8","127.0.0.0/8"]}`).Key
	testEnv := s.CreateKeyWith(t, alice, `{"name":"test","environment":"test"}`).Key
	docs := s.CreateKeyWith(t, alice, `{"name":"docs","scopes":["docs:*"]}`).Key
	billing := s.CreateKeyWith(t, alice, `{"name":"billing","scopes":["billing:read","docsearch:read"]}`).Key
	// A canary is an unknown key to every surface, revoked or not.
	canary := s.CreateKeyWith(t, alice, `{"name":"canary","canary":true}`).Key
	revokedCanary := s.CreateKeyWith(t, alice, `{"name":"revoked canary","canary":true}`)
	if r := s.Do(t, alice, "DELETE", "/api/keys/"+revokedCanary.ID, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	// One checksum character changed: well-formed, but no key.
	forged := valid[:len(valid)-1] + "A"
	if strings.HasSuffix(valid, "A") {
		forged = valid[:len(valid)-1] + "B"
	}

	get := func(t *testing.T, url, key string, write bool, header ...string) outcome {
		t.Helper()
		method := http.MethodGet
		if write {
			method = http.MethodPost
		}
		req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-KEY", key)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		o := outcome{status: resp.StatusCode}
		if resp.StatusCode >= 300 {
			var env struct{ Error struct{ Code string } }
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				t.Fatalf("%s %s: %d with a body that is no error envelope: %v", method, url, resp.StatusCode, err)
			}
			o.code = env.Error.Code
		}
		return o
	}
	verify := func(t *testing.T, serviceToken, key string, write bool, scopes ...string) outcome {
		t.Helper()
		perm := "read"
		if write {
			perm = "write"
		}
		c := client.New(s.URL, client.WithServiceToken(serviceToken))
		// The client's address as the platform saw it: this test's.
		v, err := c.Verify(t.Context(), client.VerifyParams{Key: key, Permission: perm, Scopes: scopes, IP: "127.0.0.1"})
		if err != nil {
			var ce *client.Error
			if !errors.As(err, &ce) {
				t.Fatalf("verify: %v", err)
			}
			return outcome{code: ce.Code(), status: ce.Status}
		}
		if v.Valid {
			return outcome{}
		}
		return outcome{code: client.VerifyErrorOf(v.Code).Code}
	}
	surfaces := []surfaceClient{
		{name: "GET /v1/me",
			do:    func(t *testing.T, key string, write bool) outcome { return get(t, s.URL+"/v1/me", key, false) },
			flood: func(t *testing.T) outcome { return get(t, s.URL+"/v1/me", forged, false) }},
		{name: "gateway",
			do:     func(t *testing.T, key string, write bool) outcome { return get(t, s.URL+"/gw/orders", key, write) },
			flood:  func(t *testing.T) outcome { return get(t, s.URL+"/gw/orders", forged, false) },
			scoped: func(t *testing.T, key string) outcome { return get(t, s.URL+"/gws/docs", key, false) }},
		{name: "POST /v1/keys/verify",
			do: func(t *testing.T, key string, write bool) outcome { return verify(t, token.Plaintext, key, write) },
			flood: func(t *testing.T) outcome {
				bad, _ := pome.ServiceTokenFormat.Generate()
				return verify(t, bad, valid, false)
			},
			scoped: func(t *testing.T, key string) outcome { return verify(t, token.Plaintext, key, false, "docs:read") }},
		{name: "Go middleware",
			do:     func(t *testing.T, key string, write bool) outcome { return get(t, app.URL+"/orders", key, write) },
			flood:  func(t *testing.T) outcome { return get(t, app.URL+"/orders", forged, false) },
			scoped: func(t *testing.T, key string) outcome { return get(t, scopedApp.URL+"/docs", key, false) }},
	}

	attempts := []struct {
		name  string
		key   string
		write bool
		want  string // the refusal's code; "" lets the request through
	}{
		{"valid", valid, false, ""},
		{"forged", forged, false, pome.ErrInvalidAPIKey.Code},
		{"unknown", unknown, false, pome.ErrInvalidAPIKey.Code},
		{"revoked", revoked.Key, false, pome.ErrKeyRevoked.Code},
		{"expired", expired.Key, false, pome.ErrKeyExpired.Code},
		{"banned team", banned, false, pome.ErrTeamBanned.Code},
		{"viewer writing", viewer, true, pome.ErrInsufficientPermissions.Code},
		{"disabled", disabled, false, pome.ErrKeyDisabled.Code},
		{"address outside allowed_cidrs", elsewhere, false, pome.ErrIPNotAllowed.Code},
		{"address inside allowed_cidrs", here, false, ""},
		{"test environment", testEnv, false, ""},
		{"canary", canary, false, pome.ErrInvalidAPIKey.Code},
		{"canary writing", canary, true, pome.ErrInvalidAPIKey.Code},
		{"revoked canary", revokedCanary.Key, false, pome.ErrInvalidAPIKey.Code},
	}
	cached := map[string]string{} // by surface: a key it verified before the floods
	for _, sf := range surfaces {
		t.Run(sf.name, func(t *testing.T) {
			cached[sf.name] = s.CreateKey(t, alice, "cached "+sf.name)
			checkOutcome(t, sf.do(t, cached[sf.name], false), "")
			for _, a := range attempts {
				if a.write && sf.name == "GET /v1/me" {
					continue // a GET route: its writes are TestRoleMatrix's
				}
				t.Run(a.name, func(t *testing.T) {
					checkOutcome(t, sf.do(t, a.key, a.write), a.want)
				})
			}
			if sf.scoped != nil {
				for _, c := range []struct {
					name, key, want string
				}{
					{"scope covered by a wildcard", docs, ""},
					{"scope missing", billing, pome.ErrKeyInsufficientScope.Code},
					{"no scopes", valid, pome.ErrKeyInsufficientScope.Code},
				} {
					t.Run(c.name, func(t *testing.T) { checkOutcome(t, sf.scoped(t, c.key), c.want) })
				}
			}
			t.Run("over the key's own limit", func(t *testing.T) {
				// Its own limit (1 an hour) replaces the plan's (3).
				key := s.CreateKeyWith(t, alice, `{"name":"own limit","rate_limit":{"limit":1,"window_seconds":3600}}`).Key
				checkOutcome(t, sf.do(t, key, false), "")
				checkOutcome(t, sf.do(t, key, false), pome.ErrRateLimited.Code)
			})
			t.Run("out of credits", func(t *testing.T) {
				key := s.CreateKeyWith(t, alice, `{"name":"metered","credits":{"remaining":2}}`).Key
				checkOutcome(t, sf.do(t, key, false), "")
				checkOutcome(t, sf.do(t, key, false), "")
				checkOutcome(t, sf.do(t, key, false), pome.ErrQuotaExceeded.Code)
			})
			t.Run("over the plan limit", func(t *testing.T) {
				// A key of its own: the surfaces of one server share
				// their limiter.
				key := s.CreateKey(t, alice, "plan "+sf.name)
				for i := range planLimit {
					if o := sf.do(t, key, false); o.code != "" {
						t.Fatalf("request %d of %d = %+v, want let through", i+1, planLimit, o)
					}
				}
				checkOutcome(t, sf.do(t, key, false), pome.ErrRateLimited.Code)
			})
		})
	}
	// Last, once every surface has answered the attempts above: the
	// surfaces of one server share the address's budget of failures.
	for _, sf := range surfaces {
		t.Run(sf.name+"/flood from one IP", func(t *testing.T) {
			// Whatever the surfaces before spent, once this one has sent
			// more failures than the limit, the next is refused before any
			// store read.
			var last outcome
			for range failureLimit + 1 {
				last = sf.flood(t)
			}
			checkOutcome(t, last, pome.ErrRateLimited.Code)
			// A key verified before, and so cached, still passes: a client
			// behind the attacker's address keeps working. (The verify
			// endpoint's caller is a backend: its own token, not the keys
			// it asks about, is the credential the limit guards.)
			if sf.name != "POST /v1/keys/verify" {
				checkOutcome(t, sf.do(t, cached[sf.name], false), "")
			}
		})
	}
}

// checkOutcome checks that o is the answer of want: let through, or the
// refusal with that code and its status.
func checkOutcome(t *testing.T, o outcome, want string) {
	t.Helper()
	if o.code != want {
		t.Fatalf("outcome = %+v, want code %q", o, want)
	}
	wantStatus := map[string]int{"": 200,
		pome.ErrInvalidAPIKey.Code: 401, pome.ErrKeyRevoked.Code: 403, pome.ErrKeyExpired.Code: 403,
		pome.ErrTeamBanned.Code: 403, pome.ErrInsufficientPermissions.Code: 403, pome.ErrRateLimited.Code: 429,
		pome.ErrQuotaExceeded.Code: 429,
		pome.ErrKeyDisabled.Code:   403, pome.ErrIPNotAllowed.Code: 403, pome.ErrKeyInsufficientScope.Code: 403}[want]
	if o.status != 0 && o.status != wantStatus {
		t.Fatalf("outcome = %+v, want status %d", o, wantStatus)
	}
}
