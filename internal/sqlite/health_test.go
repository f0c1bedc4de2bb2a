package sqlite_test

import (
	"bytes"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
	"github.com/pomehq/pome/internal/testenv"
)

// fullDisk is the OS's VFS with a switch that makes every write to a file
// fail as on a full disk (ENOSPC, which the OS's VFS reports as
// SQLITE_FULL): SQLite itself meets the error, as it would with no space
// left, and rolls back the transaction that met it.
type fullDisk struct {
	vfs.VFSFilename
	full atomic.Bool
}

func (d *fullDisk) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	f, flags, err := d.VFSFilename.OpenFilename(name, flags)
	if err != nil {
		return nil, flags, err
	}
	return &fullFile{File: f, disk: d}, flags, nil
}

type fullFile struct {
	vfs.File
	disk *fullDisk
}

func (f *fullFile) WriteAt(p []byte, off int64) (int, error) {
	if f.disk.full.Load() {
		return 0, sqlite3.FULL
	}
	return f.File.WriteAt(p, off)
}

// SharedMemory keeps the WAL index of the file wrapped: WAL mode needs it.
func (f *fullFile) SharedMemory() vfs.SharedMemory {
	return f.File.(vfs.FileSharedMemory).SharedMemory()
}

// mustOpenFullDisk opens a store at path on a VFS whose disk the returned
// switch fills, logging to log.
func mustOpenFullDisk(t *testing.T, path string, log *slog.Logger) (*sqlite.DB, *atomic.Bool) {
	t.Helper()
	name := "pome-full-disk-" + t.Name()
	d := &fullDisk{VFSFilename: vfs.Find("os").(vfs.VFSFilename)}
	vfs.Register(name, d)
	t.Cleanup(func() { vfs.Unregister(name) })
	db, err := sqlite.Open(t.Context(), path, sqlite.WithVFS(name), sqlite.WithLog(log))
	if err != nil {
		t.Fatalf("Open(%q) = %v, want nil", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, &d.full
}

// lockedBuffer is a log's output, read while the log writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// On a full disk the writes that fail answer 503, /readyz answers 503
// disk_full, and the log says "disk full" once, however many writes fail;
// once space is freed /readyz finds it by itself (a node out of the load
// balancer may have nothing else to write) and writes succeed again.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	out := &lockedBuffer{}
	db, full := mustOpenFullDisk(t, filepath.Join(t.TempDir(), "pome.db"), slog.New(slog.NewTextHandler(out, nil)))
	s := pometest.NewServer(t, pometest.WithDB(db))
	owner := s.Signup(t, "alice@example.com")
	ready := func(t *testing.T, status int, code string) {
		t.Helper()
		r := s.Do(t, nil, "GET", "/readyz", nil, "")
		if r.Status != status || !strings.Contains(string(r.Body), code) {
			t.Fatalf("GET /readyz = %d %s, want %d %s", r.Status, r.Body, status, code)
		}
	}

	full.Store(true)
	for range 3 {
		r := s.Do(t, owner, "POST", "/api/keys", nil, `{"name":"k"}`)
		if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "service_unavailable") {
			t.Fatalf("POST /api/keys on a full disk = %d %s, want 503 service_unavailable", r.Status, r.Body)
		}
		ready(t, http.StatusServiceUnavailable, `"code":"disk_full"`)
	}
	if n := strings.Count(out.String(), "disk full"); n != 1 {
		t.Errorf("log says disk full %d times, want once:\n%s", n, out)
	}

	full.Store(false)
	ready(t, http.StatusOK, `"status":"ok"`)
	if n := strings.Count(out.String(), "disk no longer full"); n != 1 {
		t.Errorf("log says disk no longer full %d times, want once:\n%s", n, out)
	}
	s.CreateKey(t, owner, "after")
}

// A damaged file is refused at Open, with a message that says so; one
// damaged under a running store fails the requests that read its damaged
// pages with 503, as before, and from then on Ping too: a node whose
// database is damaged must leave the load balancer, not answer 503 to some
// of its requests for ever. The log says so once.
func TestDamagedFile(t *testing.T) {
	t.Parallel()
	// A store with keys, closed: every page is in the file.
	db, path, _, keys := usageSeed(t, 3)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wantDamaged := func(t *testing.T, call string, err error) {
		t.Helper()
		if !errors.Is(err, pome.ErrDatabaseDamaged) || pome.AsError(err).Kind != pome.Unavailable {
			t.Errorf("%s = %v, want ErrDatabaseDamaged", call, err)
		}
	}

	t.Run("refused at open", func(t *testing.T) {
		copied := filepath.Join(t.TempDir(), "pome.db")
		testenv.CopyFile(t, path, copied)
		pometest.DamageTable(t, copied, "api_keys")
		_, err := sqlite.Open(t.Context(), copied)
		wantDamaged(t, "Open(damaged copy)", err)
		if err == nil || !strings.Contains(err.Error(), "quick_check") || !strings.Contains(err.Error(), "restore it from a backup") {
			t.Errorf("Open(damaged copy) = %v, want the check's finding and what to do", err)
		}
	})
	t.Run("not a database", func(t *testing.T) {
		junk := filepath.Join(t.TempDir(), "pome.db")
		if err := os.WriteFile(junk, bytes.Repeat([]byte("not SQLite "), 100), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sqlite.Open(t.Context(), junk)
		wantDamaged(t, "Open(not a database)", err)
	})
	t.Run("found at run time", func(t *testing.T) {
		copied := filepath.Join(t.TempDir(), "pome.db")
		testenv.CopyFile(t, path, copied)
		out := &lockedBuffer{}
		db, err := sqlite.Open(t.Context(), copied, sqlite.WithLog(slog.New(slog.NewTextHandler(out, nil))))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Ping(t.Context()); err != nil {
			t.Fatalf("Ping() before the damage = %v, want nil", err)
		}
		pometest.DamageTable(t, copied, "api_keys")
		for range 2 {
			_, err := db.KeyByDigest(t.Context(), keys[0].Digest)
			if !errors.Is(err, pome.ErrUnavailable) {
				t.Errorf("KeyByDigest() on a damaged page = %v, want ErrUnavailable", err)
			}
		}
		wantDamaged(t, "Ping() after a damaged page was read", db.Ping(t.Context()))
		if n := strings.Count(out.String(), "database damaged"); n != 1 {
			t.Errorf("log says database damaged %d times, want once:\n%s", n, out)
		}
	})
}

// The files of a new database are readable by their owner only (they hold
// password hashes and key digests), the WAL and shared-memory files as the
// database file; an existing file keeps its mode, and a file or directory
// that others may read is logged at Open.
func TestFileModes(t *testing.T) {
	t.Parallel()
	modes := func(t *testing.T, path string) map[string]os.FileMode {
		t.Helper()
		m := map[string]os.FileMode{}
		for _, p := range []string{filepath.Dir(path), path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			m[filepath.Base(p)] = fi.Mode().Perm()
		}
		return m
	}
	tests := []struct {
		name       string
		dir, file  os.FileMode // 0: as Open makes it
		want       map[string]os.FileMode
		wantWarned []string
	}{
		{"new", 0o700, 0, map[string]os.FileMode{"data": 0o700, "pome.db": 0o600, "pome.db-wal": 0o600, "pome.db-shm": 0o600}, nil},
		{"open to others", 0o755, 0o644, map[string]os.FileMode{"data": 0o755, "pome.db": 0o644, "pome.db-wal": 0o644, "pome.db-shm": 0o644},
			[]string{"data", "data/pome.db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, tt.dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dir); err != nil { // whatever the umask
				t.Fatal(err)
			}
			path := filepath.Join(dir, "pome.db")
			if tt.file != 0 {
				mustOpen(t, path).Close()
				if err := os.Chmod(path, tt.file); err != nil {
					t.Fatal(err)
				}
			}
			out := &lockedBuffer{}
			db, err := sqlite.Open(t.Context(), path, sqlite.WithLog(slog.New(slog.NewTextHandler(out, nil))))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := modes(t, path); !maps.Equal(got, tt.want) {
				t.Errorf("modes = %v, want %v", got, tt.want)
			}
			warned := strings.Count(out.String(), "readable by other users")
			for _, name := range tt.wantWarned {
				if !strings.Contains(out.String(), filepath.Join(filepath.Dir(dir), name)) {
					t.Errorf("log does not name %s:\n%s", name, out)
				}
			}
			if warned != len(tt.wantWarned) {
				t.Errorf("log warns %d times, want %d:\n%s", warned, len(tt.wantWarned), out)
			}
		})
	}
}
