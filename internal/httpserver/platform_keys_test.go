package httpserver_test

import (
	"strings"
	"testing"

	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// The platform API's keys on the wire: what the SDK cannot send or tell
// apart (null against absent, an empty body, unknown fields, ids of other
// shapes, a null next_cursor).
func TestPlatformKeysWire(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	tok := bearer(mustServiceToken(t, s, "platform", "all").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", tok, `{"name": "Acme"}`))
	keysPath := "/v1/teams/" + team.ID + "/keys"
	created := decode[client.CreatedKey](t, s.Do(t, nil, "POST", keysPath, tok,
		`{"name": "prod", "rate_limit": {"limit": 100, "window_seconds": 60}, "scopes": ["docs:read"], "meta": {"plan": "gold"}}`))
	if created.RateLimit == nil || created.Role != "developer" {
		t.Fatalf("POST %s = %+v", keysPath, created)
	}
	keyPath := "/v1/keys/" + created.ID
	runScenarios(t, s, []scenario{
		{name: "unknown field", method: "POST", path: keysPath, header: tok, body: `{"name": "x", "owner": "bob"}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "unknown field of PATCH", method: "PATCH", path: keyPath, header: tok, body: `{"owner": "bob"}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "empty PATCH", method: "PATCH", path: keyPath, header: tok, body: `{}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "malformed team id", method: "GET", path: "/v1/teams/acme/keys", header: tok,
			status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "a key id as team id", method: "POST", path: "/v1/teams/" + created.ID + "/keys", header: tok, body: `{"name": "x"}`,
			status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "a team id as key id", method: "GET", path: "/v1/keys/" + team.ID, header: tok,
			status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "malformed key id", method: "DELETE", path: "/v1/keys/key_%00", header: tok,
			status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "bad limit", method: "GET", path: keysPath + "?limit=101", header: tok,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'limit' must be 1 to 100"},
		{name: "bad status", method: "GET", path: keysPath + "?status=gone", header: tok,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		// Verify's path keeps its one method under GET /v1/keys/{id}.
		{name: "GET /v1/keys/verify", method: "GET", path: "/v1/keys/verify", header: tok,
			status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("POST")},
		{name: "DELETE /v1/keys/verify", method: "DELETE", path: "/v1/keys/verify", header: tok,
			status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("POST")},
		{name: "PUT /v1/keys/verify", method: "PUT", path: "/v1/keys/verify", header: tok, body: `{}`,
			status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("POST")},
		// So does report-leak's.
		{name: "GET /v1/keys/report-leak", method: "GET", path: "/v1/keys/report-leak", header: tok,
			status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("POST")},
		{name: "PUT /v1/keys/{id}", method: "PUT", path: keyPath, header: tok, body: `{}`,
			status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("GET, HEAD, PATCH, DELETE")},
		// Absent is unchanged, null clears.
		{name: "PATCH name only", method: "PATCH", path: keyPath, header: tok, body: `{"name": "prod-2"}`, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				k := decode[client.Key](t, r)
				if k.Name != "prod-2" || k.RateLimit == nil || len(k.Scopes) != 1 || string(k.Meta) != `{"plan":"gold"}` {
					t.Errorf("after PATCH {name} = %+v; want the rest unchanged", k)
				}
			}},
		{name: "PATCH nulls", method: "PATCH", path: keyPath, header: tok, body: `{"rate_limit": null, "scopes": null, "meta": null}`, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				k := decode[client.Key](t, r)
				if k.Name != "prod-2" || k.RateLimit != nil || len(k.Scopes) != 0 || string(k.Meta) != `{}` {
					t.Errorf("after PATCH nulls = %+v; want rate_limit, scopes and meta cleared, the name kept", k)
				}
				if !strings.Contains(string(r.Body), `"rate_limit":null`) || !strings.Contains(string(r.Body), `"scopes":[]`) {
					t.Errorf("body = %s; want rate_limit null and scopes []", r.Body)
				}
			}},
		{name: "enabled null", method: "PATCH", path: keyPath, header: tok, body: `{"enabled": null}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "roll without a body", method: "POST", path: keyPath + "/roll", header: tok, status: 201,
			check: func(t *testing.T, r *pometest.Response) {
				if k := decode[client.RolledKey](t, r); k.RolledFrom != created.ID || k.Name != "prod-2" {
					t.Errorf("roll = %+v", k)
				}
				if got := r.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("roll Cache-Control = %q, want no-store", got)
				}
			}},
		{name: "list: null next_cursor on the last page", method: "GET", path: keysPath + "?status=all", header: tok, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if !strings.HasSuffix(strings.TrimSpace(string(r.Body)), `"next_cursor":null}`) || strings.Contains(string(r.Body), `"total"`) {
					t.Errorf("list body = %s; want next_cursor null and no total", r.Body)
				}
				if l := decode[client.PlatformKeyList](t, r); len(l.Keys) != 2 {
					t.Errorf("list = %d keys, want the key and its replacement", len(l.Keys))
				}
			}},
		{name: "list: a cursor of another listing", method: "GET", path: keysPath + "?cursor=a1.xyz", header: tok,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "a plaintext is never in a read", method: "GET", path: keyPath, header: tok, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if strings.Contains(string(r.Body), created.Key) || strings.Contains(string(r.Body), `"key"`) {
					t.Errorf("GET %s = %s; holds a plaintext", keyPath, r.Body)
				}
			}},
	})
}

// allow checks the Allow header of a 405.
func allow(want string) func(t *testing.T, r *pometest.Response) {
	return func(t *testing.T, r *pometest.Response) {
		if got := r.Header.Get("Allow"); got != want {
			t.Errorf("Allow = %q, want %q", got, want)
		}
	}
}
