package pome_test

import (
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
	c := pome.Credits{Remaining: 3, Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 10}, Period: day}
	if c.Refilled(day.Add(23*time.Hour)) || c.At(day.Add(23*time.Hour)) != 3 {
		t.Fatalf("within the period: refilled, or At = %d; want neither, 3", c.At(day.Add(23*time.Hour)))
	}
	next := day.AddDate(0, 0, 1)
	if c.At(next) != 10 || !c.Refilled(next) || c.Remaining != 10 || !c.Period.Equal(next) {
		t.Fatalf("at the next period: %+v, want 10 left of that period", c)
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
	c := pome.Credits{Remaining: 100, Refill: &pome.CreditRefill{Interval: pome.RefillDaily, Amount: 100}, Period: day}
	old, moved := c.Split(30, day.Add(time.Hour))
	if old.Remaining != 30 || old.Refill != nil || moved.Remaining != 70 || moved.Refill == nil {
		t.Errorf("Split(30) = %+v, %+v; want 30 kept without refill, 70 moved with it", old, moved)
	}
	// After the period, the leases were of the one before: nothing held.
	old, moved = c.Split(30, day.AddDate(0, 0, 1))
	if old.Remaining != 0 || moved.Remaining != 100 {
		t.Errorf("Split at a due refill = %+v, %+v; want 0 kept, the refill's 100 moved", old, moved)
	}
}
