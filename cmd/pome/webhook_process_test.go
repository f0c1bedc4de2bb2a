package main

import (
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// An event is written in the transaction of its change: a process killed
// with -9 after the change was acknowledged, and before its event was
// delivered, loses nothing. The restarted node delivers both events, the
// one whose first attempt failed and the one never attempted, in order.
func TestWebhookSurvivesKill(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	dir := t.TempDir()
	var up atomic.Bool
	r := pometest.NewReceiver(t, func(int) int {
		if up.Load() {
			return http.StatusNoContent
		}
		return http.StatusServiceUnavailable
	})

	p := mustStartNode(t, bin, "--data-dir", dir, "--webhook-allow-private")
	created := runCLI(t, nil, "", "admin", "--data-dir", dir, "service-token", "create", "hooks", "--scope", "webhooks:write")
	if created.code != 0 {
		t.Fatalf("service-token create: exit %d\nstderr:\n%s", created.code, created.stderr)
	}
	platform := client.New(p.URL, client.WithAPIKey(strings.TrimSpace(created.stdout)))
	hook, err := platform.CreateWebhook(t.Context(), client.CreateWebhookParams{URL: r.URL, Events: []string{"key.created"}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	mustSignup(t, b, p.URL, "kim@example.com", "Kim Inc")
	first := mustCreateKey(t, b, p.URL, "first")
	waitFor(t, 10*time.Second, "the first attempt is recorded", func() bool {
		l, err := platform.WebhookDeliveries(t.Context(), hook.ID, "")
		return err == nil && len(l.Deliveries) == 1
	})
	time.Sleep(200 * time.Millisecond) // the pass releases its lease
	second := mustCreateKey(t, b, p.URL, "second")
	var exit *exec.ExitError
	if err := p.mustStop(t, syscall.SIGKILL); !errors.As(err, &exit) {
		t.Fatalf("exit after SIGKILL: %v, want killed", err)
	}

	up.Store(true)
	mustStartNode(t, bin, "--data-dir", dir, "--webhook-allow-private") // delivers on its own: nothing is asked of it
	var targets []string
	waitFor(t, 30*time.Second, "both events delivered", func() bool {
		targets = nil
		for _, d := range r.Deliveries()[1:] { // after the failed attempt
			targets = append(targets, d.Event(t).Data.TargetID)
		}
		return len(targets) >= 2
	})
	if len(targets) != 2 || targets[0] != first.ID || targets[1] != second.ID {
		t.Errorf("delivered after the restart: %v, want %s then %s, once each", targets, first.ID, second.ID)
	}
	if got := r.Deliveries()[0].Event(t).Data.TargetID; got != first.ID {
		t.Errorf("the failed attempt was for %s, want %s", got, first.ID)
	}
}
