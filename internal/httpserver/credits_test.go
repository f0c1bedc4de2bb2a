package httpserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// Credits on every surface: the key object, /v1/me and the gateway (429
// quota_exceeded with Retry-After until the refill, the identity header),
// the verify endpoint's cost and answer, and PATCH's set and increment,
// which only service tokens may use to add.
func TestCredits(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up) // its clock stands at pometest.Epoch, 10:00 UTC
	tok := bearer(mustServiceToken(t, s, "platform", "all").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", tok, `{"name": "Acme"}`))
	created := decode[client.CreatedKey](t, s.Do(t, nil, "POST", "/v1/teams/"+team.ID+"/keys", tok,
		`{"name": "metered", "credits": {"remaining": 3, "refill": {"interval": "daily", "amount": 5}}}`))
	if c := created.Credits; c == nil || c.Remaining != 3 || c.Refill == nil || c.Refill.Interval != "daily" || c.Refill.Amount != 5 {
		t.Fatalf("created credits = %+v, want 3 with a daily refill of 5", created.Credits)
	}
	key := hdr("X-API-KEY", created.Key)
	keyPath := "/v1/keys/" + created.ID

	// The gateway tells the upstream what is left after the request.
	for want := 2; want >= 1; want-- {
		r := s.Do(t, nil, "GET", "/echo", key, "")
		got := decode[seen](t, r).Header.Get("Pome-Credits-Remaining")
		if r.Status != http.StatusOK || got != fmt.Sprint(want) {
			t.Fatalf("gateway: %d, Pome-Credits-Remaining %q; want 200 and %d", r.Status, got, want)
		}
	}
	if r := s.Do(t, nil, "GET", "/v1/me", key, ""); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/me with the last credit = %d, want 200", r.Status)
	}
	hits := up.hits.Load()
	for _, path := range []string{"/v1/me", "/echo"} {
		r := s.Do(t, nil, "GET", path, key, "")
		e := checkErrorBody(t, path, r)
		if r.Status != http.StatusTooManyRequests || e.Type != "rate_limit_error" || e.Code != "quota_exceeded" {
			t.Fatalf("GET %s at 0 credits = %d %s/%s, want 429 rate_limit_error/quota_exceeded", path, r.Status, e.Type, e.Code)
		}
		// 14 hours to midnight UTC, the refill.
		if got := r.Header.Get("Retry-After"); got != "50400" {
			t.Errorf("GET %s: Retry-After = %q, want 50400 (the refill at 00:00 UTC)", path, got)
		}
	}
	if up.hits.Load() != hits {
		t.Error("a request refused for want of credits reached the upstream")
	}
	// What the node spent reaches the store at its next settle (every
	// second on a running node).
	if err := s.Credits.Flush(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if k := decode[client.Key](t, s.Do(t, nil, "GET", keyPath, tok, "")); k.Credits == nil || k.Credits.Remaining != 0 {
		t.Errorf("GET %s credits = %+v, want 0 left", keyPath, k.Credits)
	}

	// The platform adds; the next request on this node is served.
	if k := decode[client.Key](t, s.Do(t, nil, "PATCH", keyPath, tok, `{"credits": {"increment": 10}}`)); k.Credits.Remaining != 10 {
		t.Fatalf("PATCH increment 10 at 0: credits = %+v, want 10", k.Credits)
	}
	verify := func(body string) client.Verification {
		t.Helper()
		return decode[client.Verification](t, s.Do(t, nil, "POST", "/v1/keys/verify", tok, body))
	}
	k := fmt.Sprintf(`"key": %q`, created.Key)
	for _, tc := range []struct {
		body      string
		code      string
		remaining int64
	}{
		{`{` + k + `, "cost": 4}`, client.VerifyValid, 6},
		{`{` + k + `, "cost": 7}`, client.VerifyQuotaExceeded, 6},
		{`{` + k + `, "cost": 0}`, client.VerifyValid, 6},
		{`{` + k + `}`, client.VerifyValid, 5},
	} {
		v := verify(tc.body)
		if v.Code != tc.code || v.Credits == nil || v.Credits.Remaining != tc.remaining {
			t.Errorf("verify %s = %s, credits %+v; want %s with %d left", tc.body, v.Code, v.Credits, tc.code, tc.remaining)
		}
	}

	alice := s.Signup(t, "alice@example.com")
	own := s.CreateKeyWith(t, alice, `{"name": "budget", "credits": {"remaining": 5}}`)
	unlimited := s.CreateKeyWith(t, alice, `{"name": "free"}`)
	runScenarios(t, s, []scenario{
		{name: "negative cost", method: "POST", path: "/v1/keys/verify", header: tok, body: `{` + k + `, "cost": -1}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "an unlimited key has no credits", method: "POST", path: "/v1/keys/verify", header: tok,
			body: fmt.Sprintf(`{"key": %q}`, unlimited.Key), status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				var raw map[string]json.RawMessage
				if err := json.Unmarshal(r.Body, &raw); err != nil || string(raw["credits"]) != "null" {
					t.Errorf("verify of an unlimited key = %s, want credits null", r.Body)
				}
			}},
		{name: "remaining and increment", method: "PATCH", path: keyPath, header: tok, body: `{"credits": {"remaining": 1, "increment": 1}}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "bad interval", method: "POST", path: "/v1/teams/" + team.ID + "/keys", header: tok,
			body:   `{"name": "x", "credits": {"remaining": 1, "refill": {"interval": "hourly", "amount": 1}}}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "negative remaining", method: "POST", path: "/v1/teams/" + team.ID + "/keys", header: tok,
			body: `{"name": "x", "credits": {"remaining": -1}}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "increment of an unlimited key", method: "PATCH", path: "/api/keys/" + unlimited.ID,
			client: alice, body: `{"credits": {"increment": -1}}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "a member may not add credits", method: "PATCH", path: "/api/keys/" + own.ID, client: alice,
			body: `{"credits": {"increment": 1}}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "nor make a metered key unlimited", method: "PATCH", path: "/api/keys/" + own.ID, client: alice,
			body: `{"credits": null}`, status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "a member may lower them, never below 0", method: "PATCH", path: "/api/keys/" + own.ID, client: alice,
			body: `{"credits": {"increment": -9}}`, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if k := decode[client.Key](t, r); k.Credits == nil || k.Credits.Remaining != 0 {
					t.Errorf("after increment -9 of 5: credits = %+v, want 0", k.Credits)
				}
			}},
		{name: "a member may meter an unlimited key", method: "PATCH", path: "/api/keys/" + unlimited.ID, client: alice,
			body: `{"credits": {"remaining": 2}}`, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if k := decode[client.Key](t, r); k.Credits == nil || k.Credits.Remaining != 2 {
					t.Errorf("credits = %+v, want 2", k.Credits)
				}
			}},
		{name: "the platform makes a key unlimited", method: "PATCH", path: keyPath, header: tok, body: `{"credits": null}`, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if k := decode[client.Key](t, r); k.Credits != nil {
					t.Errorf("credits = %+v, want null", k.Credits)
				}
			}},
	})
	if r := s.Do(t, nil, "GET", "/v1/me", key, ""); r.Status != http.StatusOK {
		t.Errorf("GET /v1/me of a key made unlimited = %d, want 200", r.Status)
	}
}

// A roll moves the credits: the replacement has what was left, and the old
// key, during its grace, only what its nodes hold.
func TestRollMovesCredits(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	tok := bearer(mustServiceToken(t, s, "platform", "all").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", tok, `{"name": "Acme"}`))
	created := decode[client.CreatedKey](t, s.Do(t, nil, "POST", "/v1/teams/"+team.ID+"/keys", tok,
		`{"name": "metered", "credits": {"remaining": 100}}`))
	rolled := decode[client.RolledKey](t, s.Do(t, nil, "POST", "/v1/keys/"+created.ID+"/roll", tok, ""))
	if c := rolled.Credits; c == nil || c.Remaining != 100 {
		t.Fatalf("the replacement's credits = %+v, want the 100 left", rolled.Credits)
	}
	if k := decode[client.Key](t, s.Do(t, nil, "GET", "/v1/keys/"+created.ID, tok, "")); k.Credits == nil || k.Credits.Remaining != 0 {
		t.Errorf("the old key's credits = %+v, want 0: a roll never adds credits", k.Credits)
	}
}
