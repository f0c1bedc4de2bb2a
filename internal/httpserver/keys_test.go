package httpserver_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

type keyList struct {
	Keys []struct {
		ID         string  `json:"id"`
		Name       string  `json:"name"`
		LastUsed   *string `json:"last_used"`
		UsageCount int64   `json:"usage_count"`
		Status     string  `json:"status"`
	} `json:"keys"`
	Total int `json:"total"`
}

// keyPage is a keyList with its cursor: nil on the last page.
type keyPage struct {
	keyList
	NextCursor *string `json:"next_cursor"`
}

// The key endpoints of docs/api.md: listing by status and team, creation and its
// validation, revocation, usage, and the answers without a session.
func TestKeys(t *testing.T) {
	t.Parallel()
	// Many creations in one minute of the fake clock: the limits have their
	// own tests (ratelimits_test.go).
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	tick := func() { s.Clock.Advance(time.Minute) } // distinct created_at: a stable newest-first order

	prod := s.CreateKeyWith(t, alice, `{"name":"Production API Key"}`)
	tick()
	staging := s.CreateKeyWith(t, alice, `{"name":"Staging","description":"for staging","expires_in_days":30,"role":"viewer"}`)
	tick()
	old := s.CreateKeyWith(t, alice, `{"name":"Old"}`)
	tick()
	short := s.CreateKeyWith(t, alice, `{"name":"Short-lived","expires_in_days":1}`)
	tick()
	bobs := s.CreateKeyWith(t, bob, `{"name":"Bob's key"}`)
	if r := s.Do(t, alice, "DELETE", "/api/keys/"+old.ID, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("DELETE /api/keys/%s status = %d, want 200", old.ID, r.Status)
	}
	s.Clock.Advance(25 * time.Hour) // Short-lived expires
	if r := s.Do(t, nil, "GET", "/v1/me", apiKey(prod.Key), ""); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/me status = %d, want 200", r.Status)
	}
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatalf("Meter.Flush() = %v", err)
	}

	invalid := func(code string) scenario {
		return scenario{client: alice, method: "POST", path: "/api/keys", status: 400, typ: "invalid_request_error", code: code}
	}
	with := func(sc scenario, name, body string) scenario { sc.name, sc.body = name, body; return sc }
	long := func(n int) string { return strings.Repeat("x", n) }

	// A key read alone is byte for byte its entry in the list.
	asListed := func(t *testing.T, r *pometest.Response) {
		t.Helper()
		var list struct {
			Keys []json.RawMessage `json:"keys"`
		}
		s.Do(t, alice, "GET", "/api/keys?status=all", nil, "").DecodeJSON(t, &list)
		id := decode[struct {
			ID string `json:"id"`
		}](t, r).ID
		for _, k := range list.Keys {
			if strings.Contains(string(k), `"id":"`+id+`"`) {
				if !bytes.Equal(bytes.TrimSpace(r.Body), k) {
					t.Errorf("GET /api/keys/%s = %s, want its list entry %s", id, r.Body, k)
				}
				return
			}
		}
		t.Errorf("GET /api/keys?status=all lacks %s", id)
	}
	get := func(name string, k pometest.CreatedKey) scenario {
		return scenario{name: name, client: alice, method: "GET", path: "/api/keys/" + k.ID, status: 200, check: asListed}
	}

	runScenarios(t, s, []scenario{
		{name: "get used key", client: alice, method: "GET", path: "/api/keys/" + prod.ID, status: 200, golden: "key", check: asListed},
		get("get key with expiry and description", staging),
		get("get revoked key", old),
		get("get expired key", short),
		{name: "get in own team by slug", client: alice, method: "GET", path: "/api/keys/" + prod.ID + "?team=alice", status: 200, check: asListed},
		{name: "get other team's key", client: alice, method: "GET", path: "/api/keys/" + bobs.ID, status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "get own key in other team", client: alice, method: "GET", path: "/api/keys/" + prod.ID + "?team=bob", status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "get unknown key", client: alice, method: "GET", path: "/api/keys/key_0000000000000000", status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "bob gets his key", client: bob, method: "GET", path: "/api/keys/" + bobs.ID, status: 200},

		{name: "list active", client: alice, method: "GET", path: "/api/keys", status: 200, golden: "keys_active"},
		{name: "list revoked", client: alice, method: "GET", path: "/api/keys?status=revoked", status: 200, golden: "keys_revoked"},
		{name: "list expired", client: alice, method: "GET", path: "/api/keys?status=expired", status: 200, golden: "keys_expired"},
		{name: "list all", client: alice, method: "GET", path: "/api/keys?status=all", status: 200, golden: "keys_all"},
		{name: "list bad status", client: alice, method: "GET", path: "/api/keys?status=bogus", status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "list status with NUL", client: alice, method: "GET", path: "/api/keys?status=active%00", status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "list limit 0", client: alice, method: "GET", path: "/api/keys?limit=0", status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'limit' must be 1 to 100"},
		{name: "list limit 101", client: alice, method: "GET", path: "/api/keys?limit=101", status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'limit' must be 1 to 100"},
		{name: "list limit not a number", client: alice, method: "GET", path: "/api/keys?limit=ten", status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'limit' must be 1 to 100"},
		{name: "list limit with NUL", client: alice, method: "GET", path: "/api/keys?limit=5%00", status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'limit' must be 1 to 100"},
		{name: "list bad cursor", client: alice, method: "GET", path: "/api/keys?cursor=bogus", status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'cursor' is not a cursor of this listing"},
		{name: "list cursor with NUL", client: alice, method: "GET", path: "/api/keys?cursor=%00", status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'cursor' is not a cursor of this listing"},
		{name: "list cursor of invalid UTF-8", client: alice, method: "GET", path: "/api/keys?cursor=%FF%FE", status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'cursor' is not a cursor of this listing"},
		{name: "list audit cursor", client: alice, method: "GET", path: "/api/keys?cursor=" + pome.EncodeCursor("a1.", "1"), status: 400, typ: "invalid_request_error", code: "invalid_parameter", message: "'cursor' is not a cursor of this listing"},
		{name: "list limit 1", client: alice, method: "GET", path: "/api/keys?status=all&limit=1", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if l := decode[keyPage](t, r); len(l.Keys) != 1 || l.Total != 4 || l.NextCursor == nil {
					t.Errorf("GET /api/keys?status=all&limit=1 = %d keys of %d, next %v; want 1 of 4 and a next_cursor", len(l.Keys), l.Total, l.NextCursor)
				}
			}},
		{name: "list last page has a null cursor", client: alice, method: "GET", path: "/api/keys?status=all&limit=4", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if !strings.Contains(string(r.Body), `"next_cursor":null`) {
					t.Errorf("GET /api/keys?status=all&limit=4 = %s, want next_cursor null", r.Body)
				}
			}},
		{name: "list own team by slug", client: alice, method: "GET", path: "/api/keys?team=alice", status: 200, golden: "keys_active"},
		{name: "list other team", client: alice, method: "GET", path: "/api/keys?team=bob", status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "list unknown team", client: alice, method: "GET", path: "/api/keys?team=nobody", status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "list other team's keys stay apart", client: bob, method: "GET", path: "/api/keys", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if l := decode[keyList](t, r); l.Total != 1 || l.Keys[0].ID != bobs.ID {
					t.Errorf("GET /api/keys as bob = %+v, want only %s", l, bobs.ID)
				}
			}},

		{name: "create minimal", client: alice, method: "POST", path: "/api/keys", body: `{"name":"My New API Key"}`, status: 201, golden: "key_created"},
		{name: "create full", client: alice, method: "POST", path: "/api/keys", body: `{"name":"Full","description":"all options","expires_in_days":3650,"role":"admin"}`, status: 201, golden: "key_created_full"},
		{name: "create in team by slug", client: alice, method: "POST", path: "/api/keys?team=alice", body: `{"name":"By slug"}`, status: 201},
		{name: "create in other team", client: alice, method: "POST", path: "/api/keys?team=bob", body: `{"name":"Intruder"}`, status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "create name 100 chars", client: alice, method: "POST", path: "/api/keys", body: `{"name":"` + long(100) + `"}`, status: 201},
		{name: "create description 500 chars", client: alice, method: "POST", path: "/api/keys", body: `{"name":"d","description":"` + long(500) + `"}`, status: 201},
		{name: "create charset json", client: alice, method: "POST", path: "/api/keys", header: hdr("Content-Type", "application/json; charset=utf-8"), body: `{"name":"cs"}`, status: 201},
		func() scenario {
			sc := with(invalid("missing_required_parameter"), "create missing name", `{"description":"no name"}`)
			sc.message = "Missing required parameter: 'name'"
			return sc
		}(),
		with(invalid("missing_required_parameter"), "create empty name", `{"name":""}`),
		with(invalid("missing_required_parameter"), "create null name", `{"name":null}`),
		with(invalid("invalid_parameter"), "create name 101 chars", `{"name":"`+long(101)+`"}`),
		with(invalid("invalid_parameter"), "create description 501 chars", `{"name":"d","description":"`+long(501)+`"}`),
		with(invalid("invalid_parameter"), "create expires_in_days 0", `{"name":"e","expires_in_days":0}`),
		with(invalid("invalid_parameter"), "create expires_in_days 3651", `{"name":"e","expires_in_days":3651}`),
		with(invalid("invalid_parameter"), "create expires_in_days fraction", `{"name":"e","expires_in_days":1.5}`),
		with(invalid("invalid_parameter"), "create unknown role", `{"name":"r","role":"superuser"}`),
		with(invalid("invalid_parameter"), "create unknown field", `{"name":"u","permissions":["all"]}`),
		with(invalid("invalid_json"), "create malformed JSON", `{"name":`),
		with(invalid("invalid_json"), "create trailing data", `{"name":"t"} x`),
		with(invalid("invalid_json"), "create two objects", `{"name":"t"}{"name":"u"}`),
		with(invalid("invalid_json"), "create array", `[{"name":"a"}]`),
		func() scenario {
			sc := with(invalid("invalid_json"), "create empty body", ``)
			sc.header = hdr("Content-Type", "application/json")
			return sc
		}(),
		func() scenario {
			sc := with(invalid("invalid_parameter"), "create wrong type names field", `{"name":42}`)
			sc.message = "'name' must be a string"
			return sc
		}(),
		func() scenario {
			sc := with(invalid("invalid_parameter"), "create wrong type expires_in_days", `{"name":"w","expires_in_days":"30"}`)
			sc.message = "'expires_in_days' must be an integer"
			return sc
		}(),
		{name: "create text/plain", client: alice, method: "POST", path: "/api/keys", header: hdr("Content-Type", "text/plain"), body: `{"name":"t"}`, status: 415, typ: "invalid_request_error", code: "unsupported_media_type"},
		{name: "create no content type", client: alice, method: "POST", path: "/api/keys", header: http.Header{"Content-Type": nil}, body: `{"name":"t"}`, status: 415, typ: "invalid_request_error", code: "unsupported_media_type"},
		{name: "create body over 64 KiB", client: alice, method: "POST", path: "/api/keys", body: `{"name":"big","description":"` + long(64<<10) + `"}`, status: 413, typ: "invalid_request_error", code: "body_too_large"},

		{name: "revoke", client: alice, method: "DELETE", path: "/api/keys/" + prod.ID, status: 200, golden: "key_revoked"},
		{name: "revoked key refused at once", method: "GET", path: "/v1/me", header: apiKey(prod.Key), status: 403, typ: "permission_error", code: "key_revoked"},
		{name: "revoke again", client: alice, method: "DELETE", path: "/api/keys/" + prod.ID, status: 200, golden: "key_revoked"},
		{name: "revoke other team's key", client: alice, method: "DELETE", path: "/api/keys/" + bobs.ID, status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "revoke unknown key", client: alice, method: "DELETE", path: "/api/keys/key_0000000000000000", status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "other team's key still works", method: "GET", path: "/v1/me", header: apiKey(bobs.Key), status: 200},

		{name: "usage default 30 days", client: alice, method: "GET", path: "/api/keys/" + prod.ID + "/usage", status: 200, golden: "key_usage_30"},
		{name: "usage 7 days", client: alice, method: "GET", path: "/api/keys/" + prod.ID + "/usage?days=7", status: 200, golden: "key_usage_7"},
		{name: "usage days 0", client: alice, method: "GET", path: "/api/keys/" + prod.ID + "/usage?days=0", status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "usage days not a number", client: alice, method: "GET", path: "/api/keys/" + prod.ID + "/usage?days=x", status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "usage other team's key", client: alice, method: "GET", path: "/api/keys/" + bobs.ID + "/usage", status: 404, typ: "not_found_error", code: "key_not_found"},

		{name: "list without session", method: "GET", path: "/api/keys", status: 401, typ: "authentication_error", code: "unauthorized", message: "Authentication required"},
		{name: "get without session", method: "GET", path: "/api/keys/" + bobs.ID, status: 401, typ: "authentication_error", code: "unauthorized"},
		{name: "create without session", method: "POST", path: "/api/keys", body: `{"name":"x"}`, status: 401, typ: "authentication_error", code: "unauthorized"},
		{name: "revoke without session", method: "DELETE", path: "/api/keys/" + bobs.ID, status: 401, typ: "authentication_error", code: "unauthorized"},
		{name: "usage without session", method: "GET", path: "/api/keys/" + bobs.ID + "/usage", status: 401, typ: "authentication_error", code: "unauthorized"},
		{name: "bad session cookie", method: "GET", path: "/api/keys", header: hdr("Cookie", "pome_session=forged"), status: 401, typ: "authentication_error", code: "unauthorized"},
	})
}

// roleStore reports every membership with the role it holds, to act as a
// member below owner (the API to add members comes later).
type roleStore struct {
	pome.Store
	role atomic.Value // pome.Role
}

func (s *roleStore) Memberships(ctx context.Context, userID string) ([]pome.Membership, error) {
	ms, err := s.Store.Memberships(ctx, userID)
	for i := range ms {
		ms[i].Role = s.role.Load().(pome.Role)
	}
	return ms, err
}

// A key never outranks its creator, and a viewer member manages no keys.
func TestKeysRoles(t *testing.T) {
	t.Parallel()
	rs := &roleStore{}
	rs.role.Store(pome.RoleOwner)
	s := pometest.NewServer(t, pometest.WithStoreWrapper(func(next pome.Store) pome.Store {
		rs.Store = next
		return rs
	}))
	dev := s.Signup(t, "dev@example.com")
	rs.role.Store(pome.RoleDeveloper)

	runScenarios(t, s, []scenario{
		{name: "developer creates developer key", client: dev, method: "POST", path: "/api/keys", body: `{"name":"d","role":"developer"}`, status: 201},
		{name: "developer creates viewer key", client: dev, method: "POST", path: "/api/keys", body: `{"name":"v","role":"viewer"}`, status: 201},
		{name: "developer key defaults to creator role", client: dev, method: "POST", path: "/api/keys", body: `{"name":"dflt"}`, status: 201,
			check: func(t *testing.T, r *pometest.Response) {
				if got := decode[pometest.CreatedKey](t, r).Role; got != pome.RoleDeveloper {
					t.Errorf("POST /api/keys role = %q, want developer", got)
				}
			}},
		{name: "role above creator", client: dev, method: "POST", path: "/api/keys", body: `{"name":"a","role":"admin"}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "role owner above creator", client: dev, method: "POST", path: "/api/keys", body: `{"name":"o","role":"owner"}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
	})
	rs.role.Store(pome.RoleViewer)
	runScenarios(t, s, []scenario{
		{name: "viewer member creates", client: dev, method: "POST", path: "/api/keys", body: `{"name":"x"}`, status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "viewer member lists", client: dev, method: "GET", path: "/api/keys", status: 403, typ: "permission_error", code: "insufficient_permissions"},
	})
}

type usageDays struct {
	Days []struct {
		Date  string `json:"date"`
		Count int64  `json:"count"`
	} `json:"days"`
}

// counts is the days' counts, oldest first.
func (u usageDays) counts() []int64 {
	var n []int64
	for _, d := range u.Days {
		n = append(n, d.Count)
	}
	return n
}

// GET /api/usage is the sum of the daily usage of the team's keys: for an
// owner every key, revoked and expired ones included, day by day the sum of
// GET /api/keys/{id}/usage over the keys GET /api/keys lists; for a
// developer their own keys only; never another team's keys; a viewer may not
// read it. A flush's counts show at once, and the same once compacted.
func TestTeamUsage(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	carol := s.Signup(t, "carol@example.com")
	dave := s.Signup(t, "dave@example.com")
	s.AddMember(t, alice, "carol@example.com", pome.RoleDeveloper)
	s.AddMember(t, alice, "dave@example.com", pome.RoleViewer)
	const team = "?team=alice"
	inAlices := func(c *http.Client, body string) pometest.CreatedKey {
		t.Helper()
		r := s.Do(t, c, "POST", "/api/keys"+team, nil, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST /api/keys%s %s status = %d, want 201; body %s", team, body, r.Status, r.Body)
		}
		return decode[pometest.CreatedKey](t, r)
	}
	alices := inAlices(alice, `{"name":"alice's"}`)
	expiring := inAlices(alice, `{"name":"expiring","expires_in_days":1}`)
	carols := inAlices(carol, `{"name":"carol's"}`)
	revoked := inAlices(carol, `{"name":"revoked"}`)
	bobs := s.CreateKeyWith(t, bob, `{"name":"bob's"}`)
	use := func(k pometest.CreatedKey, n int) {
		t.Helper()
		for range n {
			if r := s.Do(t, nil, "GET", "/v1/me", apiKey(k.Key), ""); r.Status != http.StatusOK {
				t.Fatalf("GET /v1/me with %s status = %d, want 200", k.Name, r.Status)
			}
		}
	}
	flush := func() {
		t.Helper()
		if err := s.Meter.Flush(t.Context()); err != nil {
			t.Fatalf("Meter.Flush() = %v", err)
		}
	}
	use(alices, 2)
	use(expiring, 1)
	use(carols, 3)
	use(revoked, 1)
	use(bobs, 5)
	flush()
	s.Clock.Advance(24 * time.Hour) // expiring is expired from now on
	use(alices, 1)
	use(carols, 1)
	use(revoked, 2)
	use(bobs, 1)
	if r := s.Do(t, carol, "DELETE", "/api/keys/"+revoked.ID+team, nil, ""); r.Status != http.StatusOK {
		t.Fatalf("DELETE /api/keys/%s status = %d, want 200", revoked.ID, r.Status)
	}
	flush()
	s.Clock.Advance(24 * time.Hour)
	use(alices, 4)
	flush()

	// sumOfKeys is, day by day, the usage of every key c lists in the team.
	sumOfKeys := func(t *testing.T, c *http.Client, days int) []int64 {
		t.Helper()
		sum := make([]int64, days)
		for _, k := range decode[keyList](t, s.Do(t, c, "GET", "/api/keys"+team+"&status=all", nil, "")).Keys {
			path := fmt.Sprintf("/api/keys/%s/usage%s&days=%d", k.ID, team, days)
			for i, n := range decode[usageDays](t, s.Do(t, c, "GET", path, nil, "")).counts() {
				sum[i] += n
			}
		}
		return sum
	}
	wantCounts := func(c *http.Client, want []int64) func(t *testing.T, r *pometest.Response) {
		return func(t *testing.T, r *pometest.Response) {
			got := decode[usageDays](t, r).counts()
			if !slices.Equal(got, want) {
				t.Errorf("GET /api/usage = %v, want %v", got, want)
			}
			if keys := sumOfKeys(t, c, len(want)); !slices.Equal(got, keys) {
				t.Errorf("GET /api/usage = %v, want the sum of the keys' usage %v", got, keys)
			}
		}
	}
	const inv = "invalid_request_error"
	runScenarios(t, s, []scenario{
		{name: "owner, every key", client: alice, method: "GET", path: "/api/usage?days=3", status: 200, golden: "team_usage_3",
			check: wantCounts(alice, []int64{7, 4, 4})},
		{name: "developer, own keys", client: carol, method: "GET", path: "/api/usage" + team + "&days=3", status: 200,
			check: wantCounts(carol, []int64{4, 3, 0})},
		{name: "another team", client: bob, method: "GET", path: "/api/usage?days=3", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if got, want := decode[usageDays](t, r).counts(), []int64{5, 1, 0}; !slices.Equal(got, want) {
					t.Errorf("GET /api/usage as bob = %v, want %v", got, want)
				}
			}},
		{name: "default 30 days", client: alice, method: "GET", path: "/api/usage", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				u := decode[usageDays](t, r)
				today := s.Now().UTC().Format(time.DateOnly)
				if len(u.Days) != 30 || u.Days[29].Date != today || u.Days[27].Count != 7 {
					t.Errorf("GET /api/usage = %+v, want 30 days ending %s, 7 two days ago", u, today)
				}
			}},
		{name: "90 days", client: alice, method: "GET", path: "/api/usage?days=90", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if n := len(decode[usageDays](t, r).Days); n != 90 {
					t.Errorf("GET /api/usage?days=90 = %d days, want 90", n)
				}
			}},
		{name: "viewer", client: dave, method: "GET", path: "/api/usage" + team, status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "days 0", client: alice, method: "GET", path: "/api/usage?days=0", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "days 91", client: alice, method: "GET", path: "/api/usage?days=91", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "days negative", client: alice, method: "GET", path: "/api/usage?days=-1", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "days not a number", client: alice, method: "GET", path: "/api/usage?days=x", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "team the user is not in", client: alice, method: "GET", path: "/api/usage?team=bob", status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "without session", method: "GET", path: "/api/usage", status: 401, typ: "authentication_error", code: "unauthorized"},
	})

	// A flush's counts show as soon as it returns, and the same once the
	// store has folded them.
	use(carols, 6)
	flush()
	read := func() []int64 {
		t.Helper()
		return decode[usageDays](t, s.Do(t, alice, "GET", "/api/usage?days=3", nil, "")).counts()
	}
	if got, want := read(), []int64{7, 4, 10}; !slices.Equal(got, want) {
		t.Errorf("GET /api/usage right after a flush = %v, want %v", got, want)
	}
	if err := s.DB.CompactUsage(t.Context(), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("CompactUsage() = %v", err)
	}
	if got, want := read(), []int64{7, 4, 10}; !slices.Equal(got, want) {
		t.Errorf("GET /api/usage after compaction = %v, want %v", got, want)
	}
}

// GET /api/keys pages by cursor: a team with more keys than a page lists
// each key exactly once across pages, newest first, with the total of
// every page on each; the status filter holds on every page; a cursor is
// only a position, so another team's session reads its own keys with it.
func TestKeyPages(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	bobKey := s.CreateKeyWith(t, bob, `{"name":"bob's oldest"}`)
	type created struct {
		id   string
		tick int
	}
	var all, gone []created
	for i := range 120 {
		if i%2 == 0 {
			s.Clock.Advance(time.Millisecond) // pairs created in the same millisecond
		}
		k := created{s.CreateKeyWith(t, alice, fmt.Sprintf(`{"name":"k%03d"}`, i)).ID, i / 2}
		all = append(all, k)
		if i%7 == 0 {
			if r := s.Do(t, alice, "DELETE", "/api/keys/"+k.id, nil, ""); r.Status != http.StatusOK {
				t.Fatalf("DELETE /api/keys/%s = %d", k.id, r.Status)
			}
			gone = append(gone, k)
		}
	}
	s.Clock.Advance(time.Millisecond)
	s.CreateKeyWith(t, bob, `{"name":"bob's newest"}`)
	// Newest first: by creation time, then by id, descending.
	newestFirst := func(ks []created) []string {
		ks = slices.Clone(ks)
		slices.SortFunc(ks, func(a, b created) int { return cmp.Or(b.tick-a.tick, strings.Compare(b.id, a.id)) })
		ids := make([]string, len(ks))
		for i, k := range ks {
			ids[i] = k.id
		}
		return ids
	}
	want, revoked := newestFirst(all), newestFirst(gone)

	walk := func(c *http.Client, query string) (ids []string, pages []int, last keyPage) {
		t.Helper()
		path := "/api/keys?" + query
		for range 200 {
			r := s.Do(t, c, "GET", path, nil, "")
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s = %d %s", path, r.Status, r.Body)
			}
			last = decode[keyPage](t, r)
			pages = append(pages, len(last.Keys))
			for _, k := range last.Keys {
				ids = append(ids, k.ID)
			}
			if last.NextCursor == nil {
				return ids, pages, last
			}
			path = "/api/keys?" + query + "&cursor=" + *last.NextCursor
		}
		t.Fatalf("GET /api/keys?%s: no last page after 200", query)
		return
	}
	for _, tc := range []struct {
		query string
		want  []string
		pages []int
	}{
		{"status=all", want, []int{50, 50, 20}},
		{"status=all&limit=100", want, []int{100, 20}},
		{"status=all&limit=7", want, nil},
		{"status=revoked&limit=5", revoked, []int{5, 5, 5, 3}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got, pages, last := walk(alice, tc.query)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("GET /api/keys?%s pages list %d keys %v, want %d %v", tc.query, len(got), got, len(tc.want), tc.want)
			}
			if tc.pages != nil && !slices.Equal(pages, tc.pages) {
				t.Errorf("GET /api/keys?%s page sizes = %v, want %v", tc.query, pages, tc.pages)
			}
			if last.Total != len(tc.want) {
				t.Errorf("GET /api/keys?%s total = %d, want %d", tc.query, last.Total, len(tc.want))
			}
		})
	}
	// Alice's cursor in Bob's session: Bob's keys older than that position
	// (his oldest), none of Alice's.
	r := s.Do(t, alice, "GET", "/api/keys?limit=1", nil, "")
	cursor := decode[keyPage](t, r).NextCursor
	if cursor == nil {
		t.Fatalf("GET /api/keys?limit=1 = %s, want a next_cursor", r.Body)
	}
	got, _, last := walk(bob, "cursor="+*cursor)
	if len(got) != 1 || got[0] != bobKey.ID || last.Total != 2 {
		t.Errorf("Bob with Alice's cursor lists %v of %d, want [%s] of 2", got, last.Total, bobKey.ID)
	}
}
