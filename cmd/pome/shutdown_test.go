package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeShutdownLosesCounts protects docs/operations.md: when the final
// usage flush fails, and still fails when tried again, serve says how many
// counts were lost and fails (exit 1), rather than exit 0 as if nothing was.
// The database is made unwritable for real: pome.db moved away from under
// the server, whose writes are then refused.
func TestServeShutdownLosesCounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustServe(t, dir)
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "lou@example.com", "")
	key := mustCreateKey(t, b, s.URL, "k")
	if r := getMeAs(t, s.URL, key.Key); r.status != http.StatusOK {
		t.Fatalf("GET /v1/me = %d, want 200", r.status)
	}
	waitFor(t, 10*time.Second, "the first request's count is flushed", func() bool {
		return mustListKeys(t, b, s.URL)[key.ID].UsageCount == 1
	})
	if err := os.Rename(filepath.Join(dir, "pome.db"), filepath.Join(dir, "moved.db")); err != nil {
		t.Fatal(err)
	}
	const lost = 7
	for i := range lost { // answered from the verifier's cache, counted in memory
		if r := getMeAs(t, s.URL, key.Key); r.status != http.StatusOK {
			t.Fatalf("call %d: GET /v1/me = %d, want 200", i, r.status)
		}
	}
	err := s.stop()
	if exitCode(err) != 1 || !strings.Contains(err.Error(), fmt.Sprintf("failed 5 times; lost %d usage counts of 1 key(s)", lost)) {
		t.Errorf("serve after a failed final flush = %v (exit %d), want exit 1 and the counts lost", err, exitCode(err))
	}
	if !strings.Contains(s.stderr.String(), "final usage flush failed; retrying") {
		t.Errorf("log does not show the retries:\n%s", s.stderr)
	}
}

// TestProcessSIGHUP protects docs/operations.md: SIGHUP (a terminal closed,
// a supervisor's reload) stops `pome serve` as SIGTERM does, draining and
// flushing usage, exit 0: a restart finds every counted request. Its
// default action would kill the process with its last counts.
func TestProcessSIGHUP(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	dir := t.TempDir()
	p := mustStartNode(t, bin, "--data-dir", dir)
	b := newBrowser(t)
	mustSignup(t, b, p.URL, "hal@example.com", "")
	key := mustCreateKey(t, b, p.URL, "k")
	const n = 11
	for i := range n {
		if r := getMeAs(t, p.URL, key.Key); r.status != http.StatusOK {
			t.Fatalf("call %d: GET /v1/me = %d, want 200", i, r.status)
		}
	}
	if err := p.mustStop(t, syscall.SIGHUP); err != nil {
		t.Fatalf("exit after SIGHUP: %v, want status 0\nstderr:\n%s", err, p.stderr)
	}
	p = mustStartNode(t, bin, "--data-dir", dir)
	if got := mustListKeys(t, b, p.URL)[key.ID].UsageCount; got != n {
		t.Errorf("usage_count after SIGHUP and a restart = %d, want %d", got, n)
	}
}
