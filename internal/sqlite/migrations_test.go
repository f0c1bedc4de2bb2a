package sqlite_test

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/sqlite"
	"github.com/pomehq/pome/internal/storetest"
)

// undoMigration returns the undo of a storetest migration check on the
// database at path: it closes the store, runs stmts (which drop what the
// migration made), forgets version, and opens the database again, migrating.
func undoMigration(path, version string, stmts ...string) func(t *testing.T, s pome.Store) pome.Store {
	return func(t *testing.T, s pome.Store) pome.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, path)
		for _, q := range append(stmts, `DELETE FROM schema_migrations WHERE version = '`+version+`'`) {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("undo %s: %s: %v", version, q, err)
			}
		}
		raw.Close()
		return mustOpen(t, path)
	}
}

// 0005 finds in the audit log who was issued the keys rolled before it.
func TestIssuedToBackfill(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunIssuedToBackfill(t, mustOpen(t, path), undoMigration(path, "0005_key_issued_to",
		`DROP INDEX api_keys_issued_to`, `ALTER TABLE api_keys DROP COLUMN issued_to`))
}

// 0006 gives the tokens made before it the scope they had: keys:verify.
func TestScopesDefault(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunScopesDefault(t, mustOpen(t, path), undoMigration(path, "0006_service_token_scopes",
		`ALTER TABLE service_tokens DROP COLUMN scopes`))
}

// 0009 rebuilds the audit log: its events, their order and the next seq
// survive it.
func TestAuditTokenActor(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunAuditTokenActor(t, mustOpen(t, path), undoMigration(path, "0009_audit_token_actor"))
}

// 0010 gives the keys made before it the lifetime their expiry says.
func TestLifetimeBackfill(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunLifetimeBackfill(t, mustOpen(t, path), undoMigration(path, "0010_key_lifetime",
		`ALTER TABLE api_keys DROP COLUMN lifetime_ms`))
}

// undoUsageOutcomes drops what 0012 added and forgets it, so that it runs
// again after an earlier migration's undo.
func undoUsageOutcomes() []string {
	var stmts []string
	for _, c := range pome.UsageColumns[1:] {
		stmts = append(stmts, `ALTER TABLE usage_daily DROP COLUMN `+c, `ALTER TABLE usage_pending DROP COLUMN `+c)
	}
	return append(stmts, `ALTER TABLE usage_pending DROP COLUMN last_used_ip`,
		`ALTER TABLE api_keys DROP COLUMN last_used_ip`,
		`DELETE FROM schema_migrations WHERE version = '0012_usage_outcomes'`)
}

// 0011 rebuilds api_keys: run again on keys made before it (undo puts the
// table back as 0010 left it, foreign key to users included, and 0012 and
// 0021 run again after it), it keeps them, their usage and the usage_daily
// rows that reference them (TestMigrationKeepsUsage: with foreign keys on,
// dropping the old table would have deleted those rows).
func TestMigrationKeepsUsage(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunKeyPoliciesMigration(t, mustOpen(t, path), undoMigration(path, "0011_key_policies", append(append(undoKeyUsage(), undoUsageOutcomes()...),
		// What the migrations after 0012 made goes too (the rebuilt api_keys
		// lacks the columns of 0017, 0018 and 0019): they run again.
		`DROP TABLE credit_leases`,
		`DELETE FROM schema_migrations WHERE version = '0013_credits'`,
		`DELETE FROM schema_migrations WHERE version = '0017_key_replaced_by'`,
		`DELETE FROM schema_migrations WHERE version = '0018_key_canary'`,
		`DELETE FROM schema_migrations WHERE version = '0019_credits_base'`,
		`CREATE TABLE api_keys_old (
			id TEXT NOT NULL PRIMARY KEY,
			team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
			created_by TEXT NOT NULL REFERENCES users (id),
			name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', prefix TEXT NOT NULL,
			digest BLOB NOT NULL UNIQUE CHECK (length(digest) = 32),
			role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
			created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, last_used INTEGER,
			usage_count INTEGER NOT NULL DEFAULT 0, issued_to TEXT NOT NULL DEFAULT '',
			lifetime_ms INTEGER NOT NULL DEFAULT 0 CHECK (lifetime_ms >= 0)) STRICT`,
		`INSERT INTO api_keys_old SELECT id, team_id, created_by, name, description, prefix, digest, role,
			created_at, expires_at, revoked_at, last_used, usage_count, issued_to, lifetime_ms FROM api_keys`,
		`DROP TABLE api_keys`,
		`ALTER TABLE api_keys_old RENAME TO api_keys`,
		`CREATE INDEX api_keys_created_by ON api_keys (created_by)`,
		`CREATE INDEX api_keys_team_page ON api_keys (team_id, created_at, id)`,
		`CREATE INDEX api_keys_team_creator_page ON api_keys (team_id, created_by, created_at, id)`,
		`CREATE INDEX api_keys_issued_to ON api_keys (issued_to) WHERE issued_to <> ''`)...))
}

// undoKeyUsage puts the keys' folded usage back in api_keys, as before
// 0021, and forgets 0021, so that it runs again.
func undoKeyUsage() []string {
	return []string{
		`ALTER TABLE api_keys ADD COLUMN last_used INTEGER`,
		`ALTER TABLE api_keys ADD COLUMN usage_count INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE api_keys ADD COLUMN last_used_ip TEXT`,
		`UPDATE api_keys SET usage_count = u.usage_count, last_used = u.last_used, last_used_ip = u.last_used_ip
			FROM key_usage u WHERE u.key_id = api_keys.id`,
		`DROP TABLE key_usage`,
		`DELETE FROM schema_migrations WHERE version = '0021_key_usage'`,
	}
}

// 0021 moves the keys' folded usage, the last use's address included, out
// of api_keys into key_usage: the store answers the same about usage after
// it, a key with refusals only gets no row, and what is folded after it
// adds to what it moved.
func TestKeyUsageMigration(t *testing.T) {
	t.Parallel()
	db, path, team, keys := usageSeed(t, 3)
	day := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	fold := func(db *sqlite.DB, d pome.UsageDelta) {
		t.Helper()
		if err := db.AddUsage(t.Context(), []pome.UsageDelta{d}); err != nil {
			t.Fatalf("AddUsage = %v", err)
		}
		if err := db.FoldAllUsage(t.Context(), d.At); err != nil {
			t.Fatalf("FoldAllUsage = %v", err)
		}
	}
	fold(db, pome.UsageDelta{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{5, 1}, At: day, LastUsed: day,
		LastIP: netip.MustParseAddr("203.0.113.7")})
	fold(db, pome.UsageDelta{KeyID: keys[1].ID, Outcomes: pome.OutcomeCounts{0, 2}, At: day})
	before := usageView(t, db, team, keys)

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	for _, q := range undoKeyUsage() {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("undo 0021: %s: %v", q, err)
		}
	}
	raw.Close()
	db = mustOpen(t, path)
	if after := usageView(t, db, team, keys); after != before {
		t.Errorf("after 0021:\n%s\nwant what it was before:\n%s", after, before)
	}
	var rows int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM key_usage`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("key_usage holds %d rows, %v; want 1 (the key with valid uses)", rows, err)
	}

	later := day.Add(time.Hour)
	fold(db, pome.UsageDelta{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{2}, At: later, LastUsed: later,
		LastIP: netip.MustParseAddr("198.51.100.1")})
	k, err := db.KeyByID(t.Context(), team.ID, keys[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if k.UsageCount != 7 || k.LastUsed == nil || !k.LastUsed.Equal(later) || k.LastUsedIP.String() != "198.51.100.1" {
		t.Errorf("after a fold on the moved usage: count %d, last used %v from %v; want 7, %v from 198.51.100.1",
			k.UsageCount, k.LastUsed, k.LastUsedIP, later)
	}
}

// 0014 names the sessions made before it; they keep signing in. The
// sessions table is made as before 0014, so 0016, which adds a column to
// it, is undone (and run again) too.
func TestSessionIDsMigration(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunSessionIDsMigration(t, mustOpen(t, path), undoMigration(path, "0014_sessions_password_resets",
		`DROP TABLE portal_links`,
		`DELETE FROM schema_migrations WHERE version = '0016_portal_sessions'`,
		`DROP TABLE password_resets`,
		`CREATE TABLE sessions_old (
			digest BLOB NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
			user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
			created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL) STRICT, WITHOUT ROWID`,
		`INSERT INTO sessions_old SELECT digest, user_id, created_at, last_seen FROM sessions`,
		`DROP TABLE sessions`,
		`ALTER TABLE sessions_old RENAME TO sessions`,
		`CREATE INDEX sessions_user ON sessions (user_id)`))
}

// 0019 gives the keys metered before it the base of their low threshold.
func TestCreditsBaseBackfill(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunCreditsBaseBackfill(t, mustOpen(t, path), undoMigration(path, "0019_credits_base",
		`ALTER TABLE api_keys DROP COLUMN credits_base`))
}
