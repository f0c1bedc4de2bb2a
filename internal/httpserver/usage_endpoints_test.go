package httpserver_test

import (
	"net/http"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// The usage endpoints answer every outcome of a day: the session's for a
// key and the team, as their members may see them, and the platform API's
// for any key and any team, with keys:read; bad days, unknown ids, no token
// and a token without the scope answer as the other routes of their API.
func TestUsageEndpoints(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	k := s.CreateKeyWith(t, alice, `{"name":"ci"}`)
	if r := s.Do(t, nil, "GET", "/v1/me", apiKey(k.Key), ""); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/me = %d", r.Status)
	}
	if r := s.Do(t, alice, "PATCH", "/api/keys/"+k.ID, nil, `{"enabled": false}`); r.Status != http.StatusOK {
		t.Fatalf("disable = %d %s", r.Status, r.Body)
	}
	for range 2 {
		if r := s.Do(t, nil, "GET", "/v1/me", apiKey(k.Key), ""); r.Status != http.StatusForbidden {
			t.Fatalf("GET /v1/me with a disabled key = %d", r.Status)
		}
	}
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var want pome.OutcomeCounts
	want[pome.OutcomeValid.Index()], want[pome.OutcomeDisabled.Index()] = 1, 2
	today := func(days int) func(t *testing.T, r *pometest.Response) {
		return func(t *testing.T, r *pometest.Response) {
			u := decode[client.TeamUsage](t, r)
			if len(u.Days) != days {
				t.Fatalf("%d days, want %d", len(u.Days), days)
			}
			d := u.Days[days-1]
			if d.Outcomes() != want || d.Count != 1 || d.Valid != 1 || d.Disabled != 2 || d.Total != 3 {
				t.Errorf("today = %+v, want count and valid 1, disabled 2, total 3", d)
			}
		}
	}
	all := bearer(mustServiceToken(t, s, "reader", "keys:read").Plaintext)
	verifyOnly := bearer(mustServiceToken(t, s, "verifier", "keys:verify").Plaintext)
	teamID := decode[client.Key](t, s.Do(t, nil, "GET", "/v1/keys/"+k.ID, all, "")).TeamID
	keyPath, teamPath := "/v1/keys/"+k.ID+"/usage", "/v1/teams/"+teamID+"/usage"
	const inv, nf = "invalid_request_error", "not_found_error"
	runScenarios(t, s, []scenario{
		// The session's.
		{name: "session key", client: alice, method: "GET", path: "/api/keys/" + k.ID + "/usage?days=1", status: 200, check: today(1)},
		{name: "session team", client: alice, method: "GET", path: "/api/usage?days=7", status: 200, check: today(7)},
		{name: "session key of another team", client: bob, method: "GET", path: "/api/keys/" + k.ID + "/usage", status: 404, typ: nf, code: "key_not_found"},
		{name: "session bad days", client: alice, method: "GET", path: "/api/keys/" + k.ID + "/usage?days=91", status: 400, typ: inv, code: "invalid_parameter"},

		// The platform API's.
		{name: "key", method: "GET", path: keyPath + "?days=1", header: all, status: 200, check: today(1)},
		{name: "key, 30 days by default", method: "GET", path: keyPath, header: all, status: 200, check: today(30)},
		{name: "team", method: "GET", path: teamPath + "?days=2", header: all, status: 200, check: today(2)},
		{name: "team, 30 days by default", method: "GET", path: teamPath, header: all, status: 200, check: today(30)},
		{name: "key without a token", method: "GET", path: keyPath, status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "team without a token", method: "GET", path: teamPath, status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "key without keys:read", method: "GET", path: keyPath, header: verifyOnly, status: 403, typ: "permission_error", code: "insufficient_scope"},
		{name: "team without keys:read", method: "GET", path: teamPath, header: verifyOnly, status: 403, typ: "permission_error", code: "insufficient_scope"},
		{name: "unknown key", method: "GET", path: "/v1/keys/key_0000000000000000/usage", header: all, status: 404, typ: nf, code: "key_not_found"},
		{name: "a team id as key id", method: "GET", path: "/v1/keys/" + teamID + "/usage", header: all, status: 404, typ: nf, code: "key_not_found"},
		{name: "unknown team", method: "GET", path: "/v1/teams/tm_0000000000000000/usage", header: all, status: 404, typ: nf, code: "team_not_found"},
		{name: "a key id as team id", method: "GET", path: "/v1/teams/" + k.ID + "/usage", header: all, status: 404, typ: nf, code: "team_not_found"},
		{name: "key, 0 days", method: "GET", path: keyPath + "?days=0", header: all, status: 400, typ: inv, code: "invalid_parameter", message: "'days' must be 1 to 90"},
		{name: "key, 91 days", method: "GET", path: keyPath + "?days=91", header: all, status: 400, typ: inv, code: "invalid_parameter", message: "'days' must be 1 to 90"},
		{name: "team, days not a number", method: "GET", path: teamPath + "?days=week", header: all, status: 400, typ: inv, code: "invalid_parameter", message: "'days' must be an integer"},
		{name: "team, -1 days", method: "GET", path: teamPath + "?days=-1", header: all, status: 400, typ: inv, code: "invalid_parameter", message: "'days' must be 1 to 90"},
		{name: "POST", method: "POST", path: keyPath, header: all, status: 405, typ: inv, code: "method_not_allowed", check: allow("GET, HEAD")},
	})
}
