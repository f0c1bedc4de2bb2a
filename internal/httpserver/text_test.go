package httpserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/pometest"
)

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
