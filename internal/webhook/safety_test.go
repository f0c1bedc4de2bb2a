package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/webhook"
)

// Receivers that hang, redirect or answer 10 MB cost a bounded attempt
// each, recorded as failed.
func TestMisbehavingReceivers(t *testing.T) {
	t.Parallel()
	var bigWritten atomic.Int64
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for range 160 { // 10 MiB
			n, err := w.Write(chunk)
			bigWritten.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { close(release); srv.Close() })

	client := webhook.NewClient(true)
	client.Timeout = 300 * time.Millisecond // AttemptTimeout's job, shortened for the test
	f := newFixture(t, pometest.NewStore(t), client)
	hang, _ := f.endpoint(t, srv.URL+"/hang")
	redirect, _ := f.endpoint(t, srv.URL+"/redirect")
	big, _ := f.endpoint(t, srv.URL+"/big")
	f.emit(t, pome.AuditKeyCreated)
	start := time.Now()
	f.pass(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a pass took %s with a hanging receiver, want about its timeout", d)
	}
	if a := f.attempts(t, hang); len(a) != 1 || a[0].Outcome != pome.WebhookRetrying || a[0].Status != 0 || !strings.Contains(a[0].Error, "timeout") {
		t.Errorf("hanging receiver: attempts %+v, want one retried timeout", a)
	}
	if a := f.attempts(t, redirect); len(a) != 1 || a[0].Outcome != pome.WebhookRetrying || a[0].Status != http.StatusFound {
		t.Errorf("redirecting receiver: attempts %+v, want one retried 302 (not followed)", a)
	}
	if a := f.attempts(t, big); len(a) != 1 || a[0].Outcome != pome.WebhookRetrying || a[0].Status != http.StatusOK ||
		a[0].Error != "the response is longer than 64 KiB" {
		t.Errorf("10 MB receiver: attempts %+v, want one failed for its length", a)
	}
	if n := bigWritten.Load(); n >= 10<<20 {
		t.Errorf("the 10 MB receiver wrote %d bytes: the response was read whole", n)
	}
}

// A message failing for WebhookRetryFor is given up, its endpoint marked
// failing, and the next message goes out (one attempt only if it is as
// old); a delivery clears the mark.
func TestGiveUpAfterRetryFor(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	failing.Store(true)
	r := pometest.NewReceiver(t, func(int) int {
		if failing.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	f := newFixture(t, pometest.NewStore(t), webhook.NewClient(true))
	e, _ := f.endpoint(t, r.URL)
	created := f.clock.Now()
	first := f.emit(t, pome.AuditKeyCreated)
	f.clock.Advance(time.Hour)
	second := f.emit(t, pome.AuditKeyRevoked)
	gaveUp := func() (pome.WebhookAttempt, bool) {
		for _, a := range f.attempts(t, e) {
			if a.Outcome == pome.WebhookFailed && a.EventID == first {
				return a, true
			}
		}
		return pome.WebhookAttempt{}, false
	}
	var last pome.WebhookAttempt
	for range 100 {
		f.pass(t)
		if a, ok := gaveUp(); ok {
			last = a
			break
		}
		f.clock.Advance(2*time.Hour + time.Minute)
	}
	// Given up at the first attempt due after WebhookRetryFor: the last
	// wait is up to 2.5 h, and the test's passes come every 2 h.
	as := f.attempts(t, e)
	if age := last.At.Sub(created); last.EventID != first || age < pome.WebhookRetryFor || age > pome.WebhookRetryFor+5*time.Hour {
		t.Fatalf("gave up on %q %s after it happened, want the first event (%s) after about %s; attempts %+v", last.EventID, age, first, pome.WebhookRetryFor, as)
	}
	// The second, older than WebhookRetryFor by then, had one attempt,
	// after the first was given up.
	if as[0].EventID != second || as[0].Attempt != 1 || as[0].Outcome != pome.WebhookFailed || as[0].At.Before(last.At) {
		t.Errorf("the second event's attempts: %+v, want one, failed, after the first was given up", as[0])
	}
	failing.Store(false)
	third := f.emit(t, pome.AuditKeyRolled)
	f.pass(t)
	as = f.attempts(t, e)
	if as[0].EventID != third || as[0].Outcome != pome.WebhookDelivered {
		t.Errorf("after the give-up: %+v, want the next event delivered", as[0])
	}
	if got, _ := f.svc.Get(t.Context(), f.team.ID, e.ID); !got.FailingSince.IsZero() {
		t.Error("endpoint still failing after a delivery")
	}
}

// Without --webhook-allow-private, loopback, private and link-local
// addresses are refused when registered (literal addresses) and when
// dialled (names, whatever they resolve to).
func TestPrivateAddressesRefused(t *testing.T) {
	t.Parallel()
	r := pometest.NewReceiver(t, ok)
	store := pometest.NewStore(t)
	f := newFixture(t, store, webhook.NewClient(false))
	strict := webhook.NewService(store, false, f.clock.Now)
	for _, u := range []string{"http://127.0.0.1/x", "http://10.1.2.3/", "https://192.168.0.1", "http://169.254.169.254/latest/meta-data",
		"http://[::1]:8080/", "http://[fd00::1]/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/"} {
		_, _, err := strict.Create(t.Context(), webhook.Actor{Type: pome.ActorSystem}, webhook.NewEndpoint{URL: u, Events: []string{pome.AuditKeyCreated}, TeamID: f.team.ID})
		if pome.AsError(err).Kind != pome.Invalid {
			t.Errorf("Create(%s) = %v, want invalid", u, err)
		}
	}
	// A name that resolves to loopback is registered, and refused when
	// dialled.
	e, _, err := strict.Create(t.Context(), webhook.Actor{Type: pome.ActorSystem}, webhook.NewEndpoint{
		URL: strings.Replace(r.URL, "127.0.0.1", "localhost", 1), Events: []string{pome.AuditKeyCreated}, TeamID: f.team.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.emit(t, pome.AuditKeyCreated)
	f.pass(t)
	if n := len(r.Deliveries()); n != 0 {
		t.Errorf("the receiver on loopback got %d deliveries", n)
	}
	if a := f.attempts(t, e); len(a) != 1 || !strings.Contains(a[0].Error, "private") {
		t.Errorf("attempts %+v, want one refused for its address", a)
	}
}

func TestEndpointInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pometest.NewStore(t), webhook.NewClient(true))
	by := webhook.Actor{Type: pome.ActorSystem}
	for _, req := range []webhook.NewEndpoint{
		{URL: "", Events: []string{pome.AuditKeyCreated}},
		{URL: "ftp://example.com/", Events: []string{pome.AuditKeyCreated}},
		{URL: "/relative", Events: []string{pome.AuditKeyCreated}},
		{URL: "https://example.com/" + strings.Repeat("a", 2048), Events: []string{pome.AuditKeyCreated}},
		{URL: "https://example.com/\x00", Events: []string{pome.AuditKeyCreated}},
		{URL: "https://example.com/", Events: nil},
		{URL: "https://example.com/", Events: []string{"key.exploded"}},
	} {
		req.TeamID = f.team.ID
		if _, _, err := f.svc.Create(t.Context(), by, req); pome.AsError(err).Kind != pome.Invalid {
			t.Errorf("Create(%.60q, %v) = %v, want invalid", req.URL, req.Events, err)
		}
	}
	e, secret, err := f.svc.Create(t.Context(), by, webhook.NewEndpoint{URL: " https://example.com/h ", TeamID: f.team.ID,
		Events: []string{pome.AuditKeyRevoked, pome.AuditKeyCreated, pome.AuditKeyRevoked}})
	if err != nil || e.URL != "https://example.com/h" || !strings.HasPrefix(secret, "whsec_") ||
		len(e.Events) != 2 || e.Events[0] != pome.AuditKeyCreated {
		t.Fatalf("Create = %+v, %q, %v, want the URL trimmed, a whsec_ secret, events sorted once", e, secret, err)
	}
	for range pome.MaxWebhookEndpoints - 1 {
		f.endpoint(t, "https://example.com/more")
	}
	if _, _, err := f.svc.Create(t.Context(), by, webhook.NewEndpoint{URL: "https://example.com/", TeamID: f.team.ID, Events: []string{pome.AuditKeyCreated}}); !errors.Is(err, pome.ErrTooManyWebhooks) {
		t.Errorf("endpoint %d: %v, want too_many_webhooks", pome.MaxWebhookEndpoints+1, err)
	}
	// Another team's endpoint is not found through this team.
	if _, err := f.svc.Get(t.Context(), "tm_other", e.ID); !errors.Is(err, pome.ErrWebhookNotFound) {
		t.Errorf("Get from another team = %v, want not found", err)
	}
	if err := f.svc.Delete(t.Context(), by, "tm_other", e.ID); !errors.Is(err, pome.ErrWebhookNotFound) {
		t.Errorf("Delete from another team = %v, want not found", err)
	}
}

// A receiver that hangs holds up its own endpoint only: another endpoint's
// events keep arriving while an attempt to it is under way.
func TestSlowEndpointHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	fast := pometest.NewReceiver(t, nil)
	store := pometest.NewStore(t)
	f := newFixture(t, store, nil)
	f.endpoint(t, hang.URL)
	f.endpoint(t, fast.URL)
	d := webhook.NewDeliverer(store, "node1", webhook.NewClient(true), time.Now, nil)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	for i := range 3 {
		f.clock.Set(time.Now())
		f.emit(t, pome.AuditKeyCreated)
		deadline := time.Now().Add(5 * time.Second)
		for len(fast.Deliveries()) <= i && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := len(fast.Deliveries()); n != i+1 {
			t.Fatalf("event %d: the fast endpoint has %d deliveries, want %d while the other hangs", i, n, i+1)
		}
	}
}
