package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// BenchmarkMe is GET /v1/me end to end through the handler (every
// middleware, verification from the cache, metering), without the network:
// with the default limits (the key unlimited: SPEC §6's default), with a
// per-key plan limit that is never reached, and with no limiter at all.
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
	} {
		b.Run(c.name, func(b *testing.B) {
			s := pometest.NewServer(b, c.opts...)
			cl := s.Signup(b, "bench@example.com")
			key := s.CreateKey(b, cl, "bench")
			req := httptest.NewRequest("GET", "/v1/me", nil)
			req.Header.Set("X-API-KEY", key)
			s.Handler.ServeHTTP(httptest.NewRecorder(), req) // warm the cache

			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.Handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET /v1/me status = %d, want %d", rec.Code, http.StatusOK)
				}
			}
		})
	}
}
