package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/testenv"
)

// TestServeDatabaseHung protects docs/deploy.md's PostgreSQL outage: while
// the database does not answer (a dropped route: the proxy between the
// server and PostgreSQL holds every byte), `pome serve` answers a key it
// has not cached, a management request and /readyz with 503
// service_unavailable within seconds, never 500 nor a hang; a cached key
// still works; and a SIGTERM still ends the server within the grace a
// deployment gives it.
func TestServeDatabaseHung(t *testing.T) {
	t.Parallel()
	dsn, proxy := testenv.ProxyURL(t, testenv.FreshSchema(t))
	s := mustServe(t, t.TempDir(), "--database-url", dsn)
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "hana@example.com", "Hana Co")
	cached, uncached := mustCreateKey(t, b, s.URL, "cached"), mustCreateKey(t, b, s.URL, "uncached")
	if r := getMeAs(t, s.URL, cached.Key); r.status != http.StatusOK {
		t.Fatalf("GET /v1/me = %d, want 200", r.status)
	}

	proxy.Stop()
	// Generous: a call on a request's path waits 2 s at most.
	c := &http.Client{Jar: b.Jar, Timeout: 5 * time.Second}
	for _, tc := range []struct {
		name, path, key string
		status          int
		code            string
	}{
		{"uncached key", "/v1/me", uncached.Key, http.StatusServiceUnavailable, "service_unavailable"},
		{"cached key", "/v1/me", cached.Key, http.StatusOK, ""},
		{"management request", "/api/keys", "", http.StatusServiceUnavailable, "service_unavailable"},
		{"readiness", "/readyz", "", http.StatusServiceUnavailable, "service_unavailable"},
	} {
		req, err := http.NewRequest("GET", s.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.key != "" {
			req.Header.Set("X-API-KEY", tc.key)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Errorf("%s: GET %s with the database hung: %v", tc.name, tc.path, err)
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e errorBody
		json.Unmarshal(raw, &e)
		if resp.StatusCode != tc.status || e.Error.Code != tc.code {
			t.Errorf("%s: GET %s with the database hung = %d %s, want %d %s", tc.name, tc.path, resp.StatusCode, raw, tc.status, tc.code)
		}
	}

	// The last usage flush gives up after 5 s; the store then cuts its
	// connections after 2 s: well within a 30 s termination grace. The
	// uses of the cached key could not be written: serve fails saying so.
	const stopWithin = 15 * time.Second
	start := time.Now()
	if err := s.stop(); err == nil || !strings.Contains(err.Error(), "lost 2 usage counts of 1 key(s)") {
		t.Fatalf("serve after cancel, the database hung: %v, want an error saying 2 counts were lost\nstderr:\n%s", err, s.stderr)
	}
	if took := time.Since(start); took > stopWithin {
		t.Errorf("serve took %v to stop with the database hung, want at most %v", took, stopWithin)
	}
}
