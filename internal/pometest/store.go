package pometest

import (
	"testing"

	"github.com/pomehq/pome/internal/sqlite"
)

// OpenStore opens the SQLite store at path (one a closed Server's DB left
// behind, say), closed when the test ends.
func OpenStore(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
