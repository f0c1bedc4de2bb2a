package httpserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
)

var allRoles = []pome.Role{pome.RoleOwner, pome.RoleAdmin, pome.RoleDeveloper, pome.RoleViewer}

// publicServer serves s's services with a test-only write route of the
// public API (POST /v1/write) behind the real key gate, since the public API
// has only GET routes today.
func publicServer(t *testing.T, s *pometest.Server) string {
	t.Helper()
	h := httpserver.NewWithRoutes(httpserver.Config{
		Accounts: s.Accounts, Keys: s.Keys, Gate: s.Gate, Verifier: s.Verifier, Meter: s.Meter, Now: s.Now,
	}, func(mux *http.ServeMux) {
		mux.Handle("POST /v1/write", httpserver.PublicGate(s.Gate))
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// call sends one request to base+path with an API key.
func call(t *testing.T, base, method, path, key string) *pometest.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &pometest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// refused checks that r is a refusal of the API's forms (403
// insufficient_permissions, or 404 for a key the member may not see) and
// returns false; a success returns true.
func refused(t *testing.T, what string, r *pometest.Response, okStatus int) bool {
	t.Helper()
	switch r.Status {
	case okStatus:
		return true
	case http.StatusForbidden:
		if e := checkErrorBody(t, what, r); e.Code != "insufficient_permissions" {
			t.Errorf("%s refused with %s, want insufficient_permissions", what, e.Code)
		}
	case http.StatusNotFound:
		if e := checkErrorBody(t, what, r); e.Code != "key_not_found" {
			t.Errorf("%s refused with %s, want key_not_found", what, e.Code)
		}
	default:
		t.Errorf("%s status = %d, want %d or a refusal; body %s", what, r.Status, okStatus, r.Body)
	}
	return false
}

// matrixActor is one member of the team the matrix is walked in.
type matrixActor struct {
	role   pome.Role
	c      *http.Client
	id     string
	ownKey pometest.CreatedKey
	apiKey string // a key carrying role, created by the owner
}

// The whole docs/api.md matrix, every role × every action, allowed and refused,
// through the HTTP API. The expected cells are written out, as in role_test.go,
// so that a change to the table in role.go must be a deliberate change here.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	pub := publicServer(t, s)
	alice := s.Signup(t, "alice@example.com") // owns team "alice"
	const team = "?team=alice"
	aliceKey := s.CreateKeyWith(t, alice, `{"name":"alice's"}`)

	n := 0
	fresh := func(t *testing.T) (string, string) { // a new user: email, id
		t.Helper()
		n++
		email := fmt.Sprintf("user%d@example.com", n)
		return email, s.Session(t, s.Signup(t, email)).User.ID
	}
	member := func(t *testing.T, role pome.Role) string { // a new member of alice's team
		t.Helper()
		email, id := fresh(t)
		s.AddMember(t, alice, email, role)
		return id
	}

	actors := map[pome.Role]*matrixActor{}
	for _, role := range allRoles {
		email := "as-" + string(role) + "@example.com"
		a := &matrixActor{role: role, c: s.Signup(t, email)}
		a.id = s.Session(t, a.c).User.ID
		// A viewer cannot create keys: it made its own key as a developer.
		joinAs := role
		if role == pome.RoleViewer {
			joinAs = pome.RoleDeveloper
		}
		s.AddMember(t, alice, email, joinAs)
		r := s.Do(t, a.c, "POST", "/api/keys"+team, nil, `{"name":"own"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create own key as %s: %d %s", joinAs, r.Status, r.Body)
		}
		r.DecodeJSON(t, &a.ownKey)
		if role == pome.RoleViewer {
			if r := s.Do(t, alice, "PATCH", "/api/team/members/"+a.id, nil, `{"role":"viewer"}`); r.Status != http.StatusOK {
				t.Fatalf("demote to viewer: %d %s", r.Status, r.Body)
			}
		}
		a.apiKey = s.CreateKeyWith(t, alice, `{"name":"api `+string(role)+`","role":"`+string(role)+`"}`).Key
		actors[role] = a
	}

	type row struct {
		action string
		want   [4]bool // owner, admin, developer, viewer
		do     func(t *testing.T, a *matrixActor) bool
	}
	rows := []row{
		{"read via API (GET /v1/me)", [4]bool{true, true, true, true}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET /v1/me", call(t, pub, "GET", "/v1/me", a.apiKey), 200)
		}},
		{"write via API (POST)", [4]bool{true, true, true, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "POST /v1/write", call(t, pub, "POST", "/v1/write", a.apiKey), 200)
		}},
		{"create a key", [4]bool{true, true, true, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "POST /api/keys", s.Do(t, a.c, "POST", "/api/keys"+team, nil, `{"name":"new"}`), 201)
		}},
		{"list own keys", [4]bool{true, true, true, false}, func(t *testing.T, a *matrixActor) bool {
			r := s.Do(t, a.c, "GET", "/api/keys"+team, nil, "")
			if !refused(t, "GET /api/keys", r, 200) {
				return false
			}
			for _, k := range decode[keyList](t, r).Keys {
				if k.ID == a.ownKey.ID {
					return true
				}
			}
			return false
		}},
		{"list any key of the team", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			r := s.Do(t, a.c, "GET", "/api/keys"+team+"&status=all", nil, "")
			if !refused(t, "GET /api/keys", r, 200) {
				return false
			}
			for _, k := range decode[keyList](t, r).Keys {
				if k.ID == aliceKey.ID {
					return true
				}
			}
			return false // listed their own only
		}},
		{"read own key", [4]bool{true, true, true, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET own key", s.Do(t, a.c, "GET", "/api/keys/"+a.ownKey.ID+team, nil, ""), 200)
		}},
		{"read any key of the team", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET /api/keys/{id}", s.Do(t, a.c, "GET", "/api/keys/"+aliceKey.ID+team, nil, ""), 200)
		}},
		{"read the team's usage", [4]bool{true, true, true, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET /api/usage", s.Do(t, a.c, "GET", "/api/usage"+team, nil, ""), 200)
		}},
		{"revoke any key of the team", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			k := s.CreateKeyWith(t, alice, `{"name":"victim"}`)
			return refused(t, "DELETE /api/keys/{id}", s.Do(t, a.c, "DELETE", "/api/keys/"+k.ID+team, nil, ""), 200)
		}},
		{"revoke own key", [4]bool{true, true, true, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "DELETE own key", s.Do(t, a.c, "DELETE", "/api/keys/"+a.ownKey.ID+team, nil, ""), 200)
		}},
		{"manage members: invite a developer", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			email, _ := fresh(t)
			return refused(t, "POST /api/team/invitations", s.Do(t, a.c, "POST", "/api/team/invitations"+team, nil,
				`{"email":"`+email+`","role":"developer"}`), 201)
		}},
		{"manage members: list invitations", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET /api/team/invitations", s.Do(t, a.c, "GET", "/api/team/invitations"+team, nil, ""), 200)
		}},
		{"manage members: change a developer to viewer", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			id := member(t, pome.RoleDeveloper)
			return refused(t, "PATCH /api/team/members", s.Do(t, a.c, "PATCH", "/api/team/members/"+id+team, nil, `{"role":"viewer"}`), 200)
		}},
		{"manage members: remove a viewer", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			id := member(t, pome.RoleViewer)
			return refused(t, "DELETE /api/team/members", s.Do(t, a.c, "DELETE", "/api/team/members/"+id+team, nil, ""), 200)
		}},
		{"manage owners: invite an owner", [4]bool{true, false, false, false}, func(t *testing.T, a *matrixActor) bool {
			email, _ := fresh(t)
			return refused(t, "POST /api/team/invitations owner", s.Do(t, a.c, "POST", "/api/team/invitations"+team, nil,
				`{"email":"`+email+`","role":"owner"}`), 201)
		}},
		{"manage owners: invite an admin", [4]bool{true, false, false, false}, func(t *testing.T, a *matrixActor) bool {
			email, _ := fresh(t)
			return refused(t, "POST /api/team/invitations admin", s.Do(t, a.c, "POST", "/api/team/invitations"+team, nil,
				`{"email":"`+email+`","role":"admin"}`), 201)
		}},
		{"manage owners: promote a developer to owner", [4]bool{true, false, false, false}, func(t *testing.T, a *matrixActor) bool {
			id := member(t, pome.RoleDeveloper)
			return refused(t, "PATCH to owner", s.Do(t, a.c, "PATCH", "/api/team/members/"+id+team, nil, `{"role":"owner"}`), 200)
		}},
		{"manage owners: demote an owner", [4]bool{true, false, false, false}, func(t *testing.T, a *matrixActor) bool {
			id := member(t, pome.RoleOwner)
			return refused(t, "PATCH owner to developer", s.Do(t, a.c, "PATCH", "/api/team/members/"+id+team, nil, `{"role":"developer"}`), 200)
		}},
		{"manage owners: change an admin's role", [4]bool{true, false, false, false}, func(t *testing.T, a *matrixActor) bool {
			id := member(t, pome.RoleAdmin)
			return refused(t, "PATCH admin to viewer", s.Do(t, a.c, "PATCH", "/api/team/members/"+id+team, nil, `{"role":"viewer"}`), 200)
		}},
		{"manage owners: remove an owner", [4]bool{true, false, false, false}, func(t *testing.T, a *matrixActor) bool {
			id := member(t, pome.RoleOwner)
			return refused(t, "DELETE owner", s.Do(t, a.c, "DELETE", "/api/team/members/"+id+team, nil, ""), 200)
		}},
		{"read the audit log", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET /api/audit", s.Do(t, a.c, "GET", "/api/audit"+team, nil, ""), 200)
		}},
		{"manage webhooks: add an endpoint", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "POST /api/team/webhooks", s.Do(t, a.c, "POST", "/api/team/webhooks"+team, nil,
				`{"url":"https://example.com/`+string(a.role)+`","events":["key.created"]}`), 201)
		}},
		{"manage webhooks: list the endpoints", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET /api/team/webhooks", s.Do(t, a.c, "GET", "/api/team/webhooks"+team, nil, ""), 200)
		}},
		{"manage webhooks: delete an endpoint", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			var e client.Webhook
			s.Do(t, alice, "POST", "/api/team/webhooks", nil, `{"url":"https://example.com/d","events":["key.created"]}`).DecodeJSON(t, &e)
			defer s.Do(t, alice, "DELETE", "/api/team/webhooks/"+e.ID, nil, "") // at most 20 a team
			return refused(t, "DELETE /api/team/webhooks/{id}", s.Do(t, a.c, "DELETE", "/api/team/webhooks/"+e.ID+team, nil, ""), 200)
		}},
		{"manage webhooks: read deliveries", [4]bool{true, true, false, false}, func(t *testing.T, a *matrixActor) bool {
			var e client.Webhook
			s.Do(t, alice, "POST", "/api/team/webhooks", nil, `{"url":"https://example.com/r","events":["key.created"]}`).DecodeJSON(t, &e)
			defer s.Do(t, alice, "DELETE", "/api/team/webhooks/"+e.ID, nil, "")
			return refused(t, "GET /api/team/webhooks/{id}/deliveries", s.Do(t, a.c, "GET", "/api/team/webhooks/"+e.ID+"/deliveries"+team, nil, ""), 200)
		}},
		{"list members", [4]bool{true, true, true, true}, func(t *testing.T, a *matrixActor) bool {
			return refused(t, "GET /api/team/members", s.Do(t, a.c, "GET", "/api/team/members"+team, nil, ""), 200)
		}},
	}
	for _, rw := range rows {
		t.Run(rw.action, func(t *testing.T) {
			for i, role := range allRoles {
				t.Run(string(role), func(t *testing.T) {
					if got := rw.do(t, actors[role]); got != rw.want[i] {
						t.Errorf("%s may %q = %v, want %v", role, rw.action, got, rw.want[i])
					}
				})
			}
		})
	}
}

type memberList struct {
	Members []struct {
		UserID string    `json:"user_id"`
		Email  string    `json:"email"`
		Role   pome.Role `json:"role"`
	} `json:"members"`
	Total int `json:"total"`
}

// The member endpoints of docs/api.md: their validation, the 404s that tell
// nothing about other teams, the last owner, and leaving.
func TestMembers(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	aliceID := s.Session(t, alice).User.ID
	bob := s.Signup(t, "bob@example.com")
	bobID := s.Session(t, bob).User.ID
	carol := s.Signup(t, "carol@example.com")
	carolID := s.Session(t, carol).User.ID
	dave := s.Signup(t, "dave@example.com") // stays outside alice's team
	daveID := s.Session(t, dave).User.ID
	s.Clock.Advance(time.Minute)
	// People join by invitation (TestInvitationsAPI has its answers).
	for _, m := range []struct {
		email string
		role  pome.Role
	}{{"bob@example.com", pome.RoleAdmin}, {"carol@example.com", pome.RoleDeveloper}, {"dave@example.com", pome.RoleViewer}} {
		s.AddMember(t, alice, m.email, m.role)
		s.Clock.Advance(time.Second) // listed in the order they joined
	}

	patch := func(name string, c *http.Client, id, body string, status int, typ, code string) scenario {
		return scenario{name: name, client: c, method: "PATCH", path: "/api/team/members/" + id, body: body, status: status, typ: typ, code: code}
	}
	del := func(name string, c *http.Client, id string, status int, typ, code string) scenario {
		return scenario{name: name, client: c, method: "DELETE", path: "/api/team/members/" + id, status: status, typ: typ, code: code}
	}
	const inv, nf, cf = "invalid_request_error", "not_found_error", "invalid_request_error"

	runScenarios(t, s, []scenario{
		{name: "list", client: alice, method: "GET", path: "/api/team/members", status: 200, golden: "members"},
		{name: "admin may not promote to admin", client: bob, method: "PATCH", path: "/api/team/members/" + carolID + "?team=alice", body: `{"role":"admin"}`, status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "admin may not demote the owner", client: bob, method: "PATCH", path: "/api/team/members/" + aliceID + "?team=alice", body: `{"role":"viewer"}`, status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "admin may not change own role", client: bob, method: "PATCH", path: "/api/team/members/" + bobID + "?team=alice", body: `{"role":"developer"}`, status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "admin removes the viewer", client: bob, method: "DELETE", path: "/api/team/members/" + daveID + "?team=alice", status: 200},

		patch("role of unknown user", alice, "usr_0000000000000000", `{"role":"viewer"}`, 404, nf, "member_not_found"),
		patch("role of a user of another team", alice, daveID, `{"role":"viewer"}`, 404, nf, "member_not_found"),
		patch("role missing", alice, carolID, `{}`, 400, inv, "missing_required_parameter"),
		patch("role bad", alice, carolID, `{"role":"boss"}`, 400, inv, "invalid_parameter"),
		patch("same role is a no-op", alice, carolID, `{"role":"developer"}`, 200, "", ""),
		del("remove unknown user", alice, "usr_0000000000000000", 404, nf, "member_not_found"),
		del("remove a user of another team", alice, daveID, 404, nf, "member_not_found"),

		patch("last owner cannot step down", alice, aliceID, `{"role":"admin"}`, 409, cf, "last_owner"),
		del("last owner cannot leave", alice, aliceID, 409, cf, "last_owner"),
		patch("promote bob to owner", alice, bobID, `{"role":"owner"}`, 200, "", ""),
		patch("now alice may step down", alice, aliceID, `{"role":"developer"}`, 200, "", ""),
		{name: "bob, last owner, cannot be demoted", client: bob, method: "PATCH", path: "/api/team/members/" + bobID + "?team=alice", body: `{"role":"admin"}`, status: 409, typ: cf, code: "last_owner"},
		{name: "bob, last owner, cannot leave", client: bob, method: "DELETE", path: "/api/team/members/" + bobID + "?team=alice", status: 409, typ: cf, code: "last_owner"},

		{name: "a developer leaves", client: carol, method: "DELETE", path: "/api/team/members/" + carolID + "?team=alice", status: 200},
		{name: "who left no longer sees the team", client: carol, method: "GET", path: "/api/team/members?team=alice", status: 404, typ: nf, code: "team_not_found"},
		{name: "the list after all that", client: bob, method: "GET", path: "/api/team/members?team=alice", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				l := decode[memberList](t, r)
				var got []string
				for _, m := range l.Members {
					got = append(got, m.Email+":"+string(m.Role))
				}
				want := []string{"alice@example.com:developer", "bob@example.com:owner"}
				if !slices.Equal(got, want) || l.Total != 2 {
					t.Errorf("members = %v (total %d), want %v", got, l.Total, want)
				}
			}},
	})
}

// Removing a member revokes their keys in that team at once; demoting one
// lowers what their keys can do at once.
func TestMemberChangesReachKeys(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	pub := publicServer(t, s)
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	s.Clock.Advance(time.Minute) // bob's own team stays his oldest, his default
	bobID := s.AddMember(t, alice, "bob@example.com", pome.RoleAdmin)
	r := s.Do(t, bob, "POST", "/api/keys?team=alice", nil, `{"name":"bob in alice"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	key := decode[pometest.CreatedKey](t, r)
	if key.Role != pome.RoleAdmin {
		t.Fatalf("bob's key role = %s, want admin (his role)", key.Role)
	}
	ownTeam := s.CreateKey(t, bob, "bob's own team")

	meRole := func(t *testing.T, k string) pome.Role {
		t.Helper()
		r := call(t, pub, "GET", "/v1/me", k)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /v1/me = %d %s", r.Status, r.Body)
		}
		var me struct {
			APIKey struct {
				Role pome.Role `json:"role"`
			} `json:"api_key"`
		}
		r.DecodeJSON(t, &me)
		return me.APIKey.Role
	}

	t.Run("demoted admin's key loses admin powers at once", func(t *testing.T) {
		if got := meRole(t, key.Key); got != pome.RoleAdmin { // warms the cache
			t.Fatalf("GET /v1/me role = %s, want admin", got)
		}
		if r := call(t, pub, "POST", "/v1/write", key.Key); r.Status != http.StatusOK {
			t.Fatalf("POST /v1/write as admin key = %d, want 200", r.Status)
		}
		if r := s.Do(t, alice, "PATCH", "/api/team/members/"+bobID, nil, `{"role":"viewer"}`); r.Status != http.StatusOK {
			t.Fatalf("demote bob: %d %s", r.Status, r.Body)
		}
		if got := meRole(t, key.Key); got != pome.RoleViewer {
			t.Errorf("GET /v1/me role after demotion = %s, want viewer (effective)", got)
		}
		r := call(t, pub, "POST", "/v1/write", key.Key)
		if r.Status != http.StatusForbidden || checkErrorBody(t, "POST /v1/write", r).Code != "insufficient_permissions" {
			t.Errorf("POST /v1/write after demotion = %d %s, want 403 insufficient_permissions", r.Status, r.Body)
		}
		// Promoted back, the key regains its own role, never more.
		if r := s.Do(t, alice, "PATCH", "/api/team/members/"+bobID, nil, `{"role":"owner"}`); r.Status != http.StatusOK {
			t.Fatalf("promote bob: %d %s", r.Status, r.Body)
		}
		if got := meRole(t, key.Key); got != pome.RoleAdmin {
			t.Errorf("GET /v1/me role after promotion to owner = %s, want admin (the key's own)", got)
		}
	})

	t.Run("removed member's keys answer 403 on the next request", func(t *testing.T) {
		meRole(t, key.Key) // cached
		r := s.Do(t, alice, "DELETE", "/api/team/members/"+bobID, nil, "")
		if r.Status != http.StatusOK {
			t.Fatalf("remove bob: %d %s", r.Status, r.Body)
		}
		var rm struct {
			RevokedKeys []string `json:"revoked_keys"`
		}
		r.DecodeJSON(t, &rm)
		if !slices.Equal(rm.RevokedKeys, []string{key.ID}) {
			t.Errorf("revoked_keys = %v, want [%s]", rm.RevokedKeys, key.ID)
		}
		r = call(t, pub, "GET", "/v1/me", key.Key)
		if r.Status != http.StatusForbidden || checkErrorBody(t, "GET /v1/me", r).Code != "key_revoked" {
			t.Errorf("GET /v1/me with a removed member's key = %d %s, want 403 key_revoked", r.Status, r.Body)
		}
		if got := meRole(t, ownTeam); got != pome.RoleOwner {
			t.Errorf("bob's key of his own team: role %s, want it untouched (owner)", got)
		}
	})
}
