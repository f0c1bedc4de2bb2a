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

// NUL and invalid UTF-8, which PostgreSQL's text cannot hold, in every place
// a request carries a string to a store (ids in paths, query parameters,
// emails, names): a 400 or 404 naming what is wrong, the same on both
// stores, never a 500.
func TestUnstorableText(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, opts ...pometest.Option) {
		s := pometest.NewServer(t, opts...)
		alice := s.Signup(t, "alice@example.com")
		s.Signup(t, "bob@example.com")
		s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
		login := func(email string) string {
			return `{"email":"` + email + `","password":"` + pometest.Password + `"}`
		}
		cases := []struct {
			name, method, path, body string
			status                   int
			code                     string // "" for a dashboard page
		}{
			{"key id with NUL", "GET", "/api/keys/key_%00", "", 404, "key_not_found"},
			{"key id, invalid UTF-8", "GET", "/api/keys/key_%FF", "", 404, "key_not_found"},
			{"revoke, invalid UTF-8", "DELETE", "/api/keys/%FF%00", "", 404, "key_not_found"},
			{"usage, NUL", "GET", "/api/keys/%00/usage", "", 404, "key_not_found"},
			{"roll, invalid UTF-8", "POST", "/api/keys/key_%C3%28/roll", "{}", 404, "key_not_found"},
			{"key page, NUL", "GET", "/keys/key_%00", "", 404, ""},
			{"member role, NUL", "PATCH", "/api/team/members/usr_%00", `{"role":"viewer"}`, 404, "member_not_found"},
			{"member removal, invalid UTF-8", "DELETE", "/api/team/members/usr_%FF", "", 404, "member_not_found"},
			{"public API path, NUL", "GET", "/v1/%00", "", 404, "route_not_found"},
			{"team, NUL", "GET", "/api/keys?team=%00", "", 404, "team_not_found"},
			{"team, invalid UTF-8", "GET", "/api/team/members?team=%FF", "", 404, "team_not_found"},
			{"status, NUL", "GET", "/api/keys?status=%00", "", 400, "invalid_parameter"},
			{"days, invalid UTF-8", "GET", "/api/usage?days=%FF", "", 400, "invalid_parameter"},
			{"audit action, NUL", "GET", "/api/audit?action=key.created%00", "", 400, "invalid_parameter"},
			{"audit target, invalid UTF-8", "GET", "/api/audit?target=usr_%FF", "", 400, "invalid_parameter"},
			{"audit cursor, NUL", "GET", "/api/audit?cursor=%00", "", 400, "invalid_parameter"},
			{"audit page action, NUL", "GET", "/audit?action=%00", "", 400, ""},
			{"login email, NUL", "POST", "/api/auth/login", login(`alice\u0000@example.com`), 400, "invalid_parameter"},
			{"signup email, NUL", "POST", "/api/auth/signup", login(`eve\u0000@example.com`), 400, "invalid_parameter"},
			{"signup team name, NUL", "POST", "/api/auth/signup",
				`{"email":"eve@example.com","password":"` + pometest.Password + `","team_name":"Eve\u0000"}`, 400, "invalid_parameter"},
			{"invited email, NUL", "POST", "/api/team/invitations", `{"email":"bob\u0000@example.com","role":"viewer"}`, 400, "invalid_parameter"},
			{"member role value, NUL", "PATCH", "/api/team/members/usr_0000000000000000", `{"role":"viewer\u0000"}`, 400, "invalid_parameter"},
			{"key name, NUL", "POST", "/api/keys", `{"name":"ci\u0000"}`, 400, "invalid_parameter"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.Clock.Advance(time.Hour) // fresh quotas
				r := s.Do(t, alice, tc.method, tc.path, nil, tc.body)
				if r.Status != tc.status {
					t.Fatalf("%s %s status = %d, want %d; body %s", tc.method, tc.path, r.Status, tc.status, r.Body)
				}
				if tc.code != "" {
					if e := checkErrorBody(t, tc.name, r); e.Code != tc.code {
						t.Errorf("code = %s, want %s (%s)", e.Code, tc.code, e.Message)
					}
				}
			})
		}
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
