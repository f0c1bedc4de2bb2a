package pometest

import (
	"context"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/testenv"
)

// PostgresURL creates an empty schema of its own in the test database
// (POME_TEST_DATABASE_URL; without it the test skips, or fails in CI),
// dropped when the test ends, and returns the database's URL with that
// schema as the search path.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := testenv.DatabaseURL(t)
	name := "test_" + strings.ToLower(rand.Text()[:12])
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(context.Background(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("POME_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// NewPostgresStore opens the PostgreSQL store on a fresh schema
// (PostgresURL), closed when the test ends.
func NewPostgresStore(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), PostgresURL(t))
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
