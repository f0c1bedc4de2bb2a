package postgres_test

import (
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/storetest"
	"github.com/pomehq/pome/internal/testenv"
)

// 0005 finds in the audit log who was issued the keys rolled before it.
func TestIssuedToBackfill(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	storetest.RunIssuedToBackfill(t, mustOpen(t, dsn), func(t *testing.T, s pome.Store) pome.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		raw := mustConnect(t, dsn)
		for _, q := range []string{
			`ALTER TABLE api_keys DROP COLUMN issued_to`, // and its index
			`DELETE FROM schema_migrations WHERE version = '0005_key_issued_to'`,
		} {
			if _, err := raw.Exec(t.Context(), q); err != nil {
				t.Fatalf("undo 0005: %s: %v", q, err)
			}
		}
		return mustOpen(t, dsn)
	})
}
