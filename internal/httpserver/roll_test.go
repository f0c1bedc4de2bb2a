package httpserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

type rolledKey struct {
	pometest.CreatedKey
	RolledFrom string `json:"rolled_from"`
	OldKey     struct {
		ID        string     `json:"id"`
		ExpiresAt *time.Time `json:"expires_at"`
		Status    string     `json:"status"`
	} `json:"old_key"`
}

func mustRoll(t *testing.T, s *pometest.Server, c *http.Client, id, body string) rolledKey {
	t.Helper()
	r := s.Do(t, c, "POST", "/api/keys/"+id+"/roll", nil, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/keys/%s/roll %s = %d %s, want 201", id, body, r.Status, r.Body)
	}
	checkCommonHeaders(t, "POST roll", r) // Cache-Control: no-store on the plaintext
	return decode[rolledKey](t, r)
}

// meStatus is the status and error code GET /v1/me answers for key.
func meStatus(t *testing.T, s *pometest.Server, key string) (int, string) {
	t.Helper()
	r := s.Do(t, nil, "GET", "/v1/me", apiKey(key), "")
	if r.Status == http.StatusOK {
		return r.Status, ""
	}
	return r.Status, checkErrorBody(t, "GET /v1/me", r).Code
}

// A rolled key works during its grace and answers key_expired after it; the
// replacement works at once and keeps name, description and role.
func TestRollGrace(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	old := s.CreateKeyWith(t, alice, `{"name":"ci-prod","description":"the CI","role":"developer"}`)
	if st, _ := meStatus(t, s, old.Key); st != 200 {
		t.Fatalf("GET /v1/me before the roll = %d, want 200", st) // and cached
	}
	rolledAt := s.Now()

	runScenarios(t, s, []scenario{
		{name: "roll with the default grace", client: alice, method: "POST", path: "/api/keys/" + old.ID + "/roll", status: 201, golden: "key_rolled"},
	})
	// The golden body pins the shape; read the new key from the store's side.
	keys := decode[keyList](t, s.Do(t, alice, "GET", "/api/keys", nil, ""))
	if keys.Total != 2 {
		t.Fatalf("active keys after roll = %d, want the old (in grace) and the new", keys.Total)
	}

	r := mustRoll(t, s, alice, old.ID, `{"expire_old_in_hours":48}`) // a second roll never extends 24 h to 48 h
	if want := rolledAt.Add(24 * time.Hour); r.OldKey.ExpiresAt == nil || !r.OldKey.ExpiresAt.Equal(want) {
		t.Errorf("second roll: old_key.expires_at = %v, want %v (never extended)", r.OldKey.ExpiresAt, want)
	}
	if r.Name != "ci-prod" || r.Description != "the CI" || r.Role != pome.RoleDeveloper || r.RolledFrom != old.ID || r.ExpiresAt != nil {
		t.Errorf("replacement = %+v, want same name, description, role, no expiry, rolled_from %s", r, old.ID)
	}
	if st, _ := meStatus(t, s, r.Key); st != 200 {
		t.Errorf("GET /v1/me with the replacement = %d, want 200", st)
	}

	s.Clock.Advance(24*time.Hour - time.Second)
	if st, code := meStatus(t, s, old.Key); st != 200 {
		t.Errorf("old key 1 s before the grace ends = %d %s, want 200", st, code)
	}
	s.Clock.Advance(time.Second)
	if st, code := meStatus(t, s, old.Key); st != 403 || code != "key_expired" {
		t.Errorf("old key when the grace ends = %d %s, want 403 key_expired", st, code)
	}
	if st, _ := meStatus(t, s, r.Key); st != 200 {
		t.Errorf("replacement after the grace = %d, want 200", st)
	}
}

// Rolling never extends an earlier expiry, a zero grace ends the old key at
// once, and the replacement expires only if the roll says so.
func TestRollExpiry(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	k := s.CreateKeyWith(t, alice, `{"name":"short","expires_in_days":1}`)
	s.Clock.Advance(20 * time.Hour)

	r := mustRoll(t, s, alice, k.ID, `{"expire_old_in_hours":168}`)
	if r.OldKey.ExpiresAt == nil || !r.OldKey.ExpiresAt.Equal(*k.ExpiresAt) {
		t.Errorf("old_key.expires_at = %v, want its own earlier expiry %v", r.OldKey.ExpiresAt, k.ExpiresAt)
	}
	if want := s.Now().Add(24 * time.Hour); r.ExpiresAt == nil || !r.ExpiresAt.Equal(want) {
		t.Errorf("replacement expires_at = %v, want %v: the old key's lifetime (1 day) from the roll", r.ExpiresAt, want)
	}

	r2 := mustRoll(t, s, alice, r.ID, `{"expire_old_in_hours":0,"expires_in_days":30}`)
	if want := s.Now().AddDate(0, 0, 30); r2.ExpiresAt == nil || !r2.ExpiresAt.Equal(want) {
		t.Errorf("replacement expires_at = %v, want %v (expires_in_days 30)", r2.ExpiresAt, want)
	}
	if r2.OldKey.Status != "expired" {
		t.Errorf("old_key.status after a zero grace = %q, want expired", r2.OldKey.Status)
	}
	if st, code := meStatus(t, s, r.Key); st != 403 || code != "key_expired" {
		t.Errorf("key rolled with zero grace = %d %s, want 403 key_expired at once", st, code)
	}
	if st, _ := meStatus(t, s, r2.Key); st != 200 {
		t.Errorf("its replacement = %d, want 200", st)
	}
}

// A roll gives the replacement the old key's lifetime from the roll: a
// 90-day key rolled on day 80 is replaced by a 90-day key, also when the
// key rolled is itself in the grace of an earlier roll (whose expiry the
// grace shortened); a key that never expires is replaced by one that never
// does.
func TestRollKeepsLifetime(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	k := s.CreateKeyWith(t, alice, `{"name":"quarterly","expires_in_days":90}`)
	forever := s.CreateKeyWith(t, alice, `{"name":"forever"}`)
	s.Clock.Advance(80 * 24 * time.Hour)
	alice = s.Login(t, "alice@example.com") // the session ended meanwhile

	const ninety = 90 * 24 * time.Hour
	r := mustRoll(t, s, alice, k.ID, `{}`)
	if want := s.Now().Add(ninety); r.ExpiresAt == nil || !r.ExpiresAt.Equal(want) {
		t.Errorf("replacement of a 90-day key rolled on day 80: expires_at %v, want %v", r.ExpiresAt, want)
	}
	// The old key, in its 24-hour grace, rolled again.
	again := mustRoll(t, s, alice, k.ID, `{}`)
	if want := s.Now().Add(ninety); again.ExpiresAt == nil || !again.ExpiresAt.Equal(want) {
		t.Errorf("replacement of a key in its grace: expires_at %v, want %v (not the grace)", again.ExpiresAt, want)
	}
	if rf := mustRoll(t, s, alice, forever.ID, `{}`); rf.ExpiresAt != nil {
		t.Errorf("replacement of a key without expiry: expires_at %v, want none", rf.ExpiresAt)
	}
}

// The roll endpoint's refusals.
func TestRollRefusals(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	s.Clock.Advance(time.Minute)
	bobs := s.CreateKeyWith(t, bob, `{"name":"bob's"}`)
	s.AddMember(t, alice, "bob@example.com", pome.RoleAdmin)
	active := s.CreateKeyWith(t, alice, `{"name":"active"}`)
	revoked := s.CreateKeyWith(t, alice, `{"name":"revoked"}`)
	s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, "")
	expired := s.CreateKeyWith(t, alice, `{"name":"expired","expires_in_days":1}`)
	s.Clock.Advance(25 * time.Hour)

	roll := func(id string) string { return "/api/keys/" + id + "/roll" }
	const inv = "invalid_request_error"
	runScenarios(t, s, []scenario{
		{name: "revoked key", client: alice, method: "POST", path: roll(revoked.ID), status: 409, typ: inv, code: "key_not_active"},
		{name: "expired key", client: alice, method: "POST", path: roll(expired.ID), status: 409, typ: inv, code: "key_not_active"},
		{name: "other team's key", client: alice, method: "POST", path: roll(bobs.ID), status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "unknown key", client: alice, method: "POST", path: roll("key_0000000000000000"), status: 404, typ: "not_found_error", code: "key_not_found"},
		{name: "grace below 0", client: alice, method: "POST", path: roll(active.ID), body: `{"expire_old_in_hours":-1}`, status: 400, typ: inv, code: "invalid_parameter"},
		{name: "grace above 168", client: alice, method: "POST", path: roll(active.ID), body: `{"expire_old_in_hours":169}`, status: 400, typ: inv, code: "invalid_parameter"},
		{name: "grace not an integer", client: alice, method: "POST", path: roll(active.ID), body: `{"expire_old_in_hours":"24"}`, status: 400, typ: inv, code: "invalid_parameter"},
		{name: "expires_in_days 0", client: alice, method: "POST", path: roll(active.ID), body: `{"expires_in_days":0}`, status: 400, typ: inv, code: "invalid_parameter"},
		{name: "unknown field", client: alice, method: "POST", path: roll(active.ID), body: `{"grace":1}`, status: 400, typ: inv, code: "invalid_parameter"},
		{name: "without session", method: "POST", path: roll(active.ID), status: 401, typ: "authentication_error", code: "unauthorized"},
		// An admin may revoke an owner's key, but not mint an owner key.
		{name: "admin rolls the owner's owner key", client: bob, method: "POST", path: roll(active.ID) + "?team=alice", status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "grace 168 is allowed", client: alice, method: "POST", path: roll(active.ID), body: `{"expire_old_in_hours":168}`, status: 201},
		{name: "wrong method", client: alice, method: "GET", path: roll(active.ID), status: 405, typ: inv, code: "method_not_allowed"},
		{name: "usage 90 days", client: alice, method: "GET", path: "/api/keys/" + active.ID + "/usage?days=90", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if n := len(decode[usageBody](t, r).Days); n != 90 {
					t.Errorf("usage?days=90 = %d days, want 90", n)
				}
			}},
		{name: "usage 91 days", client: alice, method: "GET", path: "/api/keys/" + active.ID + "/usage?days=91", status: 400, typ: inv, code: "invalid_parameter"},
	})
}

type usageBody struct {
	Days []struct {
		Date  string `json:"date"`
		Count int64  `json:"count"`
	} `json:"days"`
}

// An admin who rolls a developer's key receives its plaintext: removing the
// admin from the team revokes that key at once, while the keys only the
// developer holds (the old one, which the roll left to expire, and the
// others) work on.
func TestRollIssuedToRoller(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	owner := s.Signup(t, "owner@example.com")
	dev := s.Signup(t, "dev@example.com")
	admin := s.Signup(t, "admin@example.com")
	s.AddMember(t, owner, "dev@example.com", pome.RoleDeveloper)
	adminID := s.AddMember(t, owner, "admin@example.com", pome.RoleAdmin)
	team := "?team=" + s.Session(t, owner).DefaultTeam
	create := func(name string) pometest.CreatedKey {
		r := s.Do(t, dev, "POST", "/api/keys"+team, nil, `{"name":"`+name+`"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST /api/keys = %d %s", r.Status, r.Body)
		}
		return decode[pometest.CreatedKey](t, r)
	}
	old, other := create("ci"), create("other")
	r := s.Do(t, admin, "POST", "/api/keys/"+old.ID+"/roll"+team, nil, `{}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("admin rolls the developer's key: %d %s", r.Status, r.Body)
	}
	rolled := decode[rolledKey](t, r)
	// The key is warm in the verifier's cache before the removal.
	if status, _ := meStatus(t, s, rolled.Key); status != http.StatusOK {
		t.Fatalf("GET /v1/me with the rolled key = %d, want 200", status)
	}

	r = s.Do(t, owner, "DELETE", "/api/team/members/"+adminID+team, nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("DELETE member admin = %d %s", r.Status, r.Body)
	}
	var removed struct {
		RevokedKeys []string `json:"revoked_keys"`
	}
	r.DecodeJSON(t, &removed)
	if len(removed.RevokedKeys) != 1 || removed.RevokedKeys[0] != rolled.ID {
		t.Errorf("revoked_keys = %v, want [%s]: the key whose plaintext the admin holds", removed.RevokedKeys, rolled.ID)
	}
	if status, code := meStatus(t, s, rolled.Key); status != http.StatusForbidden || code != "key_revoked" {
		t.Errorf("GET /v1/me with the key the removed admin rolled = %d %s, want 403 key_revoked", status, code)
	}
	for _, k := range []string{old.Key, other.Key} {
		if status, _ := meStatus(t, s, k); status != http.StatusOK {
			t.Errorf("GET /v1/me with a key only the developer holds = %d, want 200", status)
		}
	}
}

// A rolled key names its replacement (replaced_by) in every key object,
// and its page says it is rolling and links to the new key until its grace
// ends, then that it was replaced; the keys page marks it "rolling". A key
// never rolled, the replacement included, has replaced_by null.
func TestRollReplacedBy(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	old := s.CreateKeyWith(t, alice, `{"name":"ci-prod"}`)
	other := s.CreateKeyWith(t, alice, `{"name":"other"}`)
	repl := mustRoll(t, s, alice, old.ID, `{"expire_old_in_hours":2}`)
	replacedBy := func(id string) any {
		t.Helper()
		return decode[map[string]any](t, s.Do(t, alice, "GET", "/api/keys/"+id, nil, ""))["replaced_by"]
	}
	if got := replacedBy(old.ID); got != repl.ID {
		t.Errorf("replaced_by of the rolled key = %v, want %s", got, repl.ID)
	}
	for _, id := range []string{repl.ID, other.ID} {
		if got := replacedBy(id); got != nil {
			t.Errorf("replaced_by of %s, never rolled = %v, want null", id, got)
		}
	}

	rolling := "Rolling, replaced by " + `<a href="/keys/` + repl.ID
	page := getPage(t, s, alice, "GET", "/keys/"+old.ID, nil, "")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, rolling) || !strings.Contains(page.Body, `">in 2 hours</time>; from then on only the new key does.`) {
		t.Errorf("the rolled key's page = %d, want 200 with %q and when it stops working:\n%s", page.Status, rolling, page.Body)
	}
	if strings.Contains(page.Body, "data-expiry-warning") {
		t.Error("the rolled key's page asks for a roll (the expiry warning): its expiry is the grace")
	}
	if page := getPage(t, s, alice, "GET", "/keys/"+repl.ID, nil, ""); strings.Contains(page.Body, "data-replaced-by") {
		t.Error("the replacement's page says it is replaced")
	}
	list := getPage(t, s, alice, "GET", "/keys", nil, "")
	if n := strings.Count(list.Body, "data-rolling"); n != 1 {
		t.Errorf("keys marked rolling on the keys page = %d, want 1", n)
	}

	s.Clock.Advance(2 * time.Hour)
	page = getPage(t, s, alice, "GET", "/keys/"+old.ID, nil, "")
	if !strings.Contains(page.Body, "Replaced by "+`<a href="/keys/`+repl.ID) || strings.Contains(page.Body, "Rolling") {
		t.Errorf("the rolled key's page after its grace = %d, want \"Replaced by\" its replacement:\n%s", page.Status, page.Body)
	}
}
