package webhook_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/webhook"
)

func ok(int) int { return http.StatusNoContent }

// fixture is a store with one team, the endpoints' service and a
// deliverer, on a fake clock.
type fixture struct {
	store pome.Store
	svc   *webhook.Service
	d     *webhook.Deliverer
	clock *pometest.Clock
	team  pome.Team
}

func newFixture(t *testing.T, store pome.Store, client *http.Client) *fixture {
	clock := pometest.NewClock(time.Now().UTC().Truncate(time.Second))
	f := &fixture{store: store, clock: clock, svc: webhook.NewService(store, true, clock.Now)}
	f.d = webhook.NewDeliverer(store, "node1", client, clock.Now, nil)
	slug := strings.ToLower(pome.NewID("acme-")) // several fixtures may share a store
	f.team = pome.Team{ID: pome.NewID("tm_"), Slug: slug, Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: clock.Now()}
	u := pome.User{ID: pome.NewID("usr_"), Email: slug + "@example.com", PasswordHash: "x", CreatedAt: clock.Now()}
	if err := store.CreateUserWithTeam(t.Context(), u, f.team, pometest.Event(pome.AuditSignup).On(f.team.ID, pome.TargetUser, u.ID)); err != nil {
		t.Fatal(err)
	}
	return f
}

// endpoint registers url for events (every event type when none).
func (f *fixture) endpoint(t *testing.T, url string, events ...string) (pome.WebhookEndpoint, string) {
	t.Helper()
	if len(events) == 0 {
		events = pome.WebhookEventTypes
	}
	e, secret, err := f.svc.Create(t.Context(), webhook.Actor{Type: pome.ActorSystem}, webhook.NewEndpoint{URL: url, Events: events, TeamID: f.team.ID})
	if err != nil {
		t.Fatalf("Create(%s) = %v", url, err)
	}
	return e, secret
}

// emit appends an event of action about the team, as the stores' changes
// do, and returns its id.
func (f *fixture) emit(t *testing.T, action string) string {
	t.Helper()
	ev := pome.NewAuditEvent(t.Context(), action, f.clock.Now()).On(f.team.ID, pome.TargetKey, pome.NewID("key_"))
	ev.ActorType = pome.ActorSystem
	if err := f.store.AppendAudit(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

func (f *fixture) pass(t *testing.T) {
	t.Helper()
	if err := f.d.Pass(t.Context()); err != nil {
		t.Fatalf("Pass = %v", err)
	}
}

func (f *fixture) attempts(t *testing.T, e pome.WebhookEndpoint) []pome.WebhookAttempt {
	t.Helper()
	as, err := f.svc.Attempts(t.Context(), f.team.ID, e.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestEveryEventDeliveredOnceSigned(t *testing.T) {
	t.Parallel()
	r := pometest.NewReceiver(t, ok)
	f := newFixture(t, pometest.NewStore(t), webhook.NewClient(true))
	_, secret := f.endpoint(t, r.URL+"/hooks")
	var ids []string
	for _, typ := range pome.WebhookEventTypes {
		ids = append(ids, f.emit(t, typ))
	}
	f.pass(t)
	f.pass(t) // nothing left: no repeat
	got := r.Deliveries()
	if len(got) != len(ids) {
		t.Fatalf("received %d deliveries, want %d (one per event type)", len(got), len(ids))
	}
	for i, d := range got {
		if err := pometest.VerifyWebhook(secret, d.Header, d.Body, time.Now()); err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
		p := d.Event(t)
		if p.Type != pome.WebhookEventTypes[i] || p.Data.EventID != ids[i] || d.Header.Get("webhook-id") != ids[i] ||
			p.Data.TeamID != f.team.ID || d.Header.Get("Content-Type") != "application/json" {
			t.Errorf("delivery %d = %s %s, want %s of event %s, in order", i, d.Header.Get("webhook-id"), d.Body, pome.WebhookEventTypes[i], ids[i])
		}
		if strings.Contains(string(d.Body), "pome_") {
			t.Errorf("delivery %d carries something like a key: %s", i, d.Body)
		}
	}
	// A tampered body or another secret does not verify: the verifier can
	// fail.
	if pometest.VerifyWebhook(secret, got[0].Header, append(got[0].Body, ' '), time.Now()) == nil {
		t.Error("a changed body verified")
	}
	if _, other := webhook.NewSecret(); pometest.VerifyWebhook(other, got[0].Header, got[0].Body, time.Now()) == nil {
		t.Error("another secret verified")
	}
}

func TestRetriesKeepOrder(t *testing.T) {
	t.Parallel()
	r := pometest.NewReceiver(t, func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	f := newFixture(t, pometest.NewStore(t), webhook.NewClient(true))
	e, _ := f.endpoint(t, r.URL)
	first, second := f.emit(t, pome.AuditKeyCreated), f.emit(t, pome.AuditKeyRevoked)
	f.pass(t)
	for n := 1; n <= 3; n++ {
		f.clock.Advance(webhook.Backoff(n, 0) - time.Second)
		f.pass(t) // not due yet: nothing sent
		if got := len(r.Deliveries()); got != n {
			t.Fatalf("%d deliveries before retry %d was due, want %d", got, n, n)
		}
		f.clock.Advance(webhook.Backoff(n, 1) - webhook.Backoff(n, 0) + time.Second)
		f.pass(t)
	}
	var order []string
	for _, d := range r.Deliveries() {
		order = append(order, d.Header.Get("webhook-id"))
	}
	want := []string{first, first, first, first, second}
	if !slices.Equal(order, want) {
		t.Fatalf("receiver saw %v, want the first event 4 times (3 failures), then the second", order)
	}
	as := f.attempts(t, e)
	if len(as) != 5 || as[0].EventID != second || as[0].Outcome != pome.WebhookDelivered ||
		as[1].Attempt != 4 || as[1].Outcome != pome.WebhookDelivered || as[4].Attempt != 1 ||
		as[4].Outcome != pome.WebhookRetrying || as[4].Status != 500 || as[4].Error != "status 500" {
		t.Errorf("attempts = %+v, want 3 retried 500s, then two deliveries", as)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	if got := webhook.Backoff(1, 1); got > 30*time.Second {
		t.Errorf("first retry after up to %s, want within 30 s", got)
	}
	var total time.Duration
	n := 0
	for total < pome.WebhookRetryFor {
		n++
		lo, hi := webhook.Backoff(n, 0), webhook.Backoff(n, 1)
		if lo >= hi || (n > 1 && lo < webhook.Backoff(n-1, 0)) {
			t.Fatalf("retry %d waits %s to %s: want a jittered range, growing", n, lo, hi)
		}
		total += lo
	}
	if n < 10 || n > 30 {
		t.Errorf("%d retries in %s, want an exponential schedule capped at a few hours", n, pome.WebhookRetryFor)
	}
}
