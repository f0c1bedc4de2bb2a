package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/sqlite"
	"github.com/pomehq/pome/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) pome.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "pome.db"))
	})
}

// Nodes that share one file each open it, as processes on one machine
// would.
func TestCreditLedger(t *testing.T) {
	storetest.RunCreditLedger(t, func(t *testing.T, n int) []pome.Store {
		path := filepath.Join(t.TempDir(), "pome.db")
		stores := make([]pome.Store, n)
		for i := range stores {
			stores[i] = mustOpen(t, path)
		}
		return stores
	})
}

// mustOpen opens the database at path and closes it when the test ends.
func mustOpen(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q) = %v, want nil", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rawDB opens the file with the driver directly, to look at what the store
// wrote (never to seed it).
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("sql.Open(%q) = %v", path, err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestMigrations(t *testing.T) {
	t.Run("recorded, and re-open is a no-op", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pome.db")
		db := mustOpen(t, path)
		if err := db.Close(); err != nil {
			t.Fatalf("Close() = %v, want nil", err)
		}
		raw := rawDB(t, path)
		versions := func() map[string]int64 {
			t.Helper()
			rows, err := raw.Query(`SELECT version, applied_at FROM schema_migrations`)
			if err != nil {
				t.Fatalf("query schema_migrations: %v", err)
			}
			defer rows.Close()
			m := map[string]int64{}
			for rows.Next() {
				var v string
				var at int64
				if err := rows.Scan(&v, &at); err != nil {
					t.Fatal(err)
				}
				m[v] = at
			}
			return m
		}
		first := versions()
		want := []string{"0001_init", "0002_members_audit", "0003_service_tokens", "0004_usage_pending", "0005_key_issued_to",
			"0006_service_token_scopes", "0007_team_external_id", "0008_key_pages", "0009_audit_token_actor",
			"0010_key_lifetime", "0011_key_policies", "0012_usage_outcomes", "0013_credits", "0014_sessions_password_resets",
			"0015_invitations", "0016_portal_sessions", "0017_key_replaced_by", "0018_key_canary", "0019_credits_base", "0020_webhooks", "0021_key_usage"}
		if len(first) != len(want) {
			t.Fatalf("schema_migrations = %v, want exactly %v", first, want)
		}
		for _, v := range want {
			if _, ok := first[v]; !ok {
				t.Fatalf("schema_migrations = %v, want exactly %v", first, want)
			}
		}
		mustOpen(t, path).Close()
		if second := versions(); !maps.Equal(second, first) {
			t.Errorf("schema_migrations after re-open = %v, want %v", second, first)
		}
	})

	// 0002 rebuilds the change log: a database of the first release keeps
	// its entries, and no sequence number is handed out twice, not even one
	// whose row was deleted (pollers remember the last one they saw).
	t.Run("0002 keeps the change log and its sequence", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pome.db")
		raw := rawDB(t, path)
		init, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`CREATE TABLE schema_migrations (version TEXT NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`,
			string(init),
			`INSERT INTO schema_migrations VALUES ('0001_init', 1)`,
			`INSERT INTO changes (kind, team_id, key_id, at) VALUES ('key_revoked', 'tm_a', 'key_a', 1), ('team_updated', 'tm_a', '', 2), ('team_updated', 'tm_b', '', 3)`,
			`DELETE FROM changes WHERE seq = 3`,
		} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("seed a 0001 database: %v", err)
			}
		}
		raw.Close()
		db := mustOpen(t, path)
		cs, err := db.Changes(t.Context(), 0, 10)
		if err != nil || len(cs) != 2 || cs[0].Seq != 1 || cs[0].KeyID != "key_a" || cs[1].Seq != 2 || cs[1].Kind != pome.ChangeTeamUpdated {
			t.Fatalf("Changes(0, 10) after 0002 = %+v, %v, want the two entries of 0001", cs, err)
		}
		u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "h", CreatedAt: time.Now()}
		tm := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: u.CreatedAt}
		if err := db.CreateUserWithTeam(t.Context(), u, tm, sysEvent(pome.AuditSignup)); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateTeam(t.Context(), pome.Team{ID: tm.ID, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, time.Now(), sysEvent(pome.AuditTeamBanned)); err != nil {
			t.Fatal(err)
		}
		if seq, err := db.LastChange(t.Context()); err != nil || seq != 4 {
			t.Errorf("LastChange() after a new entry = %d, %v, want 4 (3 was used before 0002)", seq, err)
		}
	})
}

// The audit log is append-only in the schema itself, not only by habit.
func TestAuditAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pome.db")
	db := mustOpen(t, path)
	u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "h", CreatedAt: time.Now()}
	tm := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: u.CreatedAt}
	if err := db.CreateUserWithTeam(t.Context(), u, tm, sysEvent(pome.AuditSignup)); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	for _, q := range []string{
		`UPDATE audit_events SET action = 'forged'`,
		`DELETE FROM audit_events`,
	} {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s = %v, want the append-only error", q, err)
		}
	}
}

func TestDurability(t *testing.T) {
	t.Run("data survives Close and re-Open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pome.db")
		db := mustOpen(t, path)
		ctx := t.Context()
		u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "h", CreatedAt: time.UnixMilli(1e12).UTC()}
		tm := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: u.CreatedAt}
		if err := db.CreateUserWithTeam(ctx, u, tm, sysEvent(pome.AuditSignup)); err != nil {
			t.Fatalf("CreateUserWithTeam = %v", err)
		}
		k := pome.Key{ID: pome.NewID("key_"), TeamID: tm.ID, CreatedBy: u.ID, Name: "ci", Prefix: "pme_x",
			Digest: pome.DigestOf("k"), Role: pome.RoleOwner, CreatedAt: u.CreatedAt}
		if err := db.CreateKey(ctx, k, sysEvent(pome.AuditKeyCreated)); err != nil {
			t.Fatalf("CreateKey = %v", err)
		}
		if _, err := db.RevokeKey(ctx, tm.ID, k.ID, u.CreatedAt.Add(time.Hour), sysEvent(pome.AuditKeyRevoked)); err != nil {
			t.Fatalf("RevokeKey = %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close() = %v, want nil", err)
		}
		db = mustOpen(t, path)
		o, err := db.KeyByDigest(ctx, k.Digest)
		if err != nil || o.User.Email != u.Email || o.Key.RevokedAt == nil {
			t.Errorf("KeyByDigest after re-open = %+v, %v, want the revoked key of %s", o, err, u.Email)
		}
		if seq, err := db.LastChange(ctx); err != nil || seq != 1 {
			t.Errorf("LastChange() after re-open = %d, %v, want 1", seq, err)
		}
	})
}

func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pome.db")
	mustOpen(t, path)
	raw := rawDB(t, path)
	t.Run("WAL mode", func(t *testing.T) {
		var mode string
		if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v, want wal", mode, err)
		}
	})
	t.Run("foreign keys enforced", func(t *testing.T) {
		// A key of a team that does not exist must be refused by the schema.
		db := mustOpen(t, path)
		k := pome.Key{ID: pome.NewID("key_"), TeamID: pome.NewID("tm_"), CreatedBy: pome.NewID("usr_"),
			Name: "orphan", Prefix: "pme_x", Digest: pome.DigestOf("orphan"), Role: pome.RoleViewer, CreatedAt: time.Now()}
		if err := db.CreateKey(t.Context(), k, sysEvent(pome.AuditKeyCreated)); err == nil {
			t.Errorf("CreateKey(key of unknown team) = nil, want a foreign key error")
		}
	})
}

func TestUnavailable(t *testing.T) {
	wantUnavailable := func(t *testing.T, call string, err error) {
		t.Helper()
		if pe := pome.AsError(err); pe.Kind != pome.Unavailable || !errors.Is(err, pome.ErrUnavailable) {
			t.Errorf("%s = %v (kind %v), want an Unavailable *pome.Error", call, err, pe.Kind)
		}
	}
	t.Run("closed store", func(t *testing.T) {
		db := mustOpen(t, filepath.Join(t.TempDir(), "pome.db"))
		db.Close()
		wantUnavailable(t, "Ping()", db.Ping(t.Context()))
		_, err := db.KeyByDigest(t.Context(), pome.DigestOf("x"))
		wantUnavailable(t, "KeyByDigest()", err)
		wantUnavailable(t, "AddUsage()", db.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: "key_x", Outcomes: pome.OutcomeCounts{1}, At: time.Now(), LastUsed: time.Now()}}))
		if err := db.Close(); err != nil {
			t.Errorf("second Close() = %v, want nil", err)
		}
	})
	t.Run("directory removed under a running store", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		db := mustOpen(t, filepath.Join(dir, "pome.db"))
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		wantUnavailable(t, "Ping()", db.Ping(t.Context()))
		// A write to an unlinked file would be lost: SQLite refuses it.
		u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "h", CreatedAt: time.Now()}
		tm := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: u.CreatedAt}
		wantUnavailable(t, "CreateUserWithTeam()", db.CreateUserWithTeam(t.Context(), u, tm, sysEvent(pome.AuditSignup)))
	})
	t.Run("directory missing at Open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "pome.db")
		_, err := sqlite.Open(t.Context(), path)
		wantUnavailable(t, "Open(missing dir)", err)
	})
}

func TestPath(t *testing.T) {
	// URI-special characters in the path must reach SQLite as a file name.
	dir := filepath.Join(t.TempDir(), "my data #1 ?x=%20")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pome.db")
	if got := mustOpen(t, path).Path(); got != path {
		t.Errorf("Path() = %q, want %q", got, path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file %q: %v", path, err)
	}
}

// Two stores on one file stand for a server and `pome admin` writing at the
// same time: BEGIN IMMEDIATE and the busy timeout must serialize them without
// a "database is locked" error.
func TestTwoProcessesWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pome.db")
	server, admin := mustOpen(t, path), mustOpen(t, path)
	ctx := t.Context()
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "h", CreatedAt: created}
	tm := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: created}
	if err := server.CreateUserWithTeam(ctx, u, tm, sysEvent(pome.AuditSignup)); err != nil {
		t.Fatalf("CreateUserWithTeam = %v", err)
	}
	k := pome.Key{ID: pome.NewID("key_"), TeamID: tm.ID, CreatedBy: u.ID, Name: "ci", Prefix: "pme_x",
		Digest: pome.DigestOf("k"), Role: pome.RoleOwner, CreatedAt: created}
	if err := server.CreateKey(ctx, k, sysEvent(pome.AuditKeyCreated)); err != nil {
		t.Fatalf("CreateKey = %v", err)
	}
	const n = 50
	errs := make(chan error, n)
	for i := range n {
		go func() {
			if i%2 == 0 {
				errs <- server.AddUsage(ctx, []pome.UsageDelta{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{1}, At: created, LastUsed: created}})
			} else {
				errs <- admin.UpdateTeam(ctx, pome.Team{ID: tm.ID, Status: pome.TeamActive, PlanTier: pome.PlanPro}, created, sysEvent(pome.AuditTeamPlanChanged))
			}
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent write from two stores = %v, want nil", err)
		}
	}
	got, err := admin.KeyByID(ctx, tm.ID, k.ID)
	if err != nil || got.UsageCount != n/2 {
		t.Errorf("KeyByID(%q) = usage %d, %v, want %d", k.ID, got.UsageCount, err, n/2)
	}
}

// sysEvent is an audit event by the system actor, for seeding.
func sysEvent(action string) pome.AuditEvent {
	ev := pome.NewAuditEvent(context.Background(), action, time.Now())
	ev.ActorType = pome.ActorSystem
	return ev
}

func TestSeedAccounts(t *testing.T) {
	storetest.RunSeed(t, func(t *testing.T) storetest.Seeder {
		return mustOpen(t, filepath.Join(t.TempDir(), "pome.db"))
	})
}
