package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

var creditTests = []test{
	{"CreditsRoundTrip", testCreditsRoundTrip},
	{"SettleSavesLeases", testSettleSavesLeases},
	{"SettleFindsExpiredLeases", testSettleFindsExpiredLeases},
	{"SettleErrorWritesNothing", testSettleErrorWritesNothing},
	{"ConcurrentSettlesLoseNothing", testConcurrentSettles},
	{"UpdateKeyAndSettleInterleaveNot", testUpdateKeyAndSettle},
	{"RollMovesCredits", testRollMovesCredits},
	{"UpdateKeyAlerts", testUpdateKeyAlerts},
	{"RollAlertsOnTheReplacement", testRollAlerts},
}

// mustCreditKey stores a key of a with credits c.
func mustCreditKey(t *testing.T, s pome.Store, a account, c *pome.Credits) pome.Key {
	t.Helper()
	k := newKey(a, "metered", t0)
	k.Credits = c
	return mustCreateKey(t, s, k)
}

func fmtCredits(c *pome.Credits) string {
	switch {
	case c == nil:
		return "unlimited"
	case c.Refill == nil:
		return fmt.Sprintf("%d base %d", c.Remaining, c.Base)
	}
	return fmt.Sprintf("%d base %d refill %s %d of %s", c.Remaining, c.Base, c.Refill.Interval, c.Refill.Amount, c.Period.Format(time.RFC3339))
}

func testCreditsRoundTrip(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "credits")
	plain := mustKey(t, s, a, "plain", t0)
	if got := mustKeyByID(t, s, a.Team.ID, plain.ID).Credits; got != nil {
		t.Fatalf("a key made without credits reads %s, want unlimited", fmtCredits(got))
	}
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, c := range []*pome.Credits{
		{Remaining: 50, Base: 50},
		{Remaining: 0},
		{Remaining: 7, Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 100}, Period: day, Base: 100},
		{Remaining: 1 << 40, Refill: &pome.CreditRefill{Interval: pome.RefillMonthly, Amount: 1 << 41}, Period: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Base: 1 << 41},
	} {
		k := mustCreditKey(t, s, a, c)
		reads := map[string]*pome.Credits{"KeyByID": mustKeyByID(t, s, a.Team.ID, k.ID).Credits}
		o, err := s.KeyByDigest(t.Context(), k.Digest)
		if err != nil {
			t.Fatal(err)
		}
		reads["KeyByDigest"] = o.Key.Credits
		ks, err := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: a.Team.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, lk := range ks {
			if lk.ID == k.ID {
				reads["ListKeys"] = lk.Credits
			}
		}
		for read, got := range reads {
			if fmtCredits(got) != fmtCredits(c) {
				t.Errorf("%s: credits = %s, want %s", read, fmtCredits(got), fmtCredits(c))
			}
		}
	}
	// UpdateKey stores credits as change leaves them, and clears them.
	k := mustCreditKey(t, s, a, &pome.Credits{Remaining: 5})
	want := &pome.Credits{Remaining: 9, Refill: &pome.CreditRefill{Interval: pome.RefillMonthly, Amount: 9}, Period: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Base: 9}
	got, err := s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error { k.Credits = want; return nil },
		at(time.Minute), sysEvent(pome.AuditKeyUpdated, at(time.Minute)))
	if err != nil || fmtCredits(got.Credits) != fmtCredits(want) {
		t.Fatalf("UpdateKey(credits) = %s, %v; want %s", fmtCredits(got.Credits), err, fmtCredits(want))
	}
	got, err = s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error { k.Credits = nil; return nil },
		at(time.Minute), sysEvent(pome.AuditKeyUpdated, at(time.Minute)))
	if err != nil || got.Credits != nil {
		t.Fatalf("UpdateKey(no credits) = %s, %v; want unlimited", fmtCredits(got.Credits), err)
	}
}

// settleOnce runs SettleCredits and returns the states settle saw.
func settleOnce(t *testing.T, s pome.Store, ids []string, now time.Time, fn func(*pome.CreditState)) []pome.CreditState {
	t.Helper()
	var seen []pome.CreditState
	err := s.SettleCredits(t.Context(), ids, now, func(st *pome.CreditState) error {
		seen = append(seen, pome.CreditState{KeyID: st.KeyID, Credits: st.Credits, Leases: append([]pome.CreditLease(nil), st.Leases...)})
		if fn != nil {
			fn(st)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("SettleCredits(%v) = %v, want nil", ids, err)
	}
	return seen
}

func testSettleSavesLeases(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "leases")
	k := mustCreditKey(t, s, a, &pome.Credits{Remaining: 100})
	ls := []pome.CreditLease{{Node: "n1", Held: 40, Armed: 10, ExpiresAt: at(time.Minute)}, {Node: "n2", Held: 5, Armed: 5, ExpiresAt: at(2 * time.Minute)}}
	settleOnce(t, s, []string{k.ID, "key_missing"}, t0, func(st *pome.CreditState) {
		st.Credits.Remaining = 90
		st.Leases = ls
	})
	seen := settleOnce(t, s, []string{k.ID}, t0, nil)
	if len(seen) != 1 || seen[0].Credits.Remaining != 90 || len(seen[0].Leases) != 2 {
		t.Fatalf("after a settle, SettleCredits sees %+v; want 90 left and 2 leases", seen)
	}
	for i, l := range seen[0].Leases {
		if l != ls[i] {
			t.Errorf("lease %d = %+v, want %+v", i, l, ls[i])
		}
	}
	if got := mustKeyByID(t, s, a.Team.ID, k.ID).Credits.Remaining; got != 90 {
		t.Errorf("KeyByID remaining = %d, want 90", got)
	}
	if seen := settleOnce(t, s, []string{"key_missing"}, t0, nil); len(seen) != 0 {
		t.Errorf("SettleCredits of a missing key saw %+v, want nothing", seen)
	}
}

func testSettleFindsExpiredLeases(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "expired")
	k1 := mustCreditKey(t, s, a, &pome.Credits{Remaining: 10})
	k2 := mustCreditKey(t, s, a, &pome.Credits{Remaining: 10})
	settleOnce(t, s, []string{k1.ID, k2.ID}, t0, func(st *pome.CreditState) {
		exp := at(time.Minute)
		if st.KeyID == k2.ID {
			exp = at(time.Hour)
		}
		st.Leases = []pome.CreditLease{{Node: "n1", Held: 4, Armed: 2, ExpiresAt: exp}}
	})
	if seen := settleOnce(t, s, nil, at(30*time.Second), nil); len(seen) != 0 {
		t.Fatalf("with no lease expired, SettleCredits(nil) saw %d keys, want 0", len(seen))
	}
	seen := settleOnce(t, s, nil, at(time.Minute), nil)
	if len(seen) != 1 || seen[0].KeyID != k1.ID {
		t.Fatalf("at a lease's expiry, SettleCredits(nil) saw %+v, want only its key %s", seen, k1.ID)
	}
}

func testSettleErrorWritesNothing(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "settle-error")
	k1 := mustCreditKey(t, s, a, &pome.Credits{Remaining: 10})
	k2 := mustCreditKey(t, s, a, &pome.Credits{Remaining: 10})
	boom := errors.New("boom")
	err := s.SettleCredits(t.Context(), []string{k1.ID, k2.ID}, t0, func(st *pome.CreditState) error {
		if st.KeyID == max(k1.ID, k2.ID) {
			return boom
		}
		st.Credits.Remaining = 1
		st.Leases = []pome.CreditLease{{Node: "n1", Held: 1, Armed: 1, ExpiresAt: at(time.Minute)}}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("SettleCredits = %v, want settle's error", err)
	}
	for _, k := range []pome.Key{k1, k2} {
		if got := mustKeyByID(t, s, a.Team.ID, k.ID).Credits.Remaining; got != 10 {
			t.Errorf("after a failed settle, key %s has %d, want 10", k.ID, got)
		}
	}
}

// Settles of one key never interleave: each sees what the one before it
// saved.
func testConcurrentSettles(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "concurrent-settles")
	k := mustCreditKey(t, s, a, &pome.Credits{Remaining: 1000})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				if err := s.SettleCredits(t.Context(), []string{k.ID}, t0, func(st *pome.CreditState) error {
					st.Credits.Remaining--
					return nil
				}); err != nil {
					t.Errorf("SettleCredits = %v", err)
				}
			}
		})
	}
	wg.Wait()
	if got := mustKeyByID(t, s, a.Team.ID, k.ID).Credits.Remaining; got != 1000-40 {
		t.Errorf("after 40 concurrent settles of -1, remaining = %d, want 960", got)
	}
}

// An increment through UpdateKey and settles running at once lose nothing.
func testUpdateKeyAndSettle(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "update-and-settle")
	k := mustCreditKey(t, s, a, &pome.Credits{Remaining: 1000})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 20 {
			if err := s.SettleCredits(t.Context(), []string{k.ID}, t0, func(st *pome.CreditState) error {
				st.Credits.Remaining--
				return nil
			}); err != nil {
				t.Errorf("SettleCredits = %v", err)
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			if _, err := s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error {
				k.Credits.Remaining += 10
				return nil
			}, t0, sysEvent(pome.AuditKeyUpdated, t0)); err != nil {
				t.Errorf("UpdateKey = %v", err)
			}
		}
	})
	wg.Wait()
	if got := mustKeyByID(t, s, a.Team.ID, k.ID).Credits.Remaining; got != 1000-20+200 {
		t.Errorf("remaining = %d, want %d", got, 1000-20+200)
	}
}

// A roll moves what is left to the replacement, but what the old key's
// nodes hold, which stays with it (without its refill) for the grace.
func testRollMovesCredits(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "roll-credits")
	refill := &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 100}
	old := mustCreditKey(t, s, a, &pome.Credits{Remaining: 100, Refill: refill, Period: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), Base: 100})
	settleOnce(t, s, []string{old.ID}, t0, func(st *pome.CreditState) {
		st.Credits.Remaining = 90
		st.Leases = []pome.CreditLease{{Node: "n1", Held: 15, Armed: 5, ExpiresAt: at(time.Minute)}}
	})
	nk := newKey(a, "rolled", at(time.Second))
	nk.Credits = &pome.Credits{Remaining: 1000} // stale: the store decides
	kept, err := s.RollKey(t.Context(), pome.KeyRoll{TeamID: a.Team.ID, OldKeyID: old.ID, OldExpiresAt: at(time.Hour), New: nk},
		sysEvent(pome.AuditKeyRolled, at(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if fmtCredits(kept.Credits) != "15 base 15" {
		t.Errorf("the rolled key keeps %s, want the 15 its nodes hold, its base, no refill", fmtCredits(kept.Credits))
	}
	want := "75 base 100 refill daily 100 of 2025-03-10T00:00:00Z"
	if got := mustKeyByID(t, s, a.Team.ID, nk.ID).Credits; fmtCredits(got) != want {
		t.Errorf("the replacement has %s, want %s", fmtCredits(got), want)
	}
	wantCreditAlerts(t, s, nk, 0, 0) // 75 of 100 is no crossing
}

// A change made by UpdateKey records the thresholds it crosses, in its
// transaction, after the change's own event; one that leaves the credits
// records none.
func testUpdateKeyAlerts(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "update-alerts")
	k := mustCreditKey(t, s, a, &pome.Credits{Remaining: 100, Base: 100})
	update := func(change func(*pome.Key)) {
		t.Helper()
		if _, err := s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error { change(k); return nil },
			at(time.Minute), sysEvent(pome.AuditKeyUpdated, at(time.Minute)).On(a.Team.ID, pome.TargetKey, k.ID)); err != nil {
			t.Fatal(err)
		}
	}
	update(func(k *pome.Key) { k.Credits.Remaining -= 95 })
	low, _ := wantCreditAlerts(t, s, k, 1, 0)
	wantAlert(t, low[0], k, map[string]any{"remaining": 5, "threshold": 10})
	evs, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: a.Team.ID, TargetID: k.ID, Limit: 2})
	if err != nil || len(evs) != 2 || evs[0].Action != pome.AuditCreditsLow || evs[1].Action != pome.AuditKeyUpdated {
		t.Fatalf("the key's newest events = %+v, %v; want credits.low after key.updated", evs, err)
	}
	update(func(k *pome.Key) { k.Name = "renamed" })
	update(func(k *pome.Key) { k.Credits.Remaining = 0 })
	_, exhausted := wantCreditAlerts(t, s, k, 1, 1)
	wantAlert(t, exhausted[0], k, map[string]any{"remaining": 0})
	update(func(k *pome.Key) { k.Credits = nil })
	update(func(k *pome.Key) { k.Credits = &pome.Credits{} })
	wantCreditAlerts(t, s, k, 1, 1)
}

// A roll that leaves the replacement at or below a threshold, the old key
// keeping what its nodes hold, records it on the replacement; the old key,
// which keeps its part as its own base, records nothing.
func testRollAlerts(t *testing.T, s pome.Store) {
	a := mustAccount(t, s, "roll-alerts")
	old := mustCreditKey(t, s, a, &pome.Credits{Remaining: 100, Base: 100})
	settleOnce(t, s, []string{old.ID}, t0, func(st *pome.CreditState) {
		st.Leases = []pome.CreditLease{{Node: "n1", Held: 95, Armed: 5, ExpiresAt: at(time.Minute)}}
	})
	nk := newKey(a, "rolled", at(time.Second))
	if _, err := s.RollKey(t.Context(), pome.KeyRoll{TeamID: a.Team.ID, OldKeyID: old.ID, OldExpiresAt: at(time.Hour), New: nk},
		sysEvent(pome.AuditKeyRolled, at(time.Second))); err != nil {
		t.Fatal(err)
	}
	low, _ := wantCreditAlerts(t, s, nk, 1, 0)
	wantAlert(t, low[0], nk, map[string]any{"remaining": 5, "threshold": 10})
}

// wantCreditAlerts checks that k's team's log holds low credits.low and
// exhausted credits.exhausted events, and returns them, newest first.
func wantCreditAlerts(t *testing.T, s pome.Store, k pome.Key, low, exhausted int) (lows, exhausteds []pome.AuditEvent) {
	t.Helper()
	for _, w := range []struct {
		action string
		n      int
		got    *[]pome.AuditEvent
	}{{pome.AuditCreditsLow, low, &lows}, {pome.AuditCreditsExhausted, exhausted, &exhausteds}} {
		evs, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: k.TeamID, Action: w.action, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != w.n {
			t.Fatalf("%d %s events, want %d: %+v", len(evs), w.action, w.n, evs)
		}
		*w.got = evs
	}
	return lows, exhausteds
}

// wantAlert checks that ev is a credits event of the system about k with
// details.
func wantAlert(t *testing.T, ev pome.AuditEvent, k pome.Key, details map[string]any) {
	t.Helper()
	if ev.TeamID != k.TeamID || ev.TargetType != pome.TargetKey || ev.TargetID != k.ID ||
		ev.ActorType != pome.ActorSystem || ev.ActorID != "" || ev.Result != pome.ResultSuccess || !sameDetails(ev.Details, details) {
		t.Errorf("%s event = %+v; want by the system, on key %s of team %s, details %v", ev.Action, ev, k.ID, k.TeamID, details)
	}
}

// RunCreditsBaseBackfill checks a store's 0019: undo drops the base and
// forgets the migration, which then runs again. A key metered before it
// takes the larger of its refill's amount and what it has left.
func RunCreditsBaseBackfill(t *testing.T, s pome.Store, undo func(t *testing.T, s pome.Store) pome.Store) {
	a := mustAccount(t, s, "acme")
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	refill := &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 100}
	keys := []struct {
		credits *pome.Credits
		want    string
	}{
		{&pome.Credits{Remaining: 30}, "30 base 30"},
		{&pome.Credits{Remaining: 7, Refill: refill, Period: day}, "7 base 100 refill daily 100 of 2025-03-10T00:00:00Z"},
		{&pome.Credits{Remaining: 150, Refill: refill, Period: day}, "150 base 150 refill daily 100 of 2025-03-10T00:00:00Z"},
		{nil, "unlimited"},
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = mustCreditKey(t, s, a, k.credits).ID
	}
	s = undo(t, s)
	for i, k := range keys {
		if got := fmtCredits(mustKeyByID(t, s, a.Team.ID, ids[i]).Credits); got != k.want {
			t.Errorf("credits after the migration = %s, want %s", got, k.want)
		}
	}
}
