// Package testenv tells a test where the outside services it needs are:
// the PostgreSQL and Redis named by POME_TEST_DATABASE_URL and
// POME_TEST_REDIS_URL. Where one is not set, the test skips with a message,
// except in CI (the CI variable set, as .ci/run runs), where it fails: a CI
// run cannot go green by skipping the tests of a service it lacks. A Proxy
// between a test's code and a service plays a network that stops
// delivering, without stopping the service other tests share.
package testenv

import (
	"os"
	"testing"
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
