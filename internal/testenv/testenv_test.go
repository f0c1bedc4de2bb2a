package testenv_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/pomehq/pome/internal/testenv"
)

// outcome is what a helper did to the test that called it.
type outcome struct {
	testing.TB
	fatal, skip string
}

func (o *outcome) Helper() {}

func (o *outcome) Fatalf(format string, args ...any) {
	o.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (o *outcome) Skipf(format string, args ...any) {
	o.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls get as a test would, and reports what it returned and did.
func run(t *testing.T, get func(testing.TB) string) (string, *outcome) {
	o := &outcome{TB: t}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = get(o)
	}()
	<-done
	return got, o
}

// A missing service skips the test outside CI and fails it in CI; a set URL
// is returned either way. (Not parallel: t.Setenv.)
func TestURLs(t *testing.T) {
	for _, h := range []struct {
		env string
		get func(testing.TB) string
	}{
		{"POME_TEST_DATABASE_URL", testenv.DatabaseURL},
		{"POME_TEST_REDIS_URL", testenv.RedisURL},
	} {
		t.Run(h.env, func(t *testing.T) {
			for _, c := range []struct {
				name, url, ci string
				fatal, skip   bool
			}{
				{"set, outside CI", "x://set", "", false, false},
				{"set, in CI", "x://set", "true", false, false},
				{"unset, outside CI", "", "", false, true},
				{"unset, in CI", "", "true", true, false},
			} {
				t.Run(c.name, func(t *testing.T) {
					t.Setenv(h.env, c.url)
					t.Setenv("CI", c.ci)
					got, o := run(t, h.get)
					if got != c.url || (o.fatal != "") != c.fatal || (o.skip != "") != c.skip {
						t.Fatalf("%s with %s=%q, CI=%q: returned %q, fatal %q, skip %q; want %q, fatal %v, skip %v",
							h.env, h.env, c.url, c.ci, got, o.fatal, o.skip, c.url, c.fatal, c.skip)
					}
					if msg := o.fatal + o.skip; msg != "" && !strings.Contains(msg, h.env) {
						t.Errorf("message %q does not name %s", msg, h.env)
					}
				})
			}
		})
	}
}
