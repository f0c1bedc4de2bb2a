package webhook_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/testenv"
	"github.com/pomehq/pome/internal/webhook"
)

// Two nodes on one PostgreSQL database deliver each of 1,000 events, made
// while they deliver, exactly once, each endpoint's in the order they
// committed.
func TestTwoNodesDeliverOnce(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	stores := make([]*postgres.DB, 2)
	for i := range stores {
		db, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		stores[i] = db
	}
	r := pometest.NewReceiver(t, ok)
	const teams, events = 4, 1000
	fs := make([]*fixture, teams)
	for i := range fs {
		fs[i] = newFixture(t, stores[0], webhook.NewClient(true))
		fs[i].endpoint(t, r.URL, pome.AuditKeyCreated)
	}
	ctx, stop := context.WithCancel(t.Context())
	var nodes sync.WaitGroup
	for i, s := range stores {
		d := webhook.NewDeliverer(s, []string{"node-a", "node-b"}[i], webhook.NewClient(true), time.Now, nil)
		nodes.Go(func() { d.Run(ctx, 5*time.Millisecond) })
	}
	var emitters sync.WaitGroup
	for _, f := range fs {
		emitters.Go(func() {
			for range events / teams {
				ev := pome.NewAuditEvent(t.Context(), pome.AuditKeyCreated, time.Now()).On(f.team.ID, pome.TargetKey, pome.NewID("key_"))
				ev.ActorType = pome.ActorSystem
				if err := stores[1].AppendAudit(t.Context(), ev); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	emitters.Wait()
	deadline := time.Now().Add(60 * time.Second)
	for len(r.Deliveries()) < events && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // time for a double to arrive
	stop()
	nodes.Wait()

	seen := map[string]int{}
	order := map[string][]string{}
	for _, d := range r.Deliveries() {
		p := d.Event(t)
		seen[p.Data.EventID]++
		order[p.Data.TeamID] = append(order[p.Data.TeamID], p.Data.EventID)
	}
	if len(seen) != events {
		t.Errorf("received %d distinct events, want %d", len(seen), events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s received %d times", id, n)
		}
	}
	// Each endpoint's events arrive in the audit log's order (the order
	// they committed: one emitter per team, so also the order made).
	for _, f := range fs {
		evs, err := stores[0].AuditEvents(t.Context(), pome.AuditFilter{TeamID: f.team.ID, Action: pome.AuditKeyCreated, Limit: events})
		if err != nil {
			t.Fatal(err)
		}
		got := order[f.team.ID]
		if len(got) != len(evs) {
			t.Errorf("team %s: %d deliveries, %d events", f.team.ID, len(got), len(evs))
			continue
		}
		for i, ev := range evs { // newest first
			if got[len(got)-1-i] != ev.ID {
				t.Errorf("team %s: delivery %d is %s, want %s (out of order)", f.team.ID, len(got)-1-i, got[len(got)-1-i], ev.ID)
				break
			}
		}
	}
}
