package main

import (
	"strings"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// TestWebhooksCommands drives pome webhooks against a real server: the
// secret printed once (alone on a pipe), the endpoint listed, a real event
// in its deliveries, a developer refused, delete asking first.
func TestWebhooksCommands(t *testing.T) {
	t.Parallel()
	s, env := aliceSignedIn(t)
	rc := pometest.NewReceiver(t, nil)

	r := mustRun(t, env, "", 2, "webhooks", "create", "--url", rc.URL)
	mustContain(t, "webhooks create without --event", r.stderr, "--url and --event are required")
	r = mustRun(t, env, "", 1, "webhooks", "create", "--url", rc.URL, "--event", "key.eaten")
	mustContain(t, "webhooks create of an unknown event", r.stderr, "key.eaten")

	mustContain(t, "webhooks list of none", mustRun(t, env, "", 0, "webhooks", "list").stdout, "No webhook endpoints.")
	r = mustRun(t, env, "", 0, "webhooks", "create", "--url", rc.URL, "--event", "key.created,key.revoked", "--event", "key.rolled")
	secret := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(secret, "whsec_") || strings.Contains(secret, "\n") {
		t.Fatalf("webhooks create on a pipe: stdout %q, want the secret alone", r.stdout)
	}
	mustContain(t, "webhooks create notice", r.stderr, "Created webhook endpoint whk_", "key.created, key.revoked, key.rolled", "shows the secret only once")

	var l client.WebhookList
	mustDecode(t, mustRun(t, env, "", 0, "webhooks", "list", "--json").stdout, &l)
	if len(l.Webhooks) != 1 || l.Webhooks[0].URL != rc.URL || l.Webhooks[0].Secret != "" {
		t.Fatalf("webhooks list --json = %+v, want the endpoint without its secret", l)
	}
	id := l.Webhooks[0].ID
	mustContain(t, "webhooks list", mustRun(t, env, "", 0, "webhooks", "list").stdout, id, "key.created,key.revoked,key.rolled", "active")

	mustContain(t, "webhooks deliveries of none", mustRun(t, env, "", 0, "webhooks", "deliveries", id).stdout, "No deliveries.")
	s.CreateKey(t, s.Login(t, "alice@example.com"), "ci")
	if err := s.Deliverer.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := rc.Deliveries(); len(d) != 1 || pometest.VerifyWebhook(secret, d[0].Header, d[0].Body, s.Clock.Now()) != nil {
		t.Fatalf("receiver got %d deliveries, want one signed with the printed secret", len(d))
	}
	r = mustRun(t, env, "", 0, "webhooks", "deliveries", id)
	mustContain(t, "webhooks deliveries", r.stdout, "key.created", "204", "delivered")

	// A developer of the team is refused.
	s.Signup(t, "bob@example.com")
	s.AddMember(t, s.Login(t, "alice@example.com"), "bob@example.com", pome.RoleDeveloper)
	bob := userEnv(t, s.URL)
	mustLogin(t, bob, "bob@example.com")
	r = mustRun(t, bob, "", 1, "webhooks", "list", "--team", "alice")
	mustContain(t, "webhooks list by a developer", r.stderr, "insufficient_permissions")

	r = mustRun(t, env, "", 2, "webhooks", "delete", id)
	mustContain(t, "webhooks delete on a pipe", r.stderr, "pass --yes")
	mustContain(t, "webhooks delete", mustRun(t, env, "", 0, "webhooks", "delete", id, "--yes").stdout, "Deleted the webhook endpoint "+id)
	r = mustRun(t, env, "", 1, "webhooks", "delete", id, "--yes")
	mustContain(t, "webhooks delete again", r.stderr, "webhook_not_found")
}

// TestAdminWebhookCommands drives pome admin webhook on a data directory:
// an endpoint of one team named by slug, one of every team, the private
// address refused without --allow-private, delete asking first.
func TestAdminWebhookCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustRun(t, nil, "pw-pw-pw-pw\n", 0, "admin", "user", "create", "--email", "a@example.com", "--team-name", "acme", "--data-dir", dir)

	r := mustRun(t, nil, "", 1, "admin", "webhook", "create", "--url", "http://127.0.0.1:9/h", "--event", "key.created", "--data-dir", dir)
	mustContain(t, "admin webhook create on loopback", r.stderr, "--webhook-allow-private")
	r = mustRun(t, nil, "", 1, "admin", "webhook", "create", "--url", "https://example.com/h", "--event", "key.created", "--team", "nope", "--data-dir", dir)
	mustContain(t, "admin webhook create for an unknown team", r.stderr, `no team with slug or id "nope"`)
	r = mustRun(t, nil, "", 2, "admin", "webhook", "create", "--event", "key.created", "--data-dir", dir)
	mustContain(t, "admin webhook create without --url", r.stderr, "--url and --event are required")

	r = mustRun(t, nil, "", 0, "admin", "webhook", "create", "--url", "https://example.com/acme", "--event", "key.leaked", "--team", "acme", "--data-dir", dir)
	if !strings.HasPrefix(r.stdout, "whsec_") {
		t.Errorf("admin webhook create on a pipe: stdout %q, want the secret alone", r.stdout)
	}
	mustContain(t, "admin webhook create notice", r.stderr, "events of team acme")
	mustRun(t, nil, "", 0, "admin", "webhook", "create", "--url", "http://10.0.0.7/all", "--event", "team.banned", "--allow-private", "--data-dir", dir)

	r = mustRun(t, nil, "", 0, "admin", "webhook", "list", "--data-dir", dir)
	mustContain(t, "admin webhook list", r.stdout, "https://example.com/acme", "key.leaked", "tm_", "http://10.0.0.7/all", "(every team)", "active")
	id := strings.Fields(strings.Split(r.stdout, "\n")[1])[0]
	if !pome.IsID(id, "whk_") {
		t.Fatalf("admin webhook list: first row %q, want an id", strings.Split(r.stdout, "\n")[1])
	}
	r = mustRun(t, nil, "", 2, "admin", "webhook", "delete", id, "--data-dir", dir)
	mustContain(t, "admin webhook delete on a pipe", r.stderr, "pass --yes")
	mustContain(t, "admin webhook delete", mustRun(t, nil, "", 0, "admin", "webhook", "delete", id, "--yes", "--data-dir", dir).stdout, "Deleted the webhook endpoint "+id)
	r = mustRun(t, nil, "", 1, "admin", "webhook", "delete", id, "--yes", "--data-dir", dir)
	mustContain(t, "admin webhook delete again", r.stderr, "no webhook endpoint with id")
	if strings.Contains(mustRun(t, nil, "", 0, "admin", "webhook", "list", "--data-dir", dir).stdout, id) {
		t.Errorf("%s is still listed after its deletion", id)
	}
}
