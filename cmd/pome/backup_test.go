package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/testenv"
)

// TestBackupRestore protects docs/operations.md's backup and restore: a
// backup taken while a server runs and writes holds everything committed
// before it (also what is still only in the WAL), and a server started on
// a directory holding only the copy as pome.db finds every key as it was,
// revoked ones revoked, the usage counted, and the sessions.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	dir := t.TempDir()
	p := mustStartNode(t, bin, "--data-dir", dir)
	b := newBrowser(t)
	mustSignup(t, b, p.URL, "rita@example.com", "Rita Co")
	kept := mustCreateKey(t, b, p.URL, "kept")
	revoked := mustCreateKey(t, b, p.URL, "revoked")
	mustRevoke(t, b, p.URL, revoked.ID)
	busy := mustCreateKey(t, b, p.URL, "busy")
	const n = 9
	for i := range n {
		if r := getMeAs(t, p.URL, kept.Key); r.status != http.StatusOK {
			t.Fatalf("call %d: GET /v1/me = %d, want 200", i, r.status)
		}
	}
	waitFor(t, 10*time.Second, "the kept key's usage is flushed", func() bool {
		return mustListKeys(t, b, p.URL)[kept.ID].UsageCount == n
	})

	// The server goes on counting (and flushing) the busy key's requests
	// while the backup is made.
	var busyCalls atomic.Int64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest("GET", p.URL+"/v1/me", nil)
			req.Header.Set("X-API-KEY", busy.Key)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					busyCalls.Add(1)
				}
			}
		}
	}()
	backup := filepath.Join(t.TempDir(), "pome-backup.db")
	r := runCLI(t, nil, "", "admin", "backup", "--data-dir", dir, "--to", backup)
	close(stop)
	<-stopped
	if r.code != 0 {
		t.Fatalf("admin backup: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the backup: %v, %v; want a file of mode 0600", fi, err)
	}
	if err := p.mustStop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v\nstderr:\n%s", err, p.stderr)
	}

	restored := t.TempDir()
	testenv.CopyFile(t, backup, filepath.Join(restored, "pome.db"))
	p = mustStartNode(t, bin, "--data-dir", restored)
	t.Run("session", func(t *testing.T) {
		if got := call(t, b, "GET", p.URL+"/api/session", nil, nil); got != http.StatusOK {
			t.Errorf("GET /api/session = %d, want 200", got)
		}
	})
	t.Run("usage", func(t *testing.T) {
		keys := mustListKeys(t, b, p.URL)
		if got := keys[kept.ID].UsageCount; got != n {
			t.Errorf("kept key's usage_count = %d, want %d", got, n)
		}
		if got, max := keys[busy.ID].UsageCount, busyCalls.Load(); got < 0 || got > max {
			t.Errorf("busy key's usage_count = %d, want 0 to %d", got, max)
		}
	})
	t.Run("keys", func(t *testing.T) {
		for _, k := range []createdKey{kept, busy} {
			if r := getMeAs(t, p.URL, k.Key); r.status != http.StatusOK {
				t.Errorf("GET /v1/me with %s = %d, want 200", k.ID, r.status)
			}
		}
		if r := getMeAs(t, p.URL, revoked.Key); r.status != http.StatusForbidden || r.err.Error.Code != "key_revoked" {
			t.Errorf("GET /v1/me with the revoked key = %d %s, want 403 key_revoked", r.status, r.err.Error.Code)
		}
	})
}

// TestAdminBackup protects the refusals of `pome admin backup`: no --to, a
// PostgreSQL database (pg_dump's), a file that exists (unless --force, which
// the environment never sets), a directory without a database.
func TestAdminBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if r := runCLI(t, nil, testPassword+"\n", "admin", "--data-dir", dir, "user", "create", "--email", "tom@example.com"); r.code != 0 {
		t.Fatalf("user create: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	out := t.TempDir()
	existing := filepath.Join(out, "old.db")
	if err := os.WriteFile(existing, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no --to", nil, nil, 2, "--to is required"},
		{"postgres", nil, []string{"--to", filepath.Join(out, "pg.db"), "--database-url", "postgres://pome@db/pome"}, 2,
			`pg_dump --format=custom --file=FILE "$POME_DATABASE_URL"`},
		{"file exists", nil, []string{"--to", existing}, 1, existing + " exists: pass --force to replace it"},
		{"POME_FORCE is no --force", map[string]string{"POME_FORCE": "true"}, []string{"--to", existing}, 1, "pass --force"},
		{"no database", nil, []string{"--to", filepath.Join(out, "none.db"), "--data-dir", t.TempDir()}, 1, "no Pome database at"},
		{"force", nil, []string{"--to", existing, "--force"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", append([]string{"admin", "backup", "--data-dir", dir}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("admin backup %v: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
	// Only --force replaced the older file, with a whole database, and left
	// no temporary file behind.
	if names, _ := filepath.Glob(filepath.Join(out, "*")); len(names) != 1 {
		t.Errorf("files beside the backup: %v, want only it", names)
	}
	if _, err := pometest.OpenStore(t, existing).UserByEmail(t.Context(), "tom@example.com"); err != nil {
		t.Errorf("the backup written with --force: UserByEmail = %v", err)
	}
}
