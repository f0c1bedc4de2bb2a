package pome_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// A refill's periods: daily from 00:00 UTC, monthly from the 1st, across
// the year's end and whatever the time zone of the time given.
func TestRefillPeriods(t *testing.T) {
	t.Parallel()
	utc := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	tokyo := time.FixedZone("JST", 9*3600)
	for _, tc := range []struct {
		interval    string
		at          time.Time
		start, next time.Time
	}{
		{pome.RefillDaily, utc(2026, 12, 6, 15), utc(2026, 12, 6, 0), utc(2026, 12, 7, 0)},
		{pome.RefillDaily, utc(2026, 12, 31, 23), utc(2026, 12, 31, 0), utc(2027, 1, 1, 0)},
		{pome.RefillDaily, time.Date(2026, 12, 7, 8, 0, 0, 0, tokyo), utc(2026, 12, 6, 0), utc(2026, 12, 7, 0)},
		{pome.RefillMonthly, utc(2026, 12, 6, 15), utc(2026, 12, 1, 0), utc(2027, 1, 1, 0)},
		{pome.RefillMonthly, utc(2027, 1, 31, 23), utc(2027, 1, 1, 0), utc(2027, 2, 1, 0)},
	} {
		r := pome.CreditRefill{Interval: tc.interval, Amount: 5}
		if got := r.PeriodStart(tc.at); !got.Equal(tc.start) {
			t.Errorf("%s PeriodStart(%v) = %v, want %v", tc.interval, tc.at, got, tc.start)
		}
		if got := r.Next(tc.at); !got.Equal(tc.next) {
			t.Errorf("%s Next(%v) = %v, want %v", tc.interval, tc.at, got, tc.next)
		}
	}
}

// A due refill sets what is left to the amount, not adds it, once per
// period.
func TestCreditsRefilled(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	c := pome.Credits{Remaining: 3, Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 10}, Period: day, Base: 50}
	if c.Refilled(day.Add(23*time.Hour)) || c.At(day.Add(23*time.Hour)) != 3 {
		t.Fatalf("within the period: refilled, or At = %d; want neither, 3", c.At(day.Add(23*time.Hour)))
	}
	next := day.AddDate(0, 0, 1)
	if c.At(next) != 10 || !c.Refilled(next) || c.Remaining != 10 || !c.Period.Equal(next) || c.Base != 10 {
		t.Fatalf("at the next period: %+v, want 10 left of that period, and 10 the base", c)
	}
	if c.Refilled(next.Add(time.Hour)) {
		t.Error("a second refill in one period")
	}
}

// A roll's split: the replacement takes what is left but for what nodes
// hold, and the refill; the old key keeps the held part, no refill.
func TestCreditsSplit(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	c := pome.Credits{Remaining: 100, Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 100}, Period: day, Base: 100}
	old, moved := c.Split(30, day.Add(time.Hour))
	if old.Remaining != 30 || old.Refill != nil || old.Base != 30 || moved.Remaining != 70 || moved.Refill == nil || moved.Base != 100 {
		t.Errorf("Split(30) = %+v, %+v; want 30 kept without refill, of base 30, 70 moved with it and the base", old, moved)
	}
	// After the period, the leases were of the one before: nothing held.
	old, moved = c.Split(30, day.AddDate(0, 0, 1))
	if old.Remaining != 0 || moved.Remaining != 100 {
		t.Errorf("Split at a due refill = %+v, %+v; want 0 kept, the refill's 100 moved", old, moved)
	}
}

// A change records credits.low when it takes what is left from above a
// tenth of the base to it or below, credits.exhausted when it takes it to
// 0, each as of now (a due refill made), and nothing for a balance that
// stays where it was or a key without credits.
func TestCreditAlerts(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	now := day.Add(time.Hour)
	credits := func(remaining, base int64) *pome.Credits { return &pome.Credits{Remaining: remaining, Base: base} }
	refilled := &pome.Credits{Remaining: 0, Base: 100, Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 20}, Period: day.AddDate(0, 0, -1)}
	for _, tc := range []struct {
		name          string
		before, after *pome.Credits
		want          string
	}{
		{"above", credits(100, 100), credits(11, 100), ""},
		{"to the threshold", credits(11, 100), credits(10, 100), "credits.low 10/10"},
		{"staying below", credits(10, 100), credits(3, 100), ""},
		{"to 0 from below", credits(3, 100), credits(0, 100), "credits.exhausted 0"},
		{"to 0 from above", credits(50, 100), credits(0, 100), "credits.low 0/10 credits.exhausted 0"},
		{"staying at 0", credits(0, 100), credits(0, 100), ""},
		{"lifted", credits(0, 100), credits(50, 100), ""},
		{"set lower: the new base", credits(50, 100), credits(5, 5), ""},
		{"set to 0", credits(50, 100), credits(0, 0), "credits.low 0/0 credits.exhausted 0"},
		{"a base under 10", credits(1, 5), credits(0, 5), "credits.low 0/0 credits.exhausted 0"},
		{"a zero key", credits(0, 0), credits(0, 0), ""},
		// The stored 0 of the period before is stale: the refill made it
		// 20, of which spending left 2.
		{"after a due refill", refilled, &pome.Credits{Remaining: 2, Base: 20, Refill: refilled.Refill, Period: day}, "credits.low 2/2"},
		{"an unchanged stale balance", refilled, refilled, ""},
		{"made unlimited", credits(50, 100), nil, ""},
		{"metered at 0", nil, credits(0, 0), ""},
	} {
		var got []string
		for _, ev := range pome.CreditAlerts("tm_1", "key_1", tc.before, tc.after, now) {
			if ev.TeamID != "tm_1" || ev.TargetType != pome.TargetKey || ev.TargetID != "key_1" || ev.ActorType != pome.ActorSystem ||
				ev.ID == "" || !ev.At.Equal(now) || ev.Result != pome.ResultSuccess {
				t.Errorf("%s: event %+v, want the system's, on key_1 of tm_1, at now", tc.name, ev)
			}
			s := fmt.Sprintf("%s %v", ev.Action, ev.Details["remaining"])
			if th, ok := ev.Details["threshold"]; ok {
				s += fmt.Sprintf("/%v", th)
			}
			got = append(got, s)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: alerts %q, want %q", tc.name, g, tc.want)
		}
	}
}
