package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/testenv"
)

// proc is the pome binary running `serve` as its own process.
type proc struct {
	cmd    *exec.Cmd
	URL    string
	stderr *syncBuffer
	done   chan error
}

// builtPome is the pome binary the tests of the package share: built once,
// on first use, and removed by TestMain.
var builtPome struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// mustBuild returns the pome binary, built on the first call (with the race
// detector when this test runs under it); every later call, from any test,
// waits for that build and shares it.
func mustBuild(t *testing.T) string {
	t.Helper()
	builtPome.once.Do(func() {
		builtPome.dir, builtPome.err = os.MkdirTemp("", "pome-test-bin-")
		if builtPome.err != nil {
			return
		}
		builtPome.bin = filepath.Join(builtPome.dir, "pome")
		args := []string{"build", "-o", builtPome.bin}
		if testenv.RaceEnabled {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
			builtPome.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if builtPome.err != nil {
		t.Fatal(builtPome.err)
	}
	return builtPome.bin
}

// TestMain removes the binary mustBuild built, once every test is done.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtPome.dir != "" {
		os.RemoveAll(builtPome.dir)
	}
	os.Exit(code)
}

// mustStartNode runs `pome serve` on 127.0.0.1:0 with args, as its own
// process, and waits until /healthz answers. The process is killed when the
// test ends if still alive. Only PATH and HOME reach it: no POME_* variable
// of the test's own environment may change what it runs.
func mustStartNode(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{stderr: &syncBuffer{}, done: make(chan error, 1)}
	stdout := &syncBuffer{}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--signup", "open"}, args...)...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	p.cmd.Stdout, p.cmd.Stderr = stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start pome: %v", err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-p.done:
			p.done <- err
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	waitFor(t, 30*time.Second, "pome prints its URL", func() bool {
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("pome exited before listening: %v\nstderr:\n%s", err, p.stderr)
		default:
		}
		m := listeningLine.FindStringSubmatch(stdout.String())
		if m != nil {
			p.URL = m[1]
		}
		return m != nil
	})
	mustBeHealthy(t, p.URL)
	return p
}

// mustStop sends sig and waits for the process to exit; it returns the exit
// error (nil for status 0).
func (p *proc) mustStop(t *testing.T, sig os.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("pome did not exit within 30s of %v\nstderr:\n%s", sig, p.stderr)
		return nil
	}
}

// TestProcessRestart protects docs/api.md across real process
// restarts: SIGTERM drains and flushes, so a restart sees every key, every
// revocation, every counted request and every session; kill -9 may lose
// usage counts but never an acknowledged key or revocation, nor a session.
func TestProcessRestart(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	dir := t.TempDir()
	b := newBrowser(t)

	p := mustStartNode(t, bin, "--data-dir", dir)
	mustSignup(t, b, p.URL, "frank@example.com", "Frank Inc")
	kept := mustCreateKey(t, b, p.URL, "kept")
	revoked := mustCreateKey(t, b, p.URL, "revoked")
	mustRevoke(t, b, p.URL, revoked.ID)
	const n = 17
	for i := range n {
		if r := getMeAs(t, p.URL, kept.Key); r.status != http.StatusOK {
			t.Fatalf("call %d: GET /v1/me = %d, want 200", i, r.status)
		}
	}

	t.Run("sigterm exits 0", func(t *testing.T) {
		if err := p.mustStop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0\nstderr:\n%s", err, p.stderr)
		}
	})

	p = mustStartNode(t, bin, "--data-dir", dir)
	t.Run("after sigterm", func(t *testing.T) {
		t.Run("session survives", func(t *testing.T) {
			if got := call(t, b, "GET", p.URL+"/api/session", nil, nil); got != http.StatusOK {
				t.Errorf("GET /api/session = %d, want 200", got)
			}
		})
		t.Run("usage count is exact", func(t *testing.T) {
			// Listed before the next calls, which would add to it.
			got := mustListKeys(t, b, p.URL)[kept.ID]
			if got.UsageCount != n || got.LastUsed == nil {
				t.Errorf("usage_count = %d, last_used = %v; want %d and set", got.UsageCount, got.LastUsed, n)
			}
		})
		t.Run("kept key works", func(t *testing.T) {
			if r := getMeAs(t, p.URL, kept.Key); r.status != http.StatusOK {
				t.Errorf("GET /v1/me with the kept key = %d, want 200", r.status)
			}
		})
		t.Run("revoked key stays revoked", func(t *testing.T) {
			r := getMeAs(t, p.URL, revoked.Key)
			if r.status != http.StatusForbidden || r.err.Error.Code != "key_revoked" {
				t.Errorf("GET /v1/me with the revoked key = %d %s, want 403 key_revoked", r.status, r.err.Error.Code)
			}
		})
	})

	// Both acknowledged with a 2xx, then the process dies without a chance
	// to flush or close anything.
	added := mustCreateKey(t, b, p.URL, "added")
	mustRevoke(t, b, p.URL, kept.ID)
	t.Run("kill -9", func(t *testing.T) {
		var exit *exec.ExitError
		if err := p.mustStop(t, syscall.SIGKILL); !errors.As(err, &exit) {
			t.Fatalf("exit after SIGKILL: %v, want killed", err)
		}
	})

	p = mustStartNode(t, bin, "--data-dir", dir)
	t.Run("after kill -9", func(t *testing.T) {
		t.Run("acknowledged key survives", func(t *testing.T) {
			if r := getMeAs(t, p.URL, added.Key); r.status != http.StatusOK {
				t.Errorf("GET /v1/me with the key created before the kill = %d, want 200", r.status)
			}
		})
		t.Run("acknowledged revocation survives", func(t *testing.T) {
			r := getMeAs(t, p.URL, kept.Key)
			if r.status != http.StatusForbidden || r.err.Error.Code != "key_revoked" {
				t.Errorf("GET /v1/me with the key revoked before the kill = %d %s, want 403 key_revoked", r.status, r.err.Error.Code)
			}
		})
		t.Run("session survives", func(t *testing.T) {
			if got := call(t, b, "GET", p.URL+"/api/session", nil, nil); got != http.StatusOK {
				t.Errorf("GET /api/session = %d, want 200", got)
			}
		})
	})
	t.Run("final sigterm exits 0", func(t *testing.T) {
		if err := p.mustStop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0\nstderr:\n%s", err, p.stderr)
		}
	})
	for _, k := range []string{kept.Key, revoked.Key, added.Key} {
		if strings.Contains(p.stderr.String(), k) {
			t.Errorf("server log holds a plaintext key")
		}
	}
}
