package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/storetest"
	"github.com/pomehq/pome/internal/testenv"
)

// baseURL is the test database, or the test is skipped (failed in CI):
// PostgreSQL tests run wherever POME_TEST_DATABASE_URL is set, and CI sets it.
func baseURL(t testing.TB) string {
	t.Helper()
	return testenv.DatabaseURL(t)
}

// mustConnect opens a plain connection, to look at what the store wrote
// (never to seed it); closed when the test ends.
func mustConnect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// mustOpen opens the store at dsn and closes it when the test ends.
func mustOpen(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open = %v, want nil", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	t.Parallel()
	baseURL(t)
	storetest.Run(t, func(t *testing.T) pome.Store {
		return mustOpen(t, testenv.FreshSchema(t))
	})
}

// Each node has a pool of its own on the one database.
func TestCreditLedger(t *testing.T) {
	t.Parallel()
	baseURL(t)
	storetest.RunCreditLedger(t, func(t *testing.T, n int) []pome.Store {
		dsn := testenv.FreshSchema(t)
		stores := make([]pome.Store, n)
		for i := range stores {
			stores[i] = mustOpen(t, dsn)
		}
		return stores
	})
}

func TestSeedAccounts(t *testing.T) {
	baseURL(t)
	storetest.RunSeed(t, func(t *testing.T) storetest.Seeder {
		return mustOpen(t, testenv.FreshSchema(t))
	})
}

// Both stores walk the same schema history: a migration added to one is
// added to the other under the same name.
func TestMigrationNames(t *testing.T) {
	t.Parallel()
	list := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	pg, lite := list("migrations"), list("../sqlite/migrations")
	if !slices.Equal(pg, lite) || len(pg) == 0 {
		t.Errorf("internal/postgres/migrations = %v, internal/sqlite/migrations = %v: want the same names", pg, lite)
	}
}

// Several nodes starting at once on a new database apply each migration
// once, and all of them open.
func TestMigrationsConcurrentOpen(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	const nodes = 5
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	dbs := make([]*postgres.DB, nodes)
	for i := range nodes {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(t.Context(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d of %d at once = %v, want nil", i, nodes, err)
			continue
		}
		dbs[i].Close()
	}
	raw := mustConnect(t, dsn)
	rows, err := raw.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0001_init", "0002_members_audit", "0003_service_tokens", "0004_usage_pending", "0005_key_issued_to",
		"0006_service_token_scopes", "0007_team_external_id", "0008_key_pages", "0009_audit_token_actor",
		"0010_key_lifetime", "0011_key_policies", "0012_usage_outcomes", "0013_credits", "0014_sessions_password_resets",
		"0015_invitations", "0016_portal_sessions", "0017_key_replaced_by", "0018_key_canary", "0019_credits_base", "0020_webhooks", "0021_key_usage"}
	if !slices.Equal(versions, want) {
		t.Errorf("schema_migrations = %v, want %v", versions, want)
	}
	// And opening again changes nothing.
	mustOpen(t, dsn).Close()
	var n int
	if err := raw.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(want) {
		t.Errorf("schema_migrations after a re-open: %d rows, %v; want %d", n, err, len(want))
	}
}

// The audit log is append-only in the schema itself, not only by habit.
func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	db := mustOpen(t, dsn)
	seed(t, db)
	raw := mustConnect(t, dsn)
	for _, q := range []string{
		`UPDATE audit_events SET action = 'forged'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
	} {
		if _, err := raw.Exec(t.Context(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s = %v, want the append-only error", q, err)
		}
	}
}

// An unreachable server is Unavailable (a 503 and /readyz failing), never an
// internal error; so is a store used after Close.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	baseURL(t)
	t.Run("nothing listens on the port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		_, err = postgres.Open(t.Context(), fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable&connect_timeout=2", port))
		if !errors.Is(err, pome.ErrUnavailable) {
			t.Errorf("Open(closed port) = %v, want ErrUnavailable", err)
		}
	})
	t.Run("a URL that does not parse does not echo it", func(t *testing.T) {
		_, err := postgres.Open(t.Context(), "postgres://user:s3cret@127.0.0.1:notaport/db")
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(bad URL) = %v, want an error without the password", err)
		}
	})
	t.Run("closed store", func(t *testing.T) {
		db := mustOpen(t, testenv.FreshSchema(t))
		a := seed(t, db)
		db.Close()
		for name, call := range map[string]func() error{
			"Ping":        func() error { return db.Ping(t.Context()) },
			"KeyByDigest": func() error { _, err := db.KeyByDigest(t.Context(), pome.DigestOf("x")); return err },
			"AddUsage": func() error {
				return db.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: "key_x", Outcomes: pome.OutcomeCounts{1}, At: time.Now(), LastUsed: time.Now()}})
			},
			"UpdateTeam": func() error {
				return db.UpdateTeam(t.Context(), pome.Team{ID: a.ID, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, time.Now(), sysEvent(pome.AuditTeamBanned))
			},
		} {
			if err := call(); !errors.Is(err, pome.ErrUnavailable) {
				t.Errorf("%s after Close = %v, want ErrUnavailable", name, err)
			}
		}
	})
	t.Run("the server ends the connections", func(t *testing.T) {
		app := "pome_test_" + strings.ToLower(rand.Text()[:8])
		db := mustOpen(t, testenv.FreshSchema(t)+"&application_name="+app)
		a := seed(t, db)
		raw := mustConnect(t, baseURL(t))
		// End every connection of the store's pool, as a restart of the
		// server or a failover would.
		var ended int
		if err := raw.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1`, app).Scan(&ended); err != nil || ended == 0 {
			t.Fatalf("ending the store's connections: %d ended, %v", ended, err)
		}
		// The pool notices dead connections and dials new ones: within a
		// few calls the store answers again, and no call in between is
		// anything but a success or Unavailable.
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := db.TeamBySlug(t.Context(), a.Slug)
			if err == nil {
				break
			}
			if !errors.Is(err, pome.ErrUnavailable) {
				t.Fatalf("TeamBySlug after the server ended the connections = %v, want nil or ErrUnavailable", err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("TeamBySlug still failing 10s after the connections ended: %v", err)
			}
		}
	})
}

// Every change-log entry wakes the followers of other nodes at once, through
// LISTEN/NOTIFY; a dropped LISTEN connection is replaced, and its return is
// signalled too, so that followers read what they may have missed. (Not
// parallel: the channel is the whole database's, so it runs alone in this
// package, before the parallel tests and their changes.)
func TestChangeSignal(t *testing.T) {
	dsn := testenv.FreshSchema(t)
	nodeA, nodeB := mustOpen(t, dsn), mustOpen(t, dsn)
	team := seed(t, nodeA)

	// waitSignal waits for ch to close. The first ChangeSignal starts the
	// listener, which signals once it listens.
	waitSignal := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no change signal within 5s", what)
		}
	}
	waitSignal("listener started", nodeB.ChangeSignal())

	t.Run("a change on another node", func(t *testing.T) {
		ch := nodeB.ChangeSignal()
		before, _ := nodeB.LastChange(t.Context())
		start := time.Now()
		if err := nodeA.UpdateTeam(t.Context(), pome.Team{ID: team.ID, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, time.Now(), sysEvent(pome.AuditTeamBanned)); err != nil {
			t.Fatal(err)
		}
		waitSignal("UpdateTeam on node A", ch)
		t.Logf("notification after %v", time.Since(start))
		if cs, err := nodeB.Changes(t.Context(), before, 10); err != nil || len(cs) != 1 || cs[0].Kind != pome.ChangeTeamUpdated {
			t.Errorf("node B Changes(%d) after the signal = %+v, %v, want the team_updated entry", before, cs, err)
		}
	})

	t.Run("a rolled-back change signals nothing", func(t *testing.T) {
		ch := nodeB.ChangeSignal()
		bad := pome.AuditEvent{Action: pome.AuditTeamBanned} // incomplete: the transaction fails
		if err := nodeA.UpdateTeam(t.Context(), pome.Team{ID: team.ID, Status: pome.TeamActive, PlanTier: pome.PlanFree}, time.Now(), bad); err == nil {
			t.Fatal("UpdateTeam(incomplete event) = nil, want an error")
		}
		select {
		case <-ch:
			// Another test package sharing the database may have
			// notified: only a change of this schema would be wrong.
			if cs, _ := nodeB.Changes(t.Context(), 1, 10); len(cs) != 0 {
				t.Errorf("a failed UpdateTeam left change-log entries %+v", cs)
			}
		case <-time.After(300 * time.Millisecond):
		}
	})

	t.Run("reconnect after the LISTEN connection is ended", func(t *testing.T) {
		pid := nodeB.ListenPID()
		if pid == 0 {
			t.Fatal("ListenPID() = 0 after listening")
		}
		ch := nodeB.ChangeSignal()
		raw := mustConnect(t, baseURL(t))
		if _, err := raw.Exec(t.Context(), `SELECT pg_terminate_backend($1)`, int32(pid)); err != nil {
			t.Fatal(err)
		}
		waitSignal("LISTEN connection re-established", ch)
		// The re-established connection relays again.
		deadline := time.Now().Add(5 * time.Second)
		for nodeB.ListenPID() == pid && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		ch = nodeB.ChangeSignal()
		if err := nodeA.UpdateTeam(t.Context(), pome.Team{ID: team.ID, Status: pome.TeamActive, PlanTier: pome.PlanPro}, time.Now(), sysEvent(pome.AuditTeamUnbanned)); err != nil {
			t.Fatal(err)
		}
		waitSignal("UpdateTeam after the reconnect", ch)
	})
}

// Change-log numbers commit in order, even when the transactions that
// append them overlap: a follower that reads up to a number never finds a
// lower one later. Many concurrent revocations while a follower reads the
// log as fast as it can; every entry must be seen, in order.
func TestChangesNeverSkipped(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	db := mustOpen(t, dsn)
	user, team := seedAccount(t, db)
	const n = 60
	keys := make([]pome.Key, n)
	for i := range keys {
		keys[i] = newKey(user, team, i)
		if err := db.CreateKey(t.Context(), keys[i], sysEvent(pome.AuditKeyCreated)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, stop := context.WithCancel(t.Context())
	seen := make(chan []int64, 1)
	go func() {
		var got []int64
		after := int64(0)
		for {
			// Judged before the read: only a read that began after every
			// writer returned may end the loop by finding nothing new.
			writersDone := ctx.Err() != nil
			cs, err := db.Changes(context.Background(), after, 1000)
			if err != nil {
				t.Error(err)
				break
			}
			for _, c := range cs {
				got = append(got, c.Seq)
				after = c.Seq
			}
			if writersDone && len(cs) == 0 {
				break
			}
		}
		seen <- got
	}()
	// A few writers at a time, each taking the next key: their
	// transactions still overlap, while the pool (defaultMaxConns) keeps a
	// connection free for the follower and no revocation queues behind 59
	// others long enough to meet callTimeout on a busy machine.
	const writers = 4
	next := make(chan pome.Key, n)
	for _, k := range keys {
		next <- k
	}
	close(next)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for k := range next {
				if _, err := db.RevokeKey(t.Context(), team.ID, k.ID, time.Now(), sysEvent(pome.AuditKeyRevoked)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	stop()
	got := <-seen
	if len(got) != n {
		t.Errorf("the follower saw %d entries, want %d (one skipped while its transaction was in flight)", len(got), n)
	}
}

// seed creates a user and their team through the store.
func seed(t testing.TB, db pome.Store) pome.Team {
	t.Helper()
	_, tm := seedAccount(t, db)
	return tm
}

func seedAccount(t testing.TB, db pome.Store) (pome.User, pome.Team) {
	t.Helper()
	now := time.Now()
	u := pome.User{ID: pome.NewID("usr_"), Email: strings.ToLower(rand.Text()[:8]) + "@example.com", PasswordHash: "h", CreatedAt: now}
	tm := pome.Team{ID: pome.NewID("tm_"), Slug: strings.ToLower(rand.Text()[:10]), Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: now}
	if err := db.CreateUserWithTeam(t.Context(), u, tm, sysEvent(pome.AuditSignup)); err != nil {
		t.Fatalf("CreateUserWithTeam = %v", err)
	}
	return u, tm
}

// newKey is an unsaved key of team, created by user.
func newKey(user pome.User, team pome.Team, i int) pome.Key {
	return pome.Key{ID: pome.NewID("key_"), TeamID: team.ID, CreatedBy: user.ID, Name: fmt.Sprint("k", i),
		Prefix: "pme_test", Digest: pome.DigestOf(pome.NewID("secret_")), Role: pome.RoleDeveloper, CreatedAt: time.Now()}
}

func sysEvent(action string) pome.AuditEvent {
	ev := pome.NewAuditEvent(context.Background(), action, time.Now())
	ev.ActorType = pome.ActorSystem
	return ev
}
