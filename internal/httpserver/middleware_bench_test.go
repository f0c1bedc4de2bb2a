package httpserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkMiddleware is the cost per request of each observability
// middleware around a handler that writes a small body: none, the metrics,
// no access log, and the access log as `pome serve` writes it (here to
// io.Discard), so that
// docs/performance.md can say what the log line and the metrics cost.
func BenchmarkMiddleware(b *testing.B) {
	body := []byte(`{"ok":true}` + "\n")
	var inner http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /v1/me", inner)
	m := newMetrics(prometheus.NewRegistry(), []string{"GET /v1/me"})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"none", requestID(mux)},
		{"metrics", requestID(m.middleware(mux))},
		{"access_log_off", requestID(accessLog(nil, nil)(mux))},
		{"access_log_json", requestID(accessLog(io.Discard, nil)(mux))},
		{"metrics+access_log_json", requestID(accessLog(io.Discard, nil)(m.middleware(mux)))},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/v1/me", nil)
			w := &discardWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, req)
			}
		})
	}
}
