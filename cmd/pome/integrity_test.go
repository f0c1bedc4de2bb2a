package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

// TestServeDamagedDatabase protects docs/operations.md: a page of the
// database damaged under a running server fails the requests that read it
// (503) and /readyz too, with its reason, so that the node leaves the load
// balancer; the log says so once. A damaged database is then refused at
// start, with what to do.
func TestServeDamagedDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustServe(t, dir)
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "dora@example.com", "")
	key := mustCreateKey(t, b, s.URL, "never-used") // never read since: in no cache
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	s = mustServe(t, dir)
	pometest.DamageTable(t, filepath.Join(dir, "pome.db"), "api_keys")
	for range 2 {
		r := getMeAs(t, s.URL, key.Key)
		if r.status != http.StatusServiceUnavailable || r.err.Error.Code != "service_unavailable" {
			t.Fatalf("GET /v1/me reading a damaged page = %d %s, want 503 service_unavailable", r.status, r.err.Error.Code)
		}
	}
	var e errorBody
	if got := call(t, b, "GET", s.URL+"/readyz", nil, &e); got != http.StatusServiceUnavailable || e.Error.Code != "database_damaged" {
		t.Errorf("GET /readyz = %d %s, want 503 database_damaged", got, e.Error.Code)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(s.stderr.String(), `"msg":"database damaged`); n != 1 {
		t.Errorf("the log says the database is damaged %d times, want once:\n%s", n, s.stderr)
	}

	r := runCLI(t, nil, "", "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "The database is damaged: restore it from a backup (pome admin backup makes one)") {
		t.Errorf("serve on a damaged database: exit %d, stderr %q; want 1 and what to do", r.code, r.stderr)
	}
}
