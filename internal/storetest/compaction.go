package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// compactEachFlush is s compacting after every AddUsage, at a clock an hour
// ahead each time and twice, so that a store folding a share per call (the
// SQLite sweep) has folded everything before the next call: the usage tests
// run on it as well as on s, and must read alike.
func compactEachFlush(s pome.Store) pome.Store { return &compactingStore{Store: s} }

type compactingStore struct {
	pome.Store
	hours atomic.Int64
}

func (s *compactingStore) AddUsage(ctx context.Context, deltas []pome.UsageDelta) error {
	if err := s.Store.AddUsage(ctx, deltas); err != nil {
		return err
	}
	for range 2 {
		if err := s.Store.CompactUsage(ctx, at(time.Duration(s.hours.Add(1))*time.Hour)); err != nil {
			return fmt.Errorf("CompactUsage after AddUsage: %w", err)
		}
	}
	return nil
}

// compactions are the clocks the compaction tests call CompactUsage at, in
// order: the first starts the store's clock, the next ones are due a small
// share of a minute (part of the pending usage, on SQLite), then more than
// any sweep period (all of it), then the same time again (nothing due).
var compactions = []time.Duration{0, time.Second, 20 * time.Second, time.Minute, time.Hour, time.Hour, 2 * time.Hour, 3 * time.Hour}

var compactionTests = []test{
	{"reads answer the same before, during and after compaction", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		keys := []pome.Key{mustKey(t, s, a, "k0", t0), mustKey(t, s, a, "k1", t0), mustKey(t, s, a, "k2", t0)}
		day1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		day2 := day1.AddDate(0, 0, 1)
		gone := pome.NewID("key_")
		// Every outcome is kept exact, and refusals alone (k2) move no
		// last use.
		mustAddUsage(t, s, used(keys[0].ID, day1.Add(time.Hour), "192.0.2.1", counts(pome.OutcomeValid, 2, pome.OutcomeRevoked, 4)),
			used(keys[1].ID, day1.Add(23*time.Hour), "192.0.2.2", counts(pome.OutcomeValid, 5)),
			used(gone, day1, "192.0.2.9", counts(pome.OutcomeValid, 9)))
		mustAddUsage(t, s, used(keys[0].ID, day2.Add(time.Minute), "2001:db8::1", counts(pome.OutcomeValid, 3, pome.OutcomeRateLimited, 1)),
			used(keys[1].ID, day1.Add(time.Minute), "192.0.2.3", counts(pome.OutcomeValid, 1)),
			refused(keys[2].ID, day2, counts(pome.OutcomeDisabled, 7, pome.OutcomeQuotaExceeded, 1)))
		want := usageView(t, s, a, keys, gone)
		// The counts as added, before any compaction.
		day := func(d time.Time, c pome.OutcomeCounts) pome.DailyUsage { return pome.DailyUsage{Day: d, Outcomes: c} }
		for _, line := range []string{
			"k0: 5, " + day2.Add(time.Minute).Format(time.RFC3339Nano) + " from 2001:db8::1, " + fmtDaily([]pome.DailyUsage{
				day(day1, counts(pome.OutcomeValid, 2, pome.OutcomeRevoked, 4)), day(day2, counts(pome.OutcomeValid, 3, pome.OutcomeRateLimited, 1))}),
			"k1: 6, " + day1.Add(23*time.Hour).Format(time.RFC3339Nano) + " from 192.0.2.2, " + fmtDaily([]pome.DailyUsage{day(day1, counts(pome.OutcomeValid, 6))}),
			"k2: 0, nil from invalid IP, " + fmtDaily([]pome.DailyUsage{day(day2, counts(pome.OutcomeDisabled, 7, pome.OutcomeQuotaExceeded, 1))}),
			"team: " + fmtDaily([]pome.DailyUsage{day(day1, counts(pome.OutcomeValid, 8, pome.OutcomeRevoked, 4)),
				day(day2, counts(pome.OutcomeValid, 3, pome.OutcomeRateLimited, 1, pome.OutcomeDisabled, 7, pome.OutcomeQuotaExceeded, 1))}),
		} {
			if !containsLine(want, line) {
				t.Fatalf("usage before compaction:\n%s\nwant a line %q", want, line)
			}
		}
		for _, d := range compactions {
			if err := s.CompactUsage(t.Context(), at(d)); err != nil {
				t.Fatalf("CompactUsage(%s) = %v, want nil", at(d), err)
			}
			if got := usageView(t, s, a, keys, gone); got != want {
				t.Fatalf("usage after CompactUsage(%s):\n%s\nwant what it was before:\n%s", at(d), got, want)
			}
		}
		// Compacted and newly added counts of one key and one day add up.
		if err := s.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{10}, At: day2.Add(time.Second), LastUsed: day2.Add(time.Second)},
			{KeyID: keys[2].ID, Outcomes: pome.OutcomeCounts{1}, At: day2, LastUsed: day2}}); err != nil {
			t.Fatalf("AddUsage = %v, want nil", err)
		}
		want = usageView(t, s, a, keys, gone)
		line := "k0: 15, " + day2.Add(time.Minute).Format(time.RFC3339Nano) + " from 2001:db8::1, " + fmtDaily([]pome.DailyUsage{
			day(day1, counts(pome.OutcomeValid, 2, pome.OutcomeRevoked, 4)), day(day2, counts(pome.OutcomeValid, 13, pome.OutcomeRateLimited, 1))})
		if !containsLine(want, line) {
			t.Fatalf("compacted + added usage:\n%s\nwant a line %q", want, line)
		}
		for _, d := range compactions {
			if err := s.CompactUsage(t.Context(), at(4*time.Hour+d)); err != nil {
				t.Fatalf("CompactUsage = %v, want nil", err)
			}
			if got := usageView(t, s, a, keys, gone); got != want {
				t.Fatalf("usage after CompactUsage(%s):\n%s\nwant:\n%s", at(4*time.Hour+d), got, want)
			}
		}
	}},
	{"with nothing recorded it is a no-op", func(t *testing.T, s pome.Store) {
		for _, d := range compactions {
			if err := s.CompactUsage(t.Context(), at(d)); err != nil {
				t.Fatalf("CompactUsage(%s) on an empty store = %v, want nil", at(d), err)
			}
		}
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		if err := s.CompactUsage(t.Context(), at(time.Hour)); err != nil {
			t.Fatalf("CompactUsage = %v, want nil", err)
		}
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); got.UsageCount != 0 || got.LastUsed != nil {
			t.Errorf("KeyByID(%q) after compacting nothing = %s, want unused", k.ID, fmtKey(got))
		}
	}},
	{"concurrent with AddUsage it loses and doubles nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		keys := make([]pome.Key, 5)
		for i := range keys {
			keys[i] = mustKey(t, s, a, fmt.Sprint("k", i), t0)
		}
		// Half the workers flush, half compact, at clocks from a second to
		// a minute and more apart.
		var clock atomic.Int64
		errs := run(workers, func(w int) error {
			if w%2 == 1 {
				return s.CompactUsage(t.Context(), at(time.Duration(clock.Add(int64(w)))*time.Second))
			}
			deltas := make([]pome.UsageDelta, len(keys))
			for i, k := range keys {
				deltas[i] = pome.UsageDelta{KeyID: k.ID, Outcomes: pome.OutcomeCounts{int64(w + 1)}, At: at(time.Duration(w) * time.Second), LastUsed: at(time.Duration(w) * time.Second)}
			}
			return s.AddUsage(t.Context(), deltas)
		})
		for _, err := range errs {
			t.Errorf("AddUsage and CompactUsage from %d goroutines = %v, want nil", workers, err)
		}
		var want int64
		for w := 0; w < workers; w += 2 {
			want += int64(w + 1)
		}
		last := at((workers - 2) * time.Second)
		check := func(when string) {
			t.Helper()
			for _, k := range keys {
				got := mustKeyByID(t, s, a.Team.ID, k.ID)
				if got.UsageCount != want || !sameTimePtr(got.LastUsed, &last) {
					t.Errorf("KeyByID(%q) %s: usage = %d, last used %s, want %d, %s", k.ID, when, got.UsageCount, fmtTime(got.LastUsed), want, last)
				}
				daily, err := s.DailyUsage(t.Context(), k.ID, t0)
				if err != nil || len(daily) != 1 || daily[0].Outcomes[0] != want {
					t.Errorf("DailyUsage(%q) %s = %s, %v, want one day of %d", k.ID, when, fmtDaily(daily), err, want)
				}
			}
		}
		check("after the race")
		for _, d := range compactions {
			if err := s.CompactUsage(t.Context(), at(time.Hour+d)); err != nil {
				t.Fatalf("CompactUsage = %v, want nil", err)
			}
		}
		check("after compacting everything")

		// Compactions running in a loop while flushes go on.
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var compactErr error
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.CompactUsage(t.Context(), at(2*time.Hour+time.Duration(i)*10*time.Second)); err != nil {
					compactErr = err
					return
				}
			}
		})
		for range 20 {
			if err := s.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{1}, At: t0, LastUsed: t0}}); err != nil {
				t.Fatalf("AddUsage = %v, want nil", err)
			}
		}
		close(stop)
		wg.Wait()
		if compactErr != nil {
			t.Fatalf("CompactUsage in a loop = %v, want nil", compactErr)
		}
		if got := mustKeyByID(t, s, a.Team.ID, keys[0].ID); got.UsageCount != want+20 {
			t.Errorf("KeyByID(%q).UsageCount after 20 more flushes = %d, want %d", keys[0].ID, got.UsageCount, want+20)
		}
	}},
}

// usageView is everything s answers about the usage of keys (and of the key
// id gone, which no key has), one line per key, as one string: the counts
// and last uses of ListKeys, KeyByID and KeyByDigest, which must agree, the
// daily buckets, and those of the whole team.
func usageView(t *testing.T, s pome.Store, a account, keys []pome.Key, gone string) string {
	t.Helper()
	ctx := t.Context()
	list, err := s.ListKeys(ctx, pome.KeyFilter{TeamID: a.Team.ID, Now: t0})
	if err != nil {
		t.Fatalf("ListKeys = %v, want nil", err)
	}
	listed := make(map[string]pome.Key, len(list))
	for _, k := range list {
		listed[k.ID] = k
	}
	var v string
	for _, k := range keys {
		l, ok := listed[k.ID]
		if !ok {
			t.Fatalf("ListKeys lacks %q", k.ID)
		}
		byID := mustKeyByID(t, s, a.Team.ID, k.ID)
		o, err := s.KeyByDigest(ctx, k.Digest)
		if err != nil {
			t.Fatalf("KeyByDigest(%x) = %v, want nil", k.Digest[:4], err)
		}
		for name, got := range map[string]pome.Key{"KeyByID": byID, "KeyByDigest": o.Key} {
			if got.UsageCount != l.UsageCount || !sameTimePtr(got.LastUsed, l.LastUsed) || got.LastUsedIP != l.LastUsedIP {
				t.Errorf("%s(%s) usage %d, last used %s from %v; ListKeys says %d, %s from %v", name, k.Name,
					got.UsageCount, fmtTime(got.LastUsed), got.LastUsedIP, l.UsageCount, fmtTime(l.LastUsed), l.LastUsedIP)
			}
		}
		daily, err := s.DailyUsage(ctx, k.ID, t0.AddDate(0, 0, -30))
		if err != nil {
			t.Fatalf("DailyUsage(%q) = %v, want nil", k.ID, err)
		}
		v += fmt.Sprintf("%s: %d, %s from %v, %s\n", k.Name, l.UsageCount, fmtTime(l.LastUsed), l.LastUsedIP, fmtDaily(daily))
	}
	daily, err := s.DailyUsage(ctx, gone, t0.AddDate(0, 0, -30))
	if err != nil {
		t.Fatalf("DailyUsage(unknown key) = %v, want nil", err)
	}
	team, err := s.TeamDailyUsage(ctx, a.Team.ID, "", t0.AddDate(0, 0, -30))
	if err != nil {
		t.Fatalf("TeamDailyUsage(%q) = %v, want nil", a.Team.ID, err)
	}
	return v + fmt.Sprintf("unknown key: %s\nteam: %s\n", fmtDaily(daily), fmtDaily(team))
}

func containsLine(s, line string) bool { return slices.Contains(strings.Split(s, "\n"), line) }
