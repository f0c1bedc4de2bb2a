// Package testenv tells a test where the outside services it needs are:
// the PostgreSQL and Redis named by POME_TEST_DATABASE_URL and
// POME_TEST_REDIS_URL. Where one is not set, the test skips with a message,
// except in CI (the CI variable set, as .ci/run runs), where it fails: a CI
// run cannot go green by skipping the tests of a service it lacks. A Proxy
// between a test's code and a service plays a network that stops
// delivering, without stopping the service other tests share.
package testenv

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DatabaseURL returns POME_TEST_DATABASE_URL, the PostgreSQL a test may
// create schemas in; unset, it skips the test, or fails it in CI.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return need(t, "POME_TEST_DATABASE_URL", "PostgreSQL")
}

// RedisURL returns POME_TEST_REDIS_URL, the Redis a test may use keys of
// its own prefix in; unset, it skips the test, or fails it in CI.
func RedisURL(t testing.TB) string {
	t.Helper()
	return need(t, "POME_TEST_REDIS_URL", "Redis")
}

func need(t testing.TB, env, service string) string {
	t.Helper()
	if u := os.Getenv(env); u != "" {
		return u
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set and CI is: the %s tests must run in CI, not skip (.ci/run sets it)", env, service)
	}
	t.Skipf("%s is not set: skipping this %s test (CI sets it and fails without it)", env, service)
	return ""
}

// FreshSchema creates an empty schema of its own in the test database
// (DatabaseURL: skipped without it, failed in CI), dropped with everything
// in it when the test ends, and returns the database's URL with that schema
// as the search path: tests sharing the database never see each other's
// rows.
func FreshSchema(t testing.TB) string {
	t.Helper()
	base := DatabaseURL(t)
	name := "test_" + strings.ToLower(rand.Text()[:12])
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatalf("testenv: connect to POME_TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(context.Background(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("testenv: create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("testenv: drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testenv: POME_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
