package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// benchWriter is a ResponseWriter that keeps nothing, reused across
// iterations, so that the allocations reported are the handler's own, not
// those of an httptest.ResponseRecorder.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkMe is GET /v1/me end to end through the handler (every
// middleware, verification from the cache, metering), without the network:
// with the default limits (the key unlimited: the API's default), with a
// per-key plan limit that is never reached, with no limiter at all, and with
// the access log written as `pome serve` writes it, to io.Discard (the
// others write none).
func BenchmarkMe(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []pometest.Option
	}{
		{"unlimited", nil},
		{"plan_limit", []pometest.Option{pometest.WithRules(func(r *ratelimit.Rules) {
			r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, 1<<30)
		})}},
		{"no_limiter", []pometest.Option{pometest.WithoutRateLimits()}},
		{"access_log_json", []pometest.Option{pometest.WithAccessLog(io.Discard)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := pometest.NewServer(b, c.opts...)
			cl := s.Signup(b, "bench@example.com")
			key := s.CreateKey(b, cl, "bench")
			req := httptest.NewRequest("GET", "/v1/me", nil)
			req.Header.Set("X-API-KEY", key)
			s.Handler.ServeHTTP(httptest.NewRecorder(), req) // warm the cache

			w := &benchWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				s.Handler.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					b.Fatalf("GET /v1/me status = %d, want %d", w.status, http.StatusOK)
				}
			}
		})
	}
}

// GET /v1/me through the whole handler, key cached, allocates twice: the
// request id (its text and header slice in one object) and the response
// recorder (which is also the context the key is verified under). Nothing
// else on the path may allocate: not the gate, the limits, the meter, the
// body, the access log or finding the client behind a trusted proxy.
func TestMeAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun counts every goroutine's allocations.
	if raceEnabled {
		t.Skip("allocation counts are the race detector's, not the handler's")
	}
	const want = 2
	for _, c := range []struct {
		name string
		opts []pometest.Option
	}{
		{"default limits", nil},
		{"access log", []pometest.Option{pometest.WithAccessLog(io.Discard)}},
		{"behind a trusted proxy", []pometest.Option{pometest.WithAccessLog(io.Discard), pometest.WithTrustedProxies(otherProxy)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := pometest.NewServer(t, c.opts...)
			key := s.CreateKey(t, s.Signup(t, "allocs@example.com"), "allocs")
			req := httptest.NewRequest("GET", "/v1/me", nil)
			req.Header.Set("X-API-KEY", key)
			req.RemoteAddr = "10.0.0.1:1234"
			req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
			s.Handler.ServeHTTP(httptest.NewRecorder(), req) // warm the cache
			w := &benchWriter{h: make(http.Header)}
			n := testing.AllocsPerRun(200, func() {
				clear(w.h)
				s.Handler.ServeHTTP(w, req)
			})
			if w.status != http.StatusOK {
				t.Fatalf("GET /v1/me status = %d, want 200", w.status)
			}
			if n > want {
				t.Errorf("GET /v1/me allocates %.1f times a request, want at most %d", n, want)
			}
		})
	}
}
