package httpserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// A team's owners and admins manage its own webhook endpoints by session:
// the secret in the creation's answer only; the endpoint scoped to the
// session's team (another team's id is not found, a "team" field refused);
// a real event delivered and listed in the deliveries log; developers
// refused; every bad input a 400.
func TestTeamWebhooksAPI(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	s.Signup(t, "carol@example.com")
	dave := s.Signup(t, "dave@example.com") // a team of his own
	s.AddMember(t, alice, "carol@example.com", pome.RoleDeveloper)
	carol := s.Login(t, "carol@example.com")
	rc := pometest.NewReceiver(t, nil)

	var daves client.Webhook
	s.Do(t, dave, "POST", "/api/team/webhooks", nil, `{"url":"`+rc.URL+`/dave","events":["key.created"]}`).DecodeJSON(t, &daves)

	var made client.Webhook
	post := func(name string, c *http.Client, body string, status int, typ, code string) scenario {
		return scenario{name: name, client: c, method: "POST", path: "/api/team/webhooks", body: body, status: status, typ: typ, code: code}
	}
	const inv, nf, perm = "invalid_request_error", "not_found_error", "permission_error"
	runScenarios(t, s, []scenario{
		post("missing url", alice, `{"events":["key.created"]}`, 400, inv, "missing_required_parameter"),
		post("missing events", alice, `{"url":"https://example.com/h"}`, 400, inv, "missing_required_parameter"),
		post("empty events", alice, `{"url":"https://example.com/h","events":[]}`, 400, inv, "missing_required_parameter"),
		post("unknown event", alice, `{"url":"https://example.com/h","events":["key.eaten"]}`, 400, inv, "invalid_parameter"),
		post("not a URL", alice, `{"url":"example.com/h","events":["key.created"]}`, 400, inv, "invalid_parameter"),
		post("not http", alice, `{"url":"ftp://example.com/h","events":["key.created"]}`, 400, inv, "invalid_parameter"),
		post("a team field", alice, `{"url":"https://example.com/h","events":["key.created"],"team":"`+daves.Team+`"}`, 400, inv, "invalid_parameter"),
		post("events of the wrong type", alice, `{"url":"https://example.com/h","events":"key.created"}`, 400, inv, "invalid_parameter"),
		post("malformed", alice, `{"url":`, 400, inv, "invalid_json"),
		post("without session", nil, `{"url":"https://example.com/h","events":["key.created"]}`, 401, "authentication_error", "unauthorized"),
		{name: "a developer may not create", client: carol, method: "POST", path: "/api/team/webhooks?team=alice",
			body: `{"url":"https://example.com/h","events":["key.created"]}`, status: 403, typ: perm, code: "insufficient_permissions"},
		{name: "a developer may not list", client: carol, method: "GET", path: "/api/team/webhooks?team=alice", status: 403, typ: perm, code: "insufficient_permissions"},
		{name: "in a team not one's own", client: alice, method: "GET", path: "/api/team/webhooks?team=dave", status: 404, typ: nf, code: "team_not_found"},
		{name: "create", client: alice, method: "POST", path: "/api/team/webhooks",
			body: `{"url":"` + rc.URL + `/alice","events":["key.created","key.revoked","key.created"]}`, status: 201,
			check: func(t *testing.T, r *pometest.Response) {
				r.DecodeJSON(t, &made)
				if !pome.IsID(made.ID, "whk_") || !strings.HasPrefix(made.Secret, "whsec_") || made.Status != "active" ||
					strings.Join(made.Events, ",") != "key.created,key.revoked" || made.Team != s.Session(t, alice).Teams[0].ID {
					t.Errorf("created = %+v, want a whk_ id, a whsec_ secret, the team's, its events sorted once each", made)
				}
			}},
	})
	runScenarios(t, s, []scenario{ // made.ID is known now
		{name: "list", client: alice, method: "GET", path: "/api/team/webhooks", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				var l client.WebhookList
				r.DecodeJSON(t, &l)
				if len(l.Webhooks) != 1 || l.Webhooks[0].ID != made.ID || l.Webhooks[0].Secret != "" {
					t.Errorf("list = %+v, want the team's one endpoint (not dave's), without its secret", l)
				}
			}},
		{name: "no deliveries yet", client: alice, method: "GET", path: "/api/team/webhooks/" + made.ID + "/deliveries", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if strings.TrimSpace(string(r.Body)) != `{"deliveries":[],"next_cursor":null}` {
					t.Errorf("deliveries = %s, want none", r.Body)
				}
			}},
		{name: "bad cursor", client: alice, method: "GET", path: "/api/team/webhooks/" + made.ID + "/deliveries?cursor=x", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "another team's deliveries", client: alice, method: "GET", path: "/api/team/webhooks/" + daves.ID + "/deliveries", status: 404, typ: nf, code: "webhook_not_found"},
		{name: "another team's endpoint", client: alice, method: "DELETE", path: "/api/team/webhooks/" + daves.ID, status: 404, typ: nf, code: "webhook_not_found"},
		{name: "not an id", client: alice, method: "DELETE", path: "/api/team/webhooks/whk_%00", status: 404, typ: nf, code: "webhook_not_found"},
		{name: "a developer may not delete", client: carol, method: "DELETE", path: "/api/team/webhooks/" + made.ID + "?team=alice", status: 403, typ: perm, code: "insufficient_permissions"},
		{name: "a developer may not read deliveries", client: carol, method: "GET", path: "/api/team/webhooks/" + made.ID + "/deliveries?team=alice", status: 403, typ: perm, code: "insufficient_permissions"},
	})

	// A key made in alice's team is delivered to her endpoint, and
	// listed in its log; dave's endpoint hears nothing of it.
	s.CreateKey(t, alice, "ci")
	if err := s.Deliverer.Pass(t.Context()); err != nil {
		t.Fatalf("Pass: %v", err)
	}
	got := rc.Deliveries()
	if len(got) != 1 || got[0].Event(t).Type != pome.AuditKeyCreated {
		t.Fatalf("received %d deliveries, want one key.created", len(got))
	}
	if err := pometest.VerifyWebhook(made.Secret, got[0].Header, got[0].Body, s.Clock.Now()); err != nil {
		t.Errorf("delivery signed with the secret of the creation's answer: %v", err)
	}
	var l client.WebhookDeliveryList
	s.Do(t, alice, "GET", "/api/team/webhooks/"+made.ID+"/deliveries", nil, "").DecodeJSON(t, &l)
	if len(l.Deliveries) != 1 || l.Deliveries[0].Type != pome.AuditKeyCreated || l.Deliveries[0].Outcome != pome.WebhookDelivered ||
		l.Deliveries[0].StatusCode != http.StatusNoContent || l.Deliveries[0].Attempt != 1 || l.NextCursor != "" {
		t.Errorf("deliveries = %+v, want one key.created delivered with 204 at the first attempt", l)
	}

	s.Clock.Advance(time.Second)
	runScenarios(t, s, []scenario{
		{name: "delete", client: alice, method: "DELETE", path: "/api/team/webhooks/" + made.ID, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if want := `{"success":true,"message":"Webhook endpoint deleted","id":"` + made.ID + `"}`; strings.TrimSpace(string(r.Body)) != want {
					t.Errorf("body = %s, want %s", r.Body, want)
				}
			}},
		{name: "deleted", client: alice, method: "DELETE", path: "/api/team/webhooks/" + made.ID, status: 404, typ: nf, code: "webhook_not_found"},
	})
	evs := s.Audit(t, made.Team)
	if evs[0].Action != pome.AuditWebhookDeleted || evs[0].ActorType != pome.ActorUser || evs[0].TargetID != made.ID {
		t.Errorf("last audit event = %+v, want webhook.deleted by alice of %s", evs[0], made.ID)
	}
}

// The dashboard's webhook parts, for owners and admins only: the settings
// page lists the team's endpoints, one failing marked so with since when;
// an endpoint's page lists its attempts; a developer sees no webhook
// section and is refused the page; another team's endpoint is not found.
func TestTeamWebhookPages(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	s.Signup(t, "carol@example.com")
	dave := s.Signup(t, "dave@example.com")
	s.AddMember(t, alice, "carol@example.com", pome.RoleDeveloper)
	carol := s.Login(t, "carol@example.com")
	down := pometest.NewReceiver(t, func(int) int { return http.StatusInternalServerError })

	var made, daves client.Webhook
	s.Do(t, alice, "POST", "/api/team/webhooks", nil, `{"url":"`+down.URL+`","events":["key.created"]}`).DecodeJSON(t, &made)
	s.Do(t, dave, "POST", "/api/team/webhooks", nil, `{"url":"`+down.URL+`","events":["key.created"]}`).DecodeJSON(t, &daves)
	// A key.created refused at once, then again past the 24 hours of
	// retries: given up, and the endpoint failing.
	s.CreateKey(t, alice, "ci")
	for range 2 {
		if err := s.Deliverer.Pass(t.Context()); err != nil {
			t.Fatal(err)
		}
		s.Clock.Advance(pome.WebhookRetryFor + time.Hour)
	}

	page := "/settings/webhooks/" + made.ID
	runScenarios(t, s, []scenario{
		{name: "settings", client: alice, method: "GET", path: "/settings", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				body := string(r.Body)
				for _, want := range []string{"data-settings-webhooks", `data-webhook-row="` + made.ID + `"`, `href="` + page + `?team=alice"`,
					"data-webhook-failing", "failing</span> since", `value="key.canary_used"`} {
					if !strings.Contains(body, want) {
						t.Errorf("settings page has no %q", want)
					}
				}
				if strings.Contains(body, daves.ID) {
					t.Errorf("settings page lists dave's endpoint %s", daves.ID)
				}
			}},
		{name: "the endpoint's page", client: alice, method: "GET", path: page, status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				body := string(r.Body)
				for _, want := range []string{down.URL, `data-delivery="retrying"`, `data-delivery="failed"`, "<td data-label=\"Status code\">500</td>", "status 500"} {
					if !strings.Contains(body, want) {
						t.Errorf("endpoint page has no %q", want)
					}
				}
			}},
		{name: "bad cursor", client: alice, method: "GET", path: page + "?cursor=x", status: 400},
		{name: "another team's endpoint", client: alice, method: "GET", path: "/settings/webhooks/" + daves.ID, status: 404},
		{name: "not an id", client: alice, method: "GET", path: "/settings/webhooks/nope", status: 404},
		{name: "a developer's settings", client: carol, method: "GET", path: "/settings?team=alice", status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if strings.Contains(string(r.Body), "data-settings-webhooks") || strings.Contains(string(r.Body), made.ID) {
					t.Errorf("a developer's settings page shows the webhooks")
				}
			}},
		{name: "a developer is refused the page", client: carol, method: "GET", path: page + "?team=alice", status: 403},
	})
}
