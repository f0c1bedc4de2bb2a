package pomeauth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/servicetoken"
	"github.com/pomehq/pome/internal/testenv"
	"github.com/pomehq/pome/pomeauth"
	"github.com/pomehq/pome/pomeauth/inprocess"
)

// pomeWithToken is a Pome server with a service token, and alice's
// developer key.
func pomeWithToken(t *testing.T) (*pometest.Server, servicetoken.Created, *http.Client, pometest.CreatedKey) {
	t.Helper()
	pomeSrv := pometest.NewServer(t)
	token, err := pomeSrv.ServiceTokens.Create(t.Context(), "orders-service", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice := pomeSrv.Signup(t, "alice@example.com")
	return pomeSrv, token, alice, pomeSrv.CreateKeyWith(t, alice, `{"name":"ci","role":"developer"}`)
}

// app is a service behind the middleware: it answers the identity it was
// given, and counts what reached it.
func app(t *testing.T, mw func(http.Handler) http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	hits := new(atomic.Int64)
	srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		id, ok := pomeauth.FromContext(r.Context())
		if !ok {
			http.Error(w, "no identity", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(id)
	})))
	t.Cleanup(srv.Close)
	return srv, hits
}

type answer struct {
	status int
	header http.Header
	id     pomeauth.Identity
	err    struct {
		Message, Type, Code string
		RequestID           string `json:"request_id"`
	}
}

// send makes a request with key, if any, and the headers of kv (name,
// value, ...).
func send(t *testing.T, method, url, key string, kv ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &a.id); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, body, err)
		}
		return a
	}
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || json.Unmarshal(env.Error, &a.err) != nil || a.err.RequestID == "" {
		t.Fatalf("%s %s: status %d, body %s: want the error envelope", method, url, resp.StatusCode, body)
	}
	return a
}

func wantRefused(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.err.Code != code {
		t.Fatalf("answer = %d %s, want %d %s", a.status, a.err.Code, status, code)
	}
	if status == http.StatusUnauthorized && a.header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
}

// The in-process middleware, in a real net/http server, on the database of
// a Pome server: identity in the context, docs/api.md refusals, a viewer's
// write refused, a revocation seen on the next request, usage written on
// Close.
func TestMiddlewareInProcess(t *testing.T) {
	pomeSrv := pometest.NewServer(t, pometest.WithNow(time.Now))
	alice := pomeSrv.Signup(t, "alice@example.com")
	dev := pomeSrv.CreateKeyWith(t, alice, `{"name":"ci","role":"developer"}`)
	viewer := pomeSrv.CreateKeyWith(t, alice, `{"name":"ro","role":"viewer"}`)

	auth, err := inprocess.New(t.Context(), inprocess.Config{DataDir: filepath.Dir(pomeSrv.DB.Path())})
	if err != nil {
		t.Fatalf("inprocess.New = %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			auth.Close()
		}
	})
	srv, hits := app(t, auth.Middleware)

	t.Run("valid", func(t *testing.T) {
		a := send(t, "POST", srv.URL+"/orders", dev.Key)
		if a.status != 200 || a.id.KeyID != dev.ID || a.id.Role != "developer" || a.id.UserEmail != "alice@example.com" || a.id.TeamSlug != "alice" || a.id.PlanTier != "free" {
			t.Errorf("answer = %d %+v, want 200 with the key's identity", a.status, a.id)
		}
	})
	t.Run("viewer reads", func(t *testing.T) {
		if a := send(t, "GET", srv.URL+"/orders", viewer.Key); a.status != 200 || a.id.Role != "viewer" {
			t.Errorf("viewer GET = %d %+v, want 200", a.status, a.id)
		}
	})
	before := hits.Load()
	t.Run("viewer may not write", func(t *testing.T) {
		wantRefused(t, send(t, "DELETE", srv.URL+"/orders/1", viewer.Key), 403, "insufficient_permissions")
	})
	t.Run("missing", func(t *testing.T) { wantRefused(t, send(t, "GET", srv.URL+"/", ""), 401, "missing_api_key") })
	t.Run("malformed", func(t *testing.T) { wantRefused(t, send(t, "GET", srv.URL+"/", "pme_nope"), 401, "invalid_api_key") })
	t.Run("unknown", func(t *testing.T) {
		unknown, _ := pome.DefaultKeyFormat.Generate()
		wantRefused(t, send(t, "GET", srv.URL+"/", unknown), 401, "invalid_api_key")
	})
	t.Run("revoked on the next request", func(t *testing.T) {
		if r := pomeSrv.Do(t, alice, "DELETE", "/api/keys/"+dev.ID, nil, ""); r.Status != 200 {
			t.Fatalf("revoke = %d", r.Status)
		}
		if err := auth.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, send(t, "GET", srv.URL+"/", dev.Key), 403, "key_revoked")
	})
	if hits.Load() != before {
		t.Errorf("refused requests reached the handler: %d", hits.Load()-before)
	}
	t.Run("usage written on Close", func(t *testing.T) {
		closed = true
		if err := auth.Close(); err != nil {
			t.Fatal(err)
		}
		var list struct {
			Keys []struct {
				ID         string `json:"id"`
				UsageCount int64  `json:"usage_count"`
			} `json:"keys"`
		}
		pomeSrv.Do(t, alice, "GET", "/api/keys?status=all", nil, "").DecodeJSON(t, &list)
		usage := map[string]int64{}
		for _, k := range list.Keys {
			usage[k.ID] = k.UsageCount
		}
		if usage[dev.ID] != 1 || usage[viewer.ID] != 1 {
			t.Errorf("usage = %v, want 1 for each key", usage)
		}
	})
}

// The per-key plan limit and the per-IP failure limit apply as in Pome.
func TestMiddlewareLimits(t *testing.T) {
	pomeSrv := pometest.NewServer(t, pometest.WithNow(time.Now))
	alice := pomeSrv.Signup(t, "alice@example.com")
	key := pomeSrv.CreateKey(t, alice, "ci")
	auth, err := inprocess.New(t.Context(), inprocess.Config{
		DataDir:               filepath.Dir(pomeSrv.DB.Path()),
		PlanLimits:            map[string]int{pome.PlanFree: 2},
		AuthFailuresPerMinute: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { auth.Close() })
	srv, _ := app(t, auth.Middleware)
	for i := range 2 {
		if a := send(t, "GET", srv.URL, key); a.status != 200 || a.header.Get("X-Ratelimit-Limit") != "2" {
			t.Fatalf("request %d = %d, X-RateLimit-Limit %q; want 200, 2", i+1, a.status, a.header.Get("X-Ratelimit-Limit"))
		}
	}
	wantRefused(t, send(t, "GET", srv.URL, key), 429, "rate_limit_exceeded")
	wantRefused(t, send(t, "GET", srv.URL, "pme_bad"), 401, "invalid_api_key")
	wantRefused(t, send(t, "GET", srv.URL, "pme_bad"), 401, "invalid_api_key")
	wantRefused(t, send(t, "GET", srv.URL, "pme_bad"), 429, "rate_limit_exceeded")
}

// Behind a trusted proxy, failed authentications count against the client
// it names in X-Forwarded-For, each client on its own; from an untrusted
// peer the header is ignored. (The test's client, on loopback, plays the
// proxy.)
func TestMiddlewareTrustedProxies(t *testing.T) {
	pomeSrv := pometest.NewServer(t, pometest.WithNow(time.Now))
	for _, c := range []struct {
		name     string
		proxies  []netip.Prefix
		second   int    // client B's first failure
		secondIs string // its code
	}{
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, 401, "invalid_api_key"},
		{"untrusted peer", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, 429, "rate_limit_exceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			auth, err := inprocess.New(t.Context(), inprocess.Config{
				DataDir:               filepath.Dir(pomeSrv.DB.Path()),
				AuthFailuresPerMinute: 1,
				TrustedProxies:        c.proxies,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { auth.Close() })
			srv, _ := app(t, auth.Middleware)
			wantRefused(t, send(t, "GET", srv.URL, "pme_bad", "X-Forwarded-For", "198.51.100.1"), 401, "invalid_api_key")
			wantRefused(t, send(t, "GET", srv.URL, "pme_bad", "X-Forwarded-For", "198.51.100.2"), c.second, c.secondIs)
			wantRefused(t, send(t, "GET", srv.URL, "pme_bad", "X-Forwarded-For", "198.51.100.1"), 429, "rate_limit_exceeded")
		})
	}
}

// The same middleware on a PostgreSQL deployment, revocation included.
func TestMiddlewarePostgres(t *testing.T) {
	dsn := testenv.FreshSchema(t)
	store, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	accounts := account.New(store, account.Config{SignupOpen: true, HashConcurrency: 1, PasswordCost: pometest.PasswordCost}, time.Now)
	u, err := accounts.CreateUser(t.Context(), "alice@example.com", "correct horse battery", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	m, err := accounts.Member(t.Context(), u, "")
	if err != nil {
		t.Fatal(err)
	}
	keys := apikey.New(store, pome.DefaultKeyFormat, apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Minute, time.Now), time.Now)
	name := "ci"
	k, err := keys.Create(t.Context(), m, apikey.CreateParams{Name: &name})
	if err != nil {
		t.Fatal(err)
	}

	auth, err := inprocess.New(t.Context(), inprocess.Config{DatabaseURL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { auth.Close() })
	srv, _ := app(t, auth.Middleware)
	if a := send(t, "GET", srv.URL, k.Plaintext); a.status != 200 || a.id.TeamSlug != "acme" || a.id.Role != "owner" {
		t.Fatalf("GET = %d %+v, want 200 for team acme", a.status, a.id)
	}
	if _, err := keys.Revoke(t.Context(), m, k.Key.ID); err != nil {
		t.Fatal(err)
	}
	if err := auth.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, send(t, "GET", srv.URL, k.Plaintext), 403, "key_revoked")
}

// The remote middleware, through a real Pome server's verify endpoint.
func TestMiddlewareRemote(t *testing.T) {
	pomeSrv, token, alice, dev := pomeWithToken(t)
	viewer := pomeSrv.CreateKeyWith(t, alice, `{"name":"ro","role":"viewer"}`)

	remote := pomeauth.NewRemote(pomeSrv.URL, token.Plaintext, pomeSrv.HTTP.Client())
	srv, hits := app(t, remote.Middleware)
	if a := send(t, "PUT", srv.URL+"/orders/1", dev.Key); a.status != 200 || a.id.KeyID != dev.ID || a.id.Role != "developer" || a.id.TeamSlug != "alice" {
		t.Errorf("PUT = %d %+v, want 200 with the key's identity", a.status, a.id)
	}
	before := hits.Load()
	wantRefused(t, send(t, "PUT", srv.URL+"/orders/1", viewer.Key), 403, "insufficient_permissions")
	wantRefused(t, send(t, "GET", srv.URL, ""), 401, "missing_api_key")
	wantRefused(t, send(t, "GET", srv.URL, "pme_nope"), 401, "invalid_api_key")
	pomeSrv.Do(t, alice, "DELETE", "/api/keys/"+dev.ID, nil, "")
	wantRefused(t, send(t, "GET", srv.URL, dev.Key), 403, "key_revoked")

	// A refused service token fails closed.
	bad := pomeauth.NewRemote(pomeSrv.URL, dev.Key, pomeSrv.HTTP.Client())
	badSrv, _ := app(t, bad.Middleware)
	wantRefused(t, send(t, "GET", badSrv.URL, viewer.Key), 503, "service_unavailable")
	if hits.Load() != before {
		t.Errorf("refused requests reached the handler: %d", hits.Load()-before)
	}
	res, err := remote.Verify(t.Context(), viewer.Key, pomeauth.Read)
	if err != nil || !res.Valid || res.Code != pomeauth.CodeValid || res.Identity.KeyID != viewer.ID {
		t.Errorf("Verify(viewer, read) = %+v, %v; want VALID", res, err)
	}
}

// The remote middlewares send the client's address and the scopes they
// require: a key's allowed_cidrs and scopes hold through them as on Pome's
// own surfaces, and the identity carries the key's policies.
func TestMiddlewareRemotePolicies(t *testing.T) {
	pomeSrv, token, alice, _ := pomeWithToken(t)
	here := pomeSrv.CreateKeyWith(t, alice, `{"name":"here","allowed_cidrs":["127.0.0.0/8","::1/128"],"scopes":["docs:*"],"environment":"test"}`)
	elsewhere := pomeSrv.CreateKeyWith(t, alice, `{"name":"elsewhere","allowed_cidrs":["10.0.0.0/8"],"scopes":["docs:*"]}`)
	unscoped := pomeSrv.CreateKeyWith(t, alice, `{"name":"unscoped"}`)

	remote := pomeauth.NewRemote(pomeSrv.URL, token.Plaintext, pomeSrv.HTTP.Client())
	srv, _ := app(t, remote.Require("docs:read"))
	a := send(t, "GET", srv.URL+"/docs", here.Key)
	if a.status != 200 || a.id.Environment != "test" || len(a.id.Scopes) != 1 || a.id.Scopes[0] != "docs:*" || string(a.id.Meta) != "{}" {
		t.Errorf("GET with a key allowed here = %d %+v, want 200 with its environment, scopes and meta", a.status, a.id)
	}
	wantRefused(t, send(t, "GET", srv.URL+"/docs", elsewhere.Key), 403, "ip_not_allowed")
	wantRefused(t, send(t, "GET", srv.URL+"/docs", unscoped.Key), 403, "insufficient_scope")
}
