package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/testenv"
)

// TestConcurrentFlushes is two nodes on one database flushing overlapping
// keys at once, each flush in its own order, while both fold: no flush or
// fold fails (a deadlock would fail one), and every count arrives once.
func TestConcurrentFlushes(t *testing.T) {
	t.Parallel()
	dsn := testenv.FreshSchema(t)
	nodes := []pome.Store{mustOpen(t, dsn), mustOpen(t, dsn)}
	user, team := seedAccount(t, nodes[0])
	keys := make([]pome.Key, 40)
	for i := range keys {
		keys[i] = newKey(user, team, i)
		if err := nodes[0].CreateKey(t.Context(), keys[i], sysEvent(pome.AuditKeyCreated)); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	const flushers, rounds = 4, 25
	var (
		mu   sync.Mutex
		want = make(map[string]pome.OutcomeCounts)
		wg   sync.WaitGroup
		errs = make(chan error, len(nodes)*(flushers+1))
	)
	for n, node := range nodes {
		for f := range flushers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(n), uint64(f)))
				for round := range rounds {
					// Three quarters of the keys, in a random order, on two days.
					perm := r.Perm(len(keys))[:len(keys)*3/4]
					deltas := make([]pome.UsageDelta, len(perm))
					for i, j := range perm {
						when := day.Add(time.Duration(round*i) * time.Hour)
						d := pome.UsageDelta{KeyID: keys[j].ID, At: when, LastUsed: when}
						d.Outcomes[0] = int64(1 + r.IntN(5))
						d.Outcomes[1+r.IntN(len(d.Outcomes)-1)] = int64(1 + r.IntN(3))
						deltas[i] = d
					}
					if err := node.AddUsage(t.Context(), deltas); err != nil {
						errs <- fmt.Errorf("node %d: AddUsage: %w", n, err)
						return
					}
					mu.Lock()
					for _, d := range deltas {
						c := want[d.KeyID]
						c.Add(&d.Outcomes)
						want[d.KeyID] = c
					}
					mu.Unlock()
				}
			})
		}
		wg.Go(func() { // the node's meter compacting after its flushes
			for i := range flushers * rounds {
				if err := node.CompactUsage(t.Context(), day.Add(time.Duration(i)*10*time.Second)); err != nil {
					errs <- fmt.Errorf("node %d: CompactUsage: %w", n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	check := func(when string) {
		t.Helper()
		for _, node := range nodes {
			for _, k := range keys {
				days, err := node.DailyUsage(t.Context(), k.ID, day)
				if err != nil {
					t.Fatalf("DailyUsage = %v", err)
				}
				var got pome.OutcomeCounts
				for _, d := range days {
					got.Add(&d.Outcomes)
				}
				stored, err := node.KeyByID(t.Context(), team.ID, k.ID)
				if err != nil {
					t.Fatalf("KeyByID = %v", err)
				}
				if w := want[k.ID]; got != w || stored.UsageCount != w[0] {
					t.Errorf("%s: key %s: outcomes %v, usage_count %d; want %v, %d", when, k.Name, got, stored.UsageCount, w, w[0])
				}
			}
		}
	}
	check("after the flushes")
	for _, node := range nodes {
		if err := node.CompactUsage(t.Context(), day.Add(24*time.Hour)); err != nil {
			t.Fatalf("CompactUsage = %v", err)
		}
	}
	check("after folding everything")
}

// TestIdleCompactionTouchesNothing: once a whole sweep has folded a store's
// flushes, its compactions (one a second, on every node) call no database
// until it flushes again, here with the database hung.
func TestIdleCompactionTouchesNothing(t *testing.T) {
	t.Parallel()
	dsn, proxy := testenv.ProxyURL(t, testenv.FreshSchema(t))
	db := mustOpen(t, dsn)
	user, team := seedAccount(t, db)
	k := newKey(user, team, 0)
	if err := db.CreateKey(t.Context(), k, sysEvent(pome.AuditKeyCreated)); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	compact := func(at time.Time) error { return db.CompactUsage(t.Context(), at) }
	if err := compact(t0); err != nil { // starts the sweep's clock
		t.Fatal(err)
	}
	if err := db.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{3}, At: t0, LastUsed: t0}}); err != nil {
		t.Fatal(err)
	}
	if err := compact(t0.Add(time.Hour)); err != nil { // a whole sweep
		t.Fatal(err)
	}
	proxy.Stop()
	start := time.Now()
	for i := range 3 {
		if err := compact(t0.Add(time.Duration(2+i) * time.Hour)); err != nil {
			t.Fatalf("CompactUsage with nothing of its own pending, the database hung = %v, want nil", err)
		}
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("three idle compactions took %v: they waited for the database", took)
	}
	proxy.Resume()
	if got, err := db.KeyByID(t.Context(), team.ID, k.ID); err != nil || got.UsageCount != 3 {
		t.Errorf("KeyByID = usage %d, %v; want 3", got.UsageCount, err)
	}
}
