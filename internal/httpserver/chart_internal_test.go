package httpserver

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// A day's bar stacks its outcomes bottom up in the order of pome.Outcomes,
// the segments meeting exactly and filling the bar; the bar's title and the
// legend say the counts in words, and the legend lists valid and each
// outcome that happened, no other.
func TestUsageChartStacksOutcomes(t *testing.T) {
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var mixed, valid pome.OutcomeCounts
	mixed[pome.OutcomeValid.Index()] = 6
	mixed[pome.OutcomeRevoked.Index()] = 1
	mixed[pome.OutcomeRateLimited.Index()] = 3
	valid[pome.OutcomeValid.Index()] = 2
	c := newUsageChart([]pome.DailyUsage{{Day: day, Outcomes: mixed}, {Day: day.AddDate(0, 0, 1), Outcomes: valid}, {Day: day.AddDate(0, 0, 2)}})
	if c.Total != 12 || c.Valid != 8 || c.Peak != 10 || c.Scale != 10 {
		t.Errorf("total %d, valid %d, peak %d, scale %d; want 12, 8, 10, 10", c.Total, c.Valid, c.Peak, c.Scale)
	}
	num := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	b := c.Bars[0]
	if b.Title != "Mon 23 Nov 2026: 10 requests (6 valid, 1 revoked, 3 rate limited)" {
		t.Errorf("title = %q", b.Title)
	}
	wantOrder := []pome.Outcome{pome.OutcomeValid, pome.OutcomeRevoked, pome.OutcomeRateLimited}
	if len(b.Segments) != len(wantOrder) {
		t.Fatalf("segments = %+v, want %v", b.Segments, wantOrder)
	}
	bottom := float64(c.Bottom)
	for i, seg := range b.Segments {
		if seg.Outcome != wantOrder[i] {
			t.Errorf("segment %d is %s, want %s", i, seg.Outcome, wantOrder[i])
		}
		if y, h := num(seg.Y), num(seg.H); math.Abs(y+h-bottom) > 0.11 {
			t.Errorf("segment %d spans %v..%v, want it to start at %v", i, y+h, y, bottom)
		} else {
			bottom = y
		}
	}
	if full := float64(c.Bottom - c.Top); math.Abs(float64(c.Bottom)-bottom-full) > 0.11 {
		t.Errorf("the peak day's bar is %v high, want the whole plot, %v", float64(c.Bottom)-bottom, full)
	}
	if c.Bars[1].Title != "Tue 24 Nov 2026: 2 requests" || len(c.Bars[2].Segments) != 0 {
		t.Errorf("bars = %+v; want a valid-only title and no segment for an empty day", c.Bars[1:])
	}
	want := []chartLegend{{pome.OutcomeValid, "valid", 8}, {pome.OutcomeRevoked, "revoked", 1}, {pome.OutcomeRateLimited, "rate limited", 3}}
	if len(c.Legend) != len(want) {
		t.Fatalf("legend = %+v, want %+v", c.Legend, want)
	}
	for i := range want {
		if c.Legend[i] != want[i] {
			t.Errorf("legend[%d] = %+v, want %+v", i, c.Legend[i], want[i])
		}
	}
}
