package httpserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// Every refusal of the platform's webhook endpoints is a clear error.
func TestPlatformWebhookErrors(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	tok := bearer(mustServiceToken(t, s, "hooks", "webhooks:write").Plaintext)
	noScope := bearer(mustServiceToken(t, s, "keys", "keys:write").Plaintext)
	ok := `{"url": "https://hooks.example.com/pome", "events": ["key.created"]}`
	runScenarios(t, s, []scenario{
		{name: "no token", method: "POST", path: "/v1/webhooks", body: ok,
			status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "scope missing", method: "GET", path: "/v1/webhooks", header: noScope,
			status: 403, typ: "permission_error", code: "insufficient_scope"},
		{name: "no url", method: "POST", path: "/v1/webhooks", header: tok, body: `{"events": ["key.created"]}`,
			status: 400, typ: "invalid_request_error", code: "missing_required_parameter"},
		{name: "no events", method: "POST", path: "/v1/webhooks", header: tok, body: `{"url": "https://hooks.example.com/"}`,
			status: 400, typ: "invalid_request_error", code: "missing_required_parameter"},
		{name: "not http", method: "POST", path: "/v1/webhooks", header: tok, body: `{"url": "file:///etc/passwd", "events": ["key.created"]}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "too long", method: "POST", path: "/v1/webhooks", header: tok, body: `{"url": "https://hooks.example.com/` + strings.Repeat("a", 2048) + `", "events": ["key.created"]}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "unknown event", method: "POST", path: "/v1/webhooks", header: tok, body: `{"url": "https://hooks.example.com/", "events": ["key.deleted"]}`,
			status: 400, typ: "invalid_request_error", code: "invalid_parameter"},
		{name: "unknown team", method: "POST", path: "/v1/webhooks", header: tok, body: `{"url": "https://hooks.example.com/", "events": ["key.created"], "team": "tm_0000000000000000"}`,
			status: 404, typ: "not_found_error", code: "team_not_found"},
		{name: "malformed", method: "POST", path: "/v1/webhooks", header: tok, body: `{"url": `,
			status: 400, typ: "invalid_request_error", code: "invalid_json"},
		{name: "huge body", method: "POST", path: "/v1/webhooks", header: tok, body: `{"url": "https://x.example/` + strings.Repeat("a", 1<<20) + `", "events": []}`,
			status: 413, typ: "invalid_request_error", code: "body_too_large"},
		{name: "delete unknown", method: "DELETE", path: "/v1/webhooks/whk_0000000000000000", header: tok,
			status: 404, typ: "not_found_error", code: "webhook_not_found"},
		{name: "deliveries of unknown", method: "GET", path: "/v1/webhooks/whk_0000000000000000/deliveries", header: tok,
			status: 404, typ: "not_found_error", code: "webhook_not_found"},
		{name: "created", method: "POST", path: "/v1/webhooks", header: tok, body: ok,
			status: 201, check: func(t *testing.T, r *pometest.Response) {
				w := decode[client.Webhook](t, r)
				if !strings.HasPrefix(w.Secret, "whsec_") || w.Team != "" || w.Status != "active" || !slices.Equal(w.Events, []string{"key.created"}) {
					t.Errorf("created %+v, want a whsec_ secret, every team, active", w)
				}
				l := decode[client.WebhookList](t, s.Do(t, nil, "GET", "/v1/webhooks", tok, ""))
				if len(l.Webhooks) != 1 || l.Webhooks[0].ID != w.ID || l.Webhooks[0].Secret != "" {
					t.Errorf("list = %+v, want the endpoint without its secret", l)
				}
				bad := s.Do(t, nil, "GET", "/v1/webhooks/"+w.ID+"/deliveries?cursor=x", tok, "")
				if e := checkErrorBody(t, "bad cursor", bad); bad.Status != 400 || e.Code != "invalid_parameter" {
					t.Errorf("bad cursor = %d %s, want 400 invalid_parameter", bad.Status, e.Code)
				}
				if d := decode[client.DeletedWebhook](t, s.Do(t, nil, "DELETE", "/v1/webhooks/"+w.ID, tok, "")); !d.Success || d.ID != w.ID {
					t.Errorf("delete = %+v", d)
				}
			}},
	})
}

// The changes the platform and the team make reach a team's endpoint as
// the events of the audit log, in its order, each once, signed; and the
// deliveries log lists them.
func TestWebhookEventsOfRealChanges(t *testing.T) {
	t.Parallel()
	clock := pometest.NewClock(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	s := pometest.NewServer(t, pometest.WithClock(clock))
	tok := bearer(mustServiceToken(t, s, "platform", "all").Plaintext)
	owner := s.Signup(t, "owner@example.com")
	team := s.Session(t, owner).Teams[0]
	r := pometest.NewReceiver(t, nil)
	hook := decode[client.Webhook](t, s.Do(t, nil, "POST", "/v1/webhooks", tok,
		`{"url": "`+r.URL+`/pome", "events": ["`+strings.Join(pome.WebhookEventTypes, `","`)+`"], "team": "`+team.ID+`"}`))

	s.Signup(t, "dev@example.com")
	devID := s.AddMember(t, owner, "dev@example.com", pome.RoleDeveloper)
	keys := "/v1/teams/" + team.ID + "/keys"
	metered := decode[client.CreatedKey](t, s.Do(t, nil, "POST", keys, tok, `{"name": "metered", "credits": {"remaining": 10}}`))
	for i := range 10 {
		if r := s.Do(t, nil, "GET", "/v1/me", hdr("X-API-KEY", metered.Key), ""); r.Status != http.StatusOK {
			t.Fatalf("use %d of the metered key = %d", i, r.Status)
		}
		if i == 8 || i == 9 { // at 1 left (10 %), then at 0
			if err := s.Credits.Flush(t.Context(), false); err != nil {
				t.Fatal(err)
			}
		}
	}
	leaked := decode[client.CreatedKey](t, s.Do(t, nil, "POST", keys, tok, `{"name": "leaked"}`))
	if r := s.Do(t, nil, "POST", "/v1/keys/report-leak", nil, `{"key": "`+leaked.Key+`"}`); r.Status != http.StatusAccepted {
		t.Fatalf("report-leak = %d", r.Status)
	}
	rolled := decode[client.CreatedKey](t, s.Do(t, nil, "POST", keys, tok, `{"name": "rolled"}`))
	s.Do(t, nil, "POST", "/v1/keys/"+rolled.ID+"/roll", tok, `{}`)
	s.Do(t, nil, "DELETE", "/v1/keys/"+rolled.ID, tok, "")
	expiring := decode[client.CreatedKey](t, s.Do(t, nil, "POST", keys, tok, `{"name": "expiring", "expires_at": "2026-12-07T11:00:00Z"}`))
	clock.Advance(2 * time.Hour)
	if r := s.Do(t, nil, "GET", "/v1/me", hdr("X-API-KEY", expiring.Key), ""); r.Status != http.StatusForbidden {
		t.Fatalf("expired key = %d, want 403 (key_expired)", r.Status)
	}
	s.Do(t, owner, "DELETE", "/api/team/members/"+devID, nil, "")
	s.Do(t, nil, "PATCH", "/v1/teams/"+team.ID, tok, `{"status": "banned"}`)

	if err := s.Deliverer.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	var want []string // the audit log's webhook events, oldest first
	evs := s.Audit(t, team.ID)
	for _, ev := range slices.Backward(evs) {
		if pome.IsWebhookEvent(ev) {
			want = append(want, ev.Action+" "+ev.ID)
		}
	}
	var got []string
	types := map[string]bool{}
	for i, d := range r.Deliveries() {
		if err := pometest.VerifyWebhook(hook.Secret, d.Header, d.Body, clock.Now()); err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
		e := d.Event(t)
		got = append(got, e.Type+" "+d.Header.Get("webhook-id"))
		types[e.Type] = true
		for _, k := range []string{metered.Key, leaked.Key, rolled.Key, expiring.Key} {
			if strings.Contains(string(d.Body), k) {
				t.Errorf("delivery %d carries a plaintext key: %s", i, d.Body)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries:\n%s\nwant the audit log's events:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, typ := range []string{pome.AuditMemberAdded, pome.AuditKeyCreated, pome.AuditCreditsLow, pome.AuditCreditsExhausted,
		pome.AuditKeyLeaked, pome.AuditKeyRolled, pome.AuditKeyRevoked, pome.AuditKeyExpired, pome.AuditMemberRemoved, pome.AuditTeamBanned} {
		if !types[typ] {
			t.Errorf("no %s delivered", typ)
		}
	}
	l := decode[client.WebhookDeliveryList](t, s.Do(t, nil, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", tok, ""))
	if len(l.Deliveries) != len(got) || l.NextCursor != "" || l.Deliveries[0].Outcome != "delivered" ||
		l.Deliveries[0].StatusCode != http.StatusNoContent || l.Deliveries[0].Type != pome.AuditTeamBanned {
		t.Errorf("deliveries log = %+v, want %d delivered, the ban newest", l, len(got))
	}
}

// A canary's use, recorded off the request path, is sent too, naming the
// client; the node's own loops (WithFollower) record and deliver it.
func TestWebhookOfCanaryUse(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithFollower())
	tok := bearer(mustServiceToken(t, s, "platform", "all").Plaintext)
	team := decode[client.PlatformTeam](t, s.Do(t, nil, "POST", "/v1/teams", tok, `{"name": "Acme"}`))
	r := pometest.NewReceiver(t, nil)
	hook := decode[client.Webhook](t, s.Do(t, nil, "POST", "/v1/webhooks", tok,
		`{"url": "`+r.URL+`", "events": ["key.canary_used"], "team": "`+team.ID+`"}`))
	canary := decode[client.CreatedKey](t, s.Do(t, nil, "POST", "/v1/teams/"+team.ID+"/keys", tok, `{"name": "decoy", "canary": true}`))
	if got := s.Do(t, nil, "GET", "/v1/me", hdr("X-API-KEY", canary.Key, "User-Agent", "thief/3.0"), ""); got.Status != http.StatusUnauthorized {
		t.Fatalf("canary use = %d, want 401", got.Status)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(r.Deliveries()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ds := r.Deliveries()
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want the canary's use", len(ds))
	}
	if err := pometest.VerifyWebhook(hook.Secret, ds[0].Header, ds[0].Body, s.Now()); err != nil {
		t.Error(err)
	}
	if e := ds[0].Event(t); e.Type != pome.AuditKeyCanaryUsed || e.Data.TargetID != canary.ID || e.Data.IP != "127.0.0.1" || e.Data.UserAgent != "thief/3.0" {
		t.Errorf("delivered %s, want key.canary_used of %s from 127.0.0.1 (thief/3.0)", ds[0].Body, canary.ID)
	}
}
