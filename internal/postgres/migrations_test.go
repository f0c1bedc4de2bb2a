package postgres_test

import (
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/storetest"
	"github.com/pomehq/pome/internal/testenv"
)

// undoMigration returns the undo of a storetest migration check on the
// schema of dsn: it closes the store, runs stmts (which drop what the
// migration made), forgets version, and opens the schema again, migrating.
func undoMigration(dsn, version string, stmts ...string) func(t *testing.T, s pome.Store) pome.Store {
	return func(t *testing.T, s pome.Store) pome.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		raw := mustConnect(t, dsn)
		for _, q := range append(stmts, `DELETE FROM schema_migrations WHERE version = '`+version+`'`) {
			if _, err := raw.Exec(t.Context(), q); err != nil {
				t.Fatalf("undo %s: %s: %v", version, q, err)
			}
		}
		return mustOpen(t, dsn)
	}
}

// 0005 finds in the audit log who was issued the keys rolled before it.
func TestIssuedToBackfill(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunIssuedToBackfill(t, mustOpen(t, dsn), undoMigration(dsn, "0005_key_issued_to",
		`ALTER TABLE api_keys DROP COLUMN issued_to`)) // and its index
}

// 0006 gives the tokens made before it the scope they had: keys:verify.
func TestScopesDefault(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunScopesDefault(t, mustOpen(t, dsn), undoMigration(dsn, "0006_service_token_scopes",
		`ALTER TABLE service_tokens DROP COLUMN scopes`))
}

// 0009 lets a service token be an audit event's actor; run again, it keeps
// every event.
func TestAuditTokenActor(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunAuditTokenActor(t, mustOpen(t, dsn), undoMigration(dsn, "0009_audit_token_actor"))
}

// 0010 gives the keys made before it the lifetime their expiry says.
func TestLifetimeBackfill(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunLifetimeBackfill(t, mustOpen(t, dsn), undoMigration(dsn, "0010_key_lifetime",
		`ALTER TABLE api_keys DROP COLUMN lifetime_ms`))
}

// 0011 adds the key policies and lets a service token be a key's creator;
// run again on keys made before it, it keeps them and their usage.
func TestKeyPoliciesMigration(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunKeyPoliciesMigration(t, mustOpen(t, dsn), undoMigration(dsn, "0011_key_policies",
		`ALTER TABLE api_keys DROP COLUMN test_mode, DROP COLUMN enabled, DROP COLUMN scopes, DROP COLUMN meta,
			DROP COLUMN rate_limit, DROP COLUMN rate_window_ms, DROP COLUMN allowed_cidrs,
			ADD CONSTRAINT api_keys_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id)`,
		`CREATE INDEX api_keys_created_by ON api_keys (created_by)`))
}

// 0014 names the sessions made before it; they keep signing in.
func TestSessionIDsMigration(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunSessionIDsMigration(t, mustOpen(t, dsn), undoMigration(dsn, "0014_sessions_password_resets",
		`DROP TABLE password_resets`,
		`ALTER TABLE sessions DROP COLUMN id, DROP COLUMN ip, DROP COLUMN user_agent`))
}

// 0019 gives the keys metered before it the base of their low threshold.
func TestCreditsBaseBackfill(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunCreditsBaseBackfill(t, mustOpen(t, dsn), undoMigration(dsn, "0019_credits_base",
		`ALTER TABLE api_keys DROP COLUMN credits_base`))
}
