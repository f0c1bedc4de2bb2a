package httpserver_test

import (
	"errors"
	"net/http"
	"os"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

// When the database cannot be reached, Pome fails closed: a key not already
// verified and cached is never let in, nor called unknown (which would be
// remembered); management writes answer 503; and nothing is half-written.
func TestFailClosed(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"store closed", "file removed"} {
		t.Run(how, func(t *testing.T) {
			s := pometest.NewServer(t)
			alice := s.Signup(t, "alice@example.com")
			cached := s.CreateKey(t, alice, "cached")
			uncached := s.CreateKey(t, alice, "uncached")
			victim := s.CreateKeyWith(t, alice, `{"name":"victim"}`)
			team := decode[meBody](t, s.Do(t, nil, "GET", "/v1/me", apiKey(cached), "")).Team.ID
			forged := mustForge(t)
			path := s.DB.Path()

			unavailable := func(name, method, path string, header http.Header, body string) scenario {
				return scenario{name: name, client: alice, method: method, path: path, header: header, body: body,
					status: 503, typ: "unavailable_error", code: "service_unavailable"}
			}
			scenarios := []scenario{
				unavailable("create key", "POST", "/api/keys", nil, `{"name":"during outage"}`),
				unavailable("revoke key", "DELETE", "/api/keys/"+victim.ID, nil, ""),
				unavailable("signup", "POST", "/api/auth/signup", nil, `{"email":"bob@example.com","password":"correct horse battery"}`),
				{name: "readyz", method: "GET", path: "/readyz", status: 503, typ: "unavailable_error", code: "service_unavailable"},
				{name: "cached key still served", method: "GET", path: "/v1/me", header: apiKey(cached), status: 200},
			}
			switch how {
			case "store closed":
				if err := s.DB.Close(); err != nil {
					t.Fatal(err)
				}
				scenarios = append(scenarios,
					unavailable("uncached key", "GET", "/v1/me", apiKey(uncached), ""),
					unavailable("uncached key again: nothing remembered", "GET", "/v1/me", apiKey(uncached), ""),
					unavailable("forged key: never called unknown", "GET", "/v1/me", apiKey(forged), ""),
					unavailable("forged key again", "GET", "/v1/me", apiKey(forged), ""),
					unavailable("login", "POST", "/api/auth/login", nil, `{"email":"alice@example.com","password":"`+pometest.Password+`"}`),
					unavailable("list keys", "GET", "/api/keys", nil, ""),
				)
			case "file removed":
				// Reads may still be answered through the open file; every
				// write is refused.
				for _, suffix := range []string{"", "-wal", "-shm"} {
					if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
						t.Fatal(err)
					}
				}
			}
			runScenarios(t, s, scenarios)

			if how == "store closed" {
				// Nothing was written: reopen the file and look.
				db := pometest.OpenStore(t, path)
				keys, err := db.ListKeys(t.Context(), pome.KeyFilter{TeamID: team, Now: s.Now()})
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != 3 {
					t.Errorf("keys after the outage = %d, want the 3 from before", len(keys))
				}
				for _, k := range keys {
					if k.RevokedAt != nil {
						t.Errorf("key %s revoked during the outage", k.Name)
					}
				}
				if _, err := db.UserByEmail(t.Context(), "bob@example.com"); !errors.Is(err, pome.ErrUserNotFound) {
					t.Errorf("UserByEmail(bob) after the refused signup = %v, want ErrUserNotFound", err)
				}
			}
		})
	}
}
