package pomeauth_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/testenv"
	"github.com/pomehq/pome/pomeauth/inprocess"
)

// meBody is what the benchmark's handler answers: /v1/me's size.
var meBody = []byte(`{"user":{"id":"usr_0123456789abcdef","email":"user0@example.com"},"team":{"id":"tm_0123456789abcdef","slug":"team-0","plan_tier":"pro"},"api_key":{"id":"key_0123456789abcdef","name":"key 0","prefix":"pme_aB3kPqXy","role":"developer"}}` + "\n")

var jsonType = []string{"application/json"}

// bareHandler is a service's own handler, which the middleware protects.
var bareHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = jsonType
	w.Write(meBody)
})

// fixture is a handler, a request with a key for it, and a writer.
type fixture struct {
	h   http.Handler
	req *http.Request
	key []string // the X-API-KEY header's value
	w   *pometest.Discard
}

// inProcessFixture is the in-process middleware around bareHandler on a
// Pome server's database, with a developer key (with keyJSON's policies)
// verified once, so cached.
func inProcessFixture(tb testing.TB, keyJSON string) *fixture {
	tb.Helper()
	pomeSrv := pometest.NewServer(tb)
	alice := pomeSrv.Signup(tb, "alice@example.com")
	key := pomeSrv.CreateKeyWith(tb, alice, keyJSON)
	auth, err := inprocess.New(tb.Context(), inprocess.Config{DataDir: filepath.Dir(pomeSrv.DB.Path())})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { auth.Close() })
	f := &fixture{h: auth.Middleware(bareHandler), req: httptest.NewRequest("GET", "/v1/orders", nil),
		key: []string{key.Key}, w: pometest.NewDiscard()}
	f.req.RemoteAddr = "127.0.0.1:40000"
	// Verified from the store once, cached from here on; and a key with
	// credits arms its lease twice what it spent since (no flush runs
	// here): settles at the 1st, 3rd, 9th ... 243rd and 729th use, so
	// that the 201 uses TestInProcessAllocs counts fall between two.
	for range 300 {
		f.serve(tb)
	}
	return f
}

// serve sends the request through the handler as net/http would a new
// request on the connection: its headers as the client sent them (the
// middleware replaces the credential with the identity), the writer's
// cleared.
func (f *fixture) serve(tb testing.TB) {
	f.w.Reset()
	clear(f.req.Header)
	f.req.Header["X-Api-Key"] = f.key
	f.h.ServeHTTP(f.w, f.req)
	if f.w.Status != 0 && f.w.Status != http.StatusOK {
		tb.Fatalf("status = %d, want 200", f.w.Status)
	}
}

// BenchmarkInProcessMiddleware is what pomeauth/inprocess adds to a
// service's handler for a cached key (docs/performance.md: at most 1 µs of
// CPU over the bare handler): the bare handler alone, then behind the
// middleware with a key of no policy and one with every policy.
func BenchmarkInProcessMiddleware(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		f := &fixture{h: bareHandler, req: httptest.NewRequest("GET", "/v1/orders", nil),
			key: []string{"pme_0"}, w: pometest.NewDiscard()}
		b.ReportAllocs()
		for b.Loop() {
			f.serve(b)
		}
	})
	for _, c := range []struct{ name, key string }{
		{"pomeauth", `{"name":"bench","role":"developer"}`},
		{"pomeauth_every_policy", everyPolicyKey},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := inProcessFixture(b, c.key)
			b.ReportAllocs()
			for b.Loop() {
				f.serve(b)
			}
		})
	}
}

// everyPolicyKey has every policy a request from 127.0.0.1 passes.
const everyPolicyKey = `{"name":"bench","role":"developer","scopes":["orders:read","docs:*"],"allowed_cidrs":["127.0.0.0/8"],` +
	`"meta":{"customer":"acme","tier":2},"rate_limit":{"limit":1000000000,"window_seconds":60},"credits":{"remaining":1000000000000}}`

// The in-process middleware's allocations for a cached key, guarded: the
// context Authorize runs under, the identity for the handler (its context,
// its meta, the request copy that carries it) and the identity headers'
// values (one array for all); with every policy, also the scopes' and
// meta's headers, the credits left (header and pointer) and the rate
// limit's headers.
func TestInProcessAllocs(t *testing.T) {
	if testenv.RaceEnabled {
		t.Skip("allocation counts are the race detector's, not the middleware's")
	}
	for _, c := range []struct {
		name, key string
		want      float64
	}{
		{"no policy", `{"name":"allocs","role":"developer"}`, 7},
		{"every policy", everyPolicyKey, 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := inProcessFixture(t, c.key)
			n := testing.AllocsPerRun(200, func() { f.serve(t) })
			if n > c.want {
				t.Errorf("the middleware allocates %.1f times a request, want at most %.0f", n, c.want)
			}
		})
	}
}
