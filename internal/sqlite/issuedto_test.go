package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/storetest"
)

// 0005 finds in the audit log who was issued the keys rolled before it.
func TestIssuedToBackfill(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pome.db")
	storetest.RunIssuedToBackfill(t, mustOpen(t, path), func(t *testing.T, s pome.Store) pome.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, path)
		for _, q := range []string{
			`DROP INDEX api_keys_issued_to`,
			`ALTER TABLE api_keys DROP COLUMN issued_to`,
			`DELETE FROM schema_migrations WHERE version = '0005_key_issued_to'`,
		} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("undo 0005: %s: %v", q, err)
			}
		}
		raw.Close()
		return mustOpen(t, path)
	})
}
