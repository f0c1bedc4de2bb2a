package node_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/node"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/testenv"
)

// A node opens the SQLite database of a data directory (creating it only
// when told to), verifies a key through its gate, and on Close writes the
// usage it counted before closing the store: nothing counted is lost.
func TestOpenVerifyClose(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := node.Open(t.Context(), node.Storage{DataDir: dir}, "", node.Config{}); err == nil {
		t.Fatal("Open(missing database, no Create) = nil, want an error: a mistyped directory is no new database")
	}
	n, err := node.Open(t.Context(), node.Storage{DataDir: dir, Create: true}, "", node.Config{SignupOpen: true})
	if err != nil {
		t.Fatal(err)
	}
	created := mustCreateKey(t, n, mustSignup(t, n))
	if err := n.Sync(t.Context()); err != nil {
		t.Fatalf("Sync = %v", err)
	}
	for range 3 {
		if _, err := n.Gate.Authorize(t.Context(), authz.Attempt{Key: created.Plaintext, Action: pome.ActionAPIRead}); err != nil {
			t.Fatalf("Authorize(new key) = %v", err)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := n.Sync(t.Context()); err == nil {
		t.Error("Sync after Close = nil, want an error")
	}

	store, err := node.OpenStore(t.Context(), node.Storage{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	k, err := store.KeyByID(t.Context(), created.Key.TeamID, created.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k.UsageCount != 3 {
		t.Errorf("usage after Close = %d, want 3", k.UsageCount)
	}
}

// mustSignup makes a user with a team of their own on n, and returns them
// as its owner.
func mustSignup(t *testing.T, n *node.Node) pome.Member {
	t.Helper()
	u, err := n.Accounts.CreateUser(t.Context(), "alice@example.com", "correct horse battery staple", "")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := n.Accounts.Memberships(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	return pome.Member{User: u, Team: ms[0].Team, Role: ms[0].Role}
}

// mustCreateKey makes a key of m on n.
func mustCreateKey(t *testing.T, n *node.Node, m pome.Member) apikey.Created {
	t.Helper()
	name := "k"
	c, err := n.Keys.Create(t.Context(), m, apikey.CreateParams{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A Redis URL that cannot be used is told apart, for the flag's message.
func TestBadRedisURL(t *testing.T) {
	t.Parallel()
	_, err := node.Open(t.Context(), node.Storage{DataDir: t.TempDir(), Create: true}, "redis://[::1", node.Config{})
	if !errors.Is(err, node.ErrRedisURL) {
		t.Errorf("Open(bad Redis URL) = %v, want ErrRedisURL", err)
	}
}

// go-redis's own log lines (its pool failing to dial) go to the node's log,
// as JSON like every other line, not as plain text on stderr. (go-redis has
// one logger per process, which the first node with Redis sets: this is the
// only test of the package that opens one.)
func TestRedisClientLog(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "redis://" + ln.Addr().String() + "/0"
	ln.Close()
	var log pometest.Log
	n, err := node.Open(t.Context(), node.Storage{DataDir: t.TempDir(), Create: true}, closed, node.Config{Log: log.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// Open pinged Redis, and go-redis logged that it could not dial.
	var found bool
	for _, rec := range log.Records(t, "Redis client") {
		detail, _ := rec["detail"].(string)
		found = found || strings.Contains(detail, "failed to dial")
	}
	if !found {
		t.Errorf("the node's log has no JSON line of go-redis's failure to dial:\n%s", log.String())
	}
}

// A database that cannot be opened says what is wrong with it, for the
// operator starting Pome, and not "Service temporarily unavailable", which
// is what a running server answers its callers.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	notDB := t.TempDir()
	if err := os.WriteFile(filepath.Join(notDB, "pome.db"), bytes.Repeat([]byte("not SQLite "), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	pg := testenv.DatabaseURL(t)
	hung, proxy := testenv.ProxyURL(t, pg)
	proxy.Stop()
	// with is rawURL changed by f.
	with := func(rawURL string, f func(*url.URL)) string {
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		f(u)
		return u.String()
	}
	for _, c := range []struct {
		name    string
		storage node.Storage
		want    string
	}{
		{"SQLite file that is not a database", node.Storage{DataDir: notDB}, "file is not a database"},
		{"PostgreSQL refusing connections", node.Storage{DatabaseURL: with(pg, func(u *url.URL) { u.Host = closed })},
			"connection refused"},
		{"PostgreSQL not answering", node.Storage{DatabaseURL: with(hung, func(u *url.URL) { u.RawQuery += "&connect_timeout=1" })},
			"timeout"},
		{"PostgreSQL without the database", node.Storage{DatabaseURL: with(pg, func(u *url.URL) { u.Path = "/no_such_database" })},
			`database "no_such_database" does not exist`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := node.Open(t.Context(), c.storage, "", node.Config{})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), pome.ErrUnavailable.Message) {
				t.Errorf("Open = %v, want an error saying %q, not %q", err, c.want, pome.ErrUnavailable.Message)
			}
		})
	}
}

// One data directory, one server: Lock makes the directory (0700), and a
// second Lock fails, naming the holder's pid, until the first is released
// (a flock: a second one fails in the same process too). PostgreSQL, which
// nodes share, takes none.
func TestLock(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s := node.Storage{DataDir: dir, Create: true}
	unlock, err := s.Lock()
	if err != nil {
		t.Fatalf("Lock() = %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir after Lock: %v, %v; want mode 0700", fi, err)
	}
	want := fmt.Sprintf("another pome serve is using %s (pid %d)", dir, os.Getpid())
	if _, err := s.Lock(); err == nil || err.Error() != want {
		t.Errorf("second Lock() = %v, want %q", err, want)
	}
	if err := unlock(); err != nil {
		t.Fatalf("unlock() = %v", err)
	}
	unlock, err = s.Lock()
	if err != nil {
		t.Fatalf("Lock() after unlock = %v, want nil", err)
	}
	unlock()

	pg := node.Storage{DatabaseURL: "postgres://pome@db/pome"}
	for range 2 {
		if _, err := pg.Lock(); err != nil {
			t.Errorf("PostgreSQL Lock() = %v, want nil", err)
		}
	}
}
