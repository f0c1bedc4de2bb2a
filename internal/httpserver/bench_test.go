package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/testenv"
)

// BenchmarkMe is GET /v1/me end to end through the handler (every
// middleware, verification from the cache, metering), without the network:
// with the default limits (the key unlimited: the API's default), with a
// per-key plan limit that is never reached, with no limiter at all, with
// the access log written as `pome serve` writes it, to io.Discard (the
// others write none), and with it and a key with every policy.
func BenchmarkMe(b *testing.B) {
	plain := `{"name":"bench"}`
	for _, c := range []struct {
		name string
		opts []pometest.Option
		key  string
	}{
		{"unlimited", nil, plain},
		{"plan_limit", []pometest.Option{pometest.WithRules(func(r *ratelimit.Rules) {
			r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, 1<<30)
		})}, plain},
		{"no_limiter", []pometest.Option{pometest.WithoutRateLimits()}, plain},
		{"access_log_json", []pometest.Option{pometest.WithAccessLog(io.Discard)}, plain},
		// Every policy, all passed by httptest's client address, 192.0.2.1.
		{"every_policy", []pometest.Option{pometest.WithAccessLog(io.Discard)}, `{"name":"bench","scopes":["docs:read"],` +
			`"allowed_cidrs":["192.0.2.0/24"],"meta":{"plan":"gold"},"rate_limit":{"limit":1000000000,"window_seconds":60},` +
			`"credits":{"remaining":1000000000000}}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := pometest.NewServer(b, c.opts...)
			cl := s.Signup(b, "bench@example.com")
			key := s.CreateKeyWith(b, cl, c.key).Key
			req := httptest.NewRequest("GET", "/v1/me", nil)
			req.Header.Set("X-API-KEY", key)
			s.Handler.ServeHTTP(httptest.NewRecorder(), req) // warm the cache

			w := pometest.NewDiscard()
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				s.Handler.ServeHTTP(w, req)
				if w.Status != http.StatusOK {
					b.Fatalf("GET /v1/me status = %d, want %d", w.Status, http.StatusOK)
				}
			}
		})
	}
}

// GET /v1/me through the whole handler, key cached, allocates twice: the
// request id (its text and header slice in one object) and the response
// recorder (which is also the context the key is verified under). Nothing
// else on the path may allocate: not the gate, the limits, the meter, the
// body, the access log or finding the client behind a trusted proxy. A key
// with every policy adds one: its rate limit's header values
// (BenchmarkMe/plan_limit's too); its credits spend from the lease.
func TestMeAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun counts every goroutine's allocations.
	if testenv.RaceEnabled {
		t.Skip("allocation counts are the race detector's, not the handler's")
	}
	for _, c := range []struct {
		name string
		opts []pometest.Option
		key  string // the key's policies, as created
		want float64
	}{
		{"default limits", nil, `{"name":"allocs"}`, 2},
		{"access log", []pometest.Option{pometest.WithAccessLog(io.Discard)}, `{"name":"allocs"}`, 2},
		{"behind a trusted proxy", []pometest.Option{pometest.WithAccessLog(io.Discard), pometest.WithTrustedProxies(otherProxy)}, `{"name":"allocs"}`, 2},
		// Every policy a key can have, all passed: its address in the
		// allowed CIDRs, scopes, meta, a limit of its own and credits.
		{"every policy", []pometest.Option{pometest.WithAccessLog(io.Discard)}, `{"name":"allocs","scopes":["docs:read"],` +
			`"allowed_cidrs":["10.0.0.0/8"],"meta":{"plan":"gold"},"rate_limit":{"limit":1000000000,"window_seconds":60},` +
			`"credits":{"remaining":1000000000}}`, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := pometest.NewServer(t, c.opts...)
			key := s.CreateKeyWith(t, s.Signup(t, "allocs@example.com"), c.key).Key
			req := httptest.NewRequest("GET", "/v1/me", nil)
			req.Header.Set("X-API-KEY", key)
			req.RemoteAddr = "10.0.0.1:1234"
			req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
			// Warm the cache, and the credits' lease: with no flush (the
			// test server runs none), a lease arms twice what was spent
			// since, so the settles come at the 1st, 3rd, 9th ... 243rd
			// and 729th use; the 201 uses counted fall between.
			for range 300 {
				s.Handler.ServeHTTP(httptest.NewRecorder(), req)
			}
			w := pometest.NewDiscard()
			n := testing.AllocsPerRun(200, func() {
				w.Reset()
				s.Handler.ServeHTTP(w, req)
			})
			if w.Status != http.StatusOK {
				t.Fatalf("GET /v1/me status = %d, want 200", w.Status)
			}
			if n > c.want {
				t.Errorf("GET /v1/me allocates %.1f times a request, want at most %.0f", n, c.want)
			}
		})
	}
}
