package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

// BenchmarkMe is GET /v1/me end to end through the handler (every
// middleware, verification from the cache, metering), without the network.
func BenchmarkMe(b *testing.B) {
	s := pometest.NewServer(b)
	c := s.Signup(b, "bench@example.com")
	key := s.CreateKey(b, c, "bench")
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
}
