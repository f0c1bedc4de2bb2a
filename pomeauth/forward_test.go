package pomeauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomehq/pome/pomeauth"
	"github.com/pomehq/pome/pomeauth/inprocess"
)

// Behind either middleware, a handler sees the caller's identity in the
// Pome-* headers the gateway sends, never the key (X-API-KEY or a bearer),
// and never a Pome-* header a client sent: none can forge Pome-User-Id.
func TestMiddlewareForwardsIdentityHeaders(t *testing.T) {
	pomeSrv, token, _, dev := pomeWithToken(t)
	auth, err := inprocess.New(t.Context(), inprocess.Config{DataDir: filepath.Dir(pomeSrv.DB.Path())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { auth.Close() })

	for name, mw := range map[string]func(http.Handler) http.Handler{
		"in process": auth.Middleware,
		"remote":     pomeauth.NewRemote(pomeSrv.URL, token.Plaintext, pomeSrv.HTTP.Client()).Middleware,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				json.NewEncoder(w).Encode(r.Header)
			})))
			t.Cleanup(srv.Close)
			for _, cred := range [][2]string{{"X-API-KEY", dev.Key}, {"Authorization", "Bearer " + dev.Key}} {
				req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/orders", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header = http.Header{cred[0]: {cred[1]}, "Pome-User-Id": {"usr_forged"}, "pome_team_id": {"tm_forged"},
					"Pome-Admin": {"true"}, "X-Client-Note": {"kept"}}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var got http.Header
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || err != nil {
					t.Fatalf("GET with %s = %d, %v", cred[0], resp.StatusCode, err)
				}
				want := map[string]string{"Pome-Key-Id": dev.ID, "Pome-Key-Role": "developer", "Pome-Team-Slug": "alice",
					"Pome-Plan-Tier": "free", "X-Client-Note": "kept"}
				for k, v := range want {
					if vs := got[k]; len(vs) != 1 || vs[0] != v {
						t.Errorf("with %s: handler header %s = %q, want [%q]", cred[0], k, vs, v)
					}
				}
				if id := got.Get("Pome-User-Id"); !strings.HasPrefix(id, "usr_") || id == "usr_forged" || len(got["Pome-User-Id"]) != 1 {
					t.Errorf("with %s: handler Pome-User-Id = %q, want the key's creator only", cred[0], got["Pome-User-Id"])
				}
				for k, vs := range got {
					if k == "Authorization" || k == "X-Api-Key" || strings.Contains(strings.Join(vs, ","), "forged") || k == "Pome-Admin" || k == "Pome_team_id" {
						t.Errorf("with %s: handler got %s = %q", cred[0], k, vs)
					}
				}
			}
		})
	}
}
