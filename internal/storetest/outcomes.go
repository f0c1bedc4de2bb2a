package storetest

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// counts is an OutcomeCounts with the given outcomes' counts.
func counts(kv ...any) pome.OutcomeCounts {
	var c pome.OutcomeCounts
	for i := 0; i < len(kv); i += 2 {
		c[kv[i].(pome.Outcome).Index()] += int64(kv[i+1].(int))
	}
	return c
}

// refused is a delta of refusals only: no valid use, so no LastUsed.
func refused(keyID string, when time.Time, c pome.OutcomeCounts) pome.UsageDelta {
	return pome.UsageDelta{KeyID: keyID, Outcomes: c, At: when}
}

// used is a delta whose latest verification is a valid one, from ip.
func used(keyID string, when time.Time, ip string, c pome.OutcomeCounts) pome.UsageDelta {
	d := pome.UsageDelta{KeyID: keyID, Outcomes: c, At: when, LastUsed: when}
	if ip != "" {
		d.LastIP = netip.MustParseAddr(ip)
	}
	return d
}

func mustAddUsage(t *testing.T, s pome.Store, deltas ...pome.UsageDelta) {
	t.Helper()
	if err := s.AddUsage(t.Context(), deltas); err != nil {
		t.Fatalf("AddUsage(%+v) = %v, want nil", deltas, err)
	}
}

// wantLastUse checks a key's usage count, last use and its address.
func wantLastUse(t *testing.T, s pome.Store, teamID, keyID string, count int64, last *time.Time, ip string) {
	t.Helper()
	got := mustKeyByID(t, s, teamID, keyID)
	var wantIP netip.Addr
	if ip != "" {
		wantIP = netip.MustParseAddr(ip)
	}
	if got.UsageCount != count || !sameTimePtr(got.LastUsed, last) || got.LastUsedIP != wantIP {
		t.Errorf("KeyByID(%q) usage = %d, last used %s from %v; want %d, %s from %v",
			keyID, got.UsageCount, fmtTime(got.LastUsed), got.LastUsedIP, count, fmtTime(last), wantIP)
	}
}

// outcomeTests run in the Usage groups: on the store as opened, and
// compacted after each flush.
var outcomeTests = []test{
	{"outcomes round-trip per day and per team", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k0, k1 := mustKey(t, s, a, "k0", t0), mustKey(t, s, a, "k1", t0)
		day1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		day2 := day1.AddDate(0, 0, 1)
		// Every outcome, each its own count, over two flushes and two days.
		var all pome.OutcomeCounts
		for i := range all {
			all[i] = int64(i + 1)
		}
		mustAddUsage(t, s, used(k0.ID, day1.Add(time.Hour), "", all),
			refused(k1.ID, day1.Add(2*time.Hour), counts(pome.OutcomeRateLimited, 3, pome.OutcomeQuotaExceeded, 1)))
		mustAddUsage(t, s, used(k0.ID, day1.Add(3*time.Hour), "", counts(pome.OutcomeValid, 10, pome.OutcomeRevoked, 100)),
			refused(k0.ID, day2.Add(time.Hour), counts(pome.OutcomeIPNotAllowed, 7)),
			used(k1.ID, day2.Add(2*time.Hour), "", counts(pome.OutcomeValid, 1, pome.OutcomeInsufficientScope, 2)))

		k0day1 := all
		k0day1.Add(ptr(counts(pome.OutcomeValid, 10, pome.OutcomeRevoked, 100)))
		wantDays := func(got []pome.DailyUsage, err error, call string, want ...pome.DailyUsage) {
			t.Helper()
			if err != nil || fmtDaily(got) != fmtDaily(want) {
				t.Errorf("%s = %s, %v; want %s", call, fmtDaily(got), err, fmtDaily(want))
			}
		}
		got, err := s.DailyUsage(t.Context(), k0.ID, day1)
		wantDays(got, err, "DailyUsage(k0)", pome.DailyUsage{Day: day1, Outcomes: k0day1},
			pome.DailyUsage{Day: day2, Outcomes: counts(pome.OutcomeIPNotAllowed, 7)})
		got, err = s.DailyUsage(t.Context(), k1.ID, day1)
		wantDays(got, err, "DailyUsage(k1)",
			pome.DailyUsage{Day: day1, Outcomes: counts(pome.OutcomeRateLimited, 3, pome.OutcomeQuotaExceeded, 1)},
			pome.DailyUsage{Day: day2, Outcomes: counts(pome.OutcomeValid, 1, pome.OutcomeInsufficientScope, 2)})
		team1 := k0day1
		team1.Add(ptr(counts(pome.OutcomeRateLimited, 3, pome.OutcomeQuotaExceeded, 1)))
		got, err = s.TeamDailyUsage(t.Context(), a.Team.ID, "", day1)
		wantDays(got, err, "TeamDailyUsage", pome.DailyUsage{Day: day1, Outcomes: team1},
			pome.DailyUsage{Day: day2, Outcomes: counts(pome.OutcomeValid, 1, pome.OutcomeInsufficientScope, 2, pome.OutcomeIPNotAllowed, 7)})
		// usage_count is the valid verifications only.
		wantLastUse(t, s, a.Team.ID, k0.ID, 1+10, ptr(day1.Add(3*time.Hour)), "")
		wantLastUse(t, s, a.Team.ID, k1.ID, 1, ptr(day2.Add(2*time.Hour)), "")
	}},
	{"refusals alone do not move last used", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k, never := mustKey(t, s, a, "k", t0), mustKey(t, s, a, "never", t0)
		mustAddUsage(t, s, used(k.ID, at(time.Minute), "192.0.2.1", counts(pome.OutcomeValid, 2)))
		mustAddUsage(t, s, refused(k.ID, at(time.Hour), counts(pome.OutcomeRevoked, 5)),
			refused(never.ID, at(time.Hour), counts(pome.OutcomeDisabled, 1, pome.OutcomeExpired, 1)))
		wantLastUse(t, s, a.Team.ID, k.ID, 2, ptr(at(time.Minute)), "192.0.2.1")
		wantLastUse(t, s, a.Team.ID, never.ID, 0, nil, "")
		days, err := s.DailyUsage(t.Context(), never.ID, t0)
		if want := counts(pome.OutcomeDisabled, 1, pome.OutcomeExpired, 1); err != nil || len(days) != 1 || days[0].Outcomes != want {
			t.Errorf("DailyUsage(never) = %s, %v; want one day of %v", fmtDaily(days), err, want)
		}
	}},
	{"last used address follows the latest valid use", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "k", t0)
		valid := counts(pome.OutcomeValid, 1)
		mustAddUsage(t, s, used(k.ID, at(2*time.Minute), "192.0.2.2", valid))
		wantLastUse(t, s, a.Team.ID, k.ID, 1, ptr(at(2*time.Minute)), "192.0.2.2")
		// A late flush (another node) moves neither the time nor the address.
		mustAddUsage(t, s, used(k.ID, at(time.Minute), "192.0.2.1", valid))
		wantLastUse(t, s, a.Team.ID, k.ID, 2, ptr(at(2*time.Minute)), "192.0.2.2")
		mustAddUsage(t, s, used(k.ID, at(3*time.Minute), "2001:db8::3", valid))
		wantLastUse(t, s, a.Team.ID, k.ID, 3, ptr(at(3*time.Minute)), "2001:db8::3")
		// The latest use's address unknown: unknown, not the one before.
		mustAddUsage(t, s, used(k.ID, at(4*time.Minute), "", valid))
		wantLastUse(t, s, a.Team.ID, k.ID, 4, ptr(at(4*time.Minute)), "")
		// Two days in one flush: the later use's address.
		mustAddUsage(t, s, used(k.ID, at(48*time.Hour), "192.0.2.5", valid), used(k.ID, at(24*time.Hour), "192.0.2.4", valid))
		wantLastUse(t, s, a.Team.ID, k.ID, 6, ptr(at(48*time.Hour)), "192.0.2.5")
		keys, err := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: a.Team.ID, Now: t0})
		if err != nil || len(keys) != 1 || keys[0].LastUsedIP != netip.MustParseAddr("192.0.2.5") {
			t.Errorf("ListKeys = %v, %v; want the key, last used from 192.0.2.5", keys, err)
		}
	}},
}

// outcomeConcurrencyTests: many flushes at once, each of every outcome on
// overlapping keys in different orders, compactions among them.
var outcomeConcurrencyTests = []test{
	{"concurrent flushes of every outcome lose nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		keys := make([]pome.Key, 8)
		for i := range keys {
			keys[i] = mustKey(t, s, a, fmt.Sprint("k", i), t0)
		}
		const rounds = 10
		var mu sync.Mutex
		compacted := 0
		errs := run(workers, func(w int) error {
			for r := range rounds {
				deltas := make([]pome.UsageDelta, 0, len(keys))
				for i := range keys {
					// Each worker its own order: rotated, and reversed by half of them.
					j := (i + w + r) % len(keys)
					if w%2 == 1 {
						j = len(keys) - 1 - j
					}
					k := keys[j]
					var c pome.OutcomeCounts
					for o := range c {
						c[o] = 1
					}
					deltas = append(deltas, used(k.ID, at(time.Duration(w*rounds+r)*time.Second), "", c))
				}
				if err := s.AddUsage(t.Context(), deltas); err != nil {
					return err
				}
				if w%10 == 0 {
					mu.Lock()
					compacted++
					now := at(time.Duration(compacted) * time.Hour)
					mu.Unlock()
					if err := s.CompactUsage(t.Context(), now); err != nil {
						return err
					}
				}
			}
			return nil
		})
		for _, err := range errs {
			t.Errorf("AddUsage and CompactUsage from %d goroutines = %v, want nil", workers, err)
		}
		var want pome.OutcomeCounts
		for i := range want {
			want[i] = workers * rounds
		}
		for _, k := range keys {
			days, err := s.DailyUsage(t.Context(), k.ID, t0)
			if err != nil || len(days) != 1 || days[0].Outcomes != want {
				t.Errorf("DailyUsage(%q) = %s, %v; want one day of %v", k.ID, fmtDaily(days), err, want)
			}
			wantLastUse(t, s, a.Team.ID, k.ID, workers*rounds, ptr(at((workers*rounds-1)*time.Second)), "")
		}
	}},
}
