package pometest

import (
	"testing"

	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/testenv"
)

// NewPostgresStore opens the PostgreSQL store on a fresh schema
// (testenv.FreshSchema), closed when the test ends.
func NewPostgresStore(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), testenv.FreshSchema(t))
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
