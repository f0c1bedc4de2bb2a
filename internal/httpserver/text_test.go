package httpserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// stores runs test on a server of each store: SQLite, and PostgreSQL (a skip
// without POME_TEST_DATABASE_URL, a failure in CI).
func stores(t *testing.T, test func(t *testing.T, opts ...pometest.Option)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, pometest.WithStore(pometest.NewPostgresStore(t)))
	})
}

// A user agent that is not valid UTF-8, or holds controls, is stored cleaned
// in the audit log: a login with it answers as any other (it used to be a
// 500 on PostgreSQL, whose text holds neither), and the failed attempt
// counts against the login limits.
func TestUserAgentStoredClean(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, opts ...pometest.Option) {
		s := pometest.NewServer(t, append(opts, pometest.WithRules(func(r *ratelimit.Rules) { r.LoginIP.Limit = 3 }))...)
		s.Signup(t, "alice@example.com")
		ua := hdr("User-Agent", "curl\xff/8\u0085.5\u202e\tx")
		wrong := `{"email":"alice@example.com","password":"wrong password!"}`
		for i := range 3 {
			if r := s.Do(t, nil, "POST", "/api/auth/login", ua, wrong); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: status = %d, want 401; body %s", i+1, r.Status, r.Body)
			}
		}
		// Three failures spent the quota: the right password waits too.
		if r := s.Do(t, nil, "POST", "/api/auth/login", ua, credentials("alice@example.com", pometest.Password)); r.Status != http.StatusTooManyRequests {
			t.Fatalf("fourth login status = %d, want 429; body %s", r.Status, r.Body)
		}
		evs := s.Audit(t, "")
		if len(evs) == 0 || evs[0].Action != pome.AuditLogin {
			t.Fatalf("audit events without a team = %+v, want the failed logins", evs)
		}
		if got, want := evs[0].UserAgent, "curl\uFFFD/8.5x"; got != want {
			t.Errorf("stored user agent = %q, want %q", got, want)
		}
		if strings.ContainsAny(evs[0].UserAgent, "\x00\u0085\u202e\t") {
			t.Errorf("stored user agent %q holds a control character", evs[0].UserAgent)
		}
	})
}

// One text rule (pome.CheckText) for every human-visible string a request
// stores: each class of character it refuses, on each field, is a 400
// invalid_parameter naming the field, and nothing is stored.
func TestTextRule(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	classes := []struct{ class, text string }{
		{"C0 escape", `\u001b`},
		{"C1 control", `\u009b`},
		{"DEL", `\u007f`},
		{"newline", `\n`},
		{"line separator", `\u2028`},
		{"right-to-left override", `\u202e`},
		{"left-to-right isolate", `\u2066`},
		{"right-to-left mark", `\u200f`},
		{"zero-width space", `\u200b`},
		{"zero-width joiner", `\u200d`},
		{"byte order mark", `\ufeff`},
		{"soft hyphen", `\u00ad`},
		{"Hangul filler", `\u3164`},
		{"variation selector", `\ufe0f`},
	}
	fields := []struct {
		field, method, path string
		body                func(bad string) string
	}{
		{"name", "POST", "/api/keys", func(bad string) string { return `{"name":"pro` + bad + `d"}` }},
		{"description", "POST", "/api/keys", func(bad string) string { return `{"name":"ci","description":"pro` + bad + `d"}` }},
		{"email", "POST", "/api/auth/signup", func(bad string) string {
			return `{"email":"eve` + bad + `@example.com","password":"` + pometest.Password + `"}`
		}},
		{"team_name", "POST", "/api/auth/signup", func(bad string) string {
			return `{"email":"eve@example.com","password":"` + pometest.Password + `","team_name":"Ev` + bad + `e"}`
		}},
	}
	for _, f := range fields {
		for _, c := range classes {
			if f.field == "description" && c.text == `\n` {
				continue // a description may span lines
			}
			t.Run(f.field+"/"+c.class, func(t *testing.T) {
				s.Clock.Advance(time.Hour) // fresh quotas
				s.Store.Reset()
				r := s.Do(t, alice, f.method, f.path, nil, f.body(c.text))
				if r.Status != http.StatusBadRequest {
					t.Fatalf("%s %s status = %d, want 400; body %s", f.method, f.path, r.Status, r.Body)
				}
				if e := checkErrorBody(t, f.field, r); e.Code != "invalid_parameter" || !strings.Contains(e.Message, "'"+f.field+"'") {
					t.Errorf("error = %s %q, want invalid_parameter naming '%s'", e.Code, e.Message, f.field)
				}
				for m, n := range s.Store.Calls() {
					if slices.Contains(writeMethods, m) {
						t.Errorf("store %s called %d times", m, n)
					}
				}
			})
		}
	}
}
