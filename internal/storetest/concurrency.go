package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

const workers = 50

var concurrencyTests = []test{
	{"concurrent AddUsage totals are exact", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		keys := make([]pome.Key, 5)
		for i := range keys {
			keys[i] = mustKey(t, s, a, fmt.Sprint("k", i), t0)
		}
		errs := run(workers, func(w int) error {
			deltas := make([]pome.UsageDelta, len(keys))
			for i, k := range keys {
				deltas[i] = pome.UsageDelta{KeyID: k.ID, Outcomes: pome.OutcomeCounts{int64(w + 1)}, At: at(time.Duration(w) * time.Second), LastUsed: at(time.Duration(w) * time.Second)}
			}
			return s.AddUsage(t.Context(), deltas)
		})
		for _, err := range errs {
			t.Errorf("AddUsage from %d goroutines = %v, want nil", workers, err)
		}
		want := int64(workers * (workers + 1) / 2)
		for _, k := range keys {
			got := mustKeyByID(t, s, a.Team.ID, k.ID)
			if got.UsageCount != want || !sameTimePtr(got.LastUsed, ptr(at((workers-1)*time.Second))) {
				t.Errorf("KeyByID(%q) usage = %d, last used %s, want %d, %s", k.ID, got.UsageCount, fmtTime(got.LastUsed), want, at((workers-1)*time.Second))
			}
			daily, err := s.DailyUsage(t.Context(), k.ID, t0)
			if err != nil || len(daily) != 1 || daily[0].Outcomes[0] != want {
				t.Errorf("DailyUsage(%q) = %s, %v, want one day of %d", k.ID, fmtDaily(daily), err, want)
			}
		}
	}},
	{"concurrent CreateKey all succeed", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		keys := make([]pome.Key, workers)
		for i := range keys {
			keys[i] = newKey(a, fmt.Sprint("k", i), at(time.Duration(i)*time.Millisecond))
		}
		errs := run(workers, func(w int) error { return s.CreateKey(t.Context(), keys[w], sysEvent(pome.AuditKeyCreated, t0)) })
		for _, err := range errs {
			t.Errorf("CreateKey from %d goroutines = %v, want nil", workers, err)
		}
		got, err := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: a.Team.ID, Now: t0})
		if err != nil || len(got) != workers {
			t.Errorf("ListKeys = %d keys, %v, want %d", len(got), err, workers)
		}
	}},
	{"mixed reads and writes", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "hot", t0)
		errs := run(workers, func(w int) error {
			ctx := t.Context()
			switch w % 5 {
			case 0:
				return s.CreateKey(ctx, newKey(a, "new", t0), sysEvent(pome.AuditKeyCreated, t0))
			case 1:
				return s.AddUsage(ctx, []pome.UsageDelta{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{1}, At: t0, LastUsed: t0}})
			case 2:
				_, err := s.KeyByDigest(ctx, k.Digest)
				return err
			case 3:
				return s.UpdateTeam(ctx, pome.Team{ID: a.Team.ID, Status: pome.TeamActive, PlanTier: pome.PlanPro}, t0, sysEvent(pome.AuditTeamBanned, t0))
			default:
				sess := newSession(a, pome.DigestOf(pome.NewID("tok_")), t0, t0)
				return s.CreateSession(ctx, sess, nil)
			}
		})
		for _, err := range errs {
			t.Errorf("mixed calls from %d goroutines = %v, want nil", workers, err)
		}
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); got.UsageCount != workers/5 {
			t.Errorf("KeyByID(%q).UsageCount = %d, want %d", k.ID, got.UsageCount, workers/5)
		}
		if seq, err := s.LastChange(t.Context()); err != nil || seq == 0 {
			t.Errorf("LastChange() = %d, %v, want > 0", seq, err)
		}
	}},
}

// run calls fn(0..n-1) from n goroutines released at once and returns the
// errors.
func run(n int, fn func(w int) error) []error {
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
	)
	for w := range n {
		wg.Go(func() {
			<-start
			if err := fn(w); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func errorsIsCanceled(err error) bool { return errors.Is(err, context.Canceled) }
