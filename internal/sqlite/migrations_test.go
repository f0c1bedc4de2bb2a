package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/pomehq/pome"
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
