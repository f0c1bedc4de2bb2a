package httpserver

import (
	"fmt"
	"strings"

	"github.com/pomehq/pome"
)

// usageChart is a bar chart of daily verifications, each day's bar stacked
// by outcome (valid at the bottom, then the refusals in the order of
// pome.Outcomes), drawn on the server as inline SVG: no script, no library.
//
// The SVG holds only the bars and the grid, in a viewBox of slotWidth a day
// by 100 that the page stretches to its card's width (preserveAspectRatio
// none), whatever the width: at 360 px the whole range shows, today's bar
// included, where a fixed drawing had to scroll from its oldest day. The
// axes' labels are HTML beside it, so their text keeps its size (a scaled
// drawing's 13 px labels were 5 px on a phone). Colour is never the only
// carrier: each bar's title and the legend say the counts in words.
type usageChart struct {
	// What the page says around the drawing: whose requests (Of), the
	// links to other ranges (RangeURL, to which a number of days is
	// appended; Ranges), and what an empty chart means (Empty).
	Of, RangeURL, Empty string
	Ranges              []int
	Days                int
	Width, Height       int // the viewBox
	Top, Bottom         int // the plot's y range in it
	Bars                []chartBar
	Grid                []chartTick   // bottom, middle and top of the scale
	Labels              []string      // the first, middle and last days
	Legend              []chartLegend // the outcomes of the range, valid always
	Total, Peak, Scale  int64         // Total, Peak: verifications of every outcome
	Valid               int64
	PeakDay             string
	From, To            string
}

// chartBar is one day: its segments, bottom up, and its counts in words.
type chartBar struct {
	Title    string
	Segments []chartSegment
}

type chartSegment struct {
	X, Y, W, H string
	Outcome    pome.Outcome // its class, o-<outcome>, gives its colour
}

// chartTick is a line of the grid and its label; Place (bottom, middle,
// top) is its label's class, which sets it beside the line: the pages'
// Content-Security-Policy allows no style attribute.
type chartTick struct {
	Y            string
	Label, Place string
}

type chartLegend struct {
	Outcome pome.Outcome
	Label   string
	Count   int64
}

// slotWidth is a day's width in the chart's viewBox; a bar takes barShare
// of it, centred.
const (
	slotWidth = 10
	barShare  = 0.7
)

// outcomeLabel is an outcome in words: "rate limited".
func outcomeLabel(o pome.Outcome) string { return strings.ReplaceAll(string(o), "_", " ") }

func newUsageChart(days []pome.DailyUsage) usageChart {
	c := usageChart{Days: len(days), Width: slotWidth * max(len(days), 1), Height: 100, Top: 0, Bottom: 100}
	var sum pome.OutcomeCounts
	for i := range days {
		d := &days[i]
		sum.Add(&d.Outcomes)
		if t := d.Outcomes.Total(); t > c.Peak {
			c.Peak, c.PeakDay = t, d.Day.UTC().Format("2 Jan")
		}
	}
	c.Total, c.Valid = sum.Total(), sum.Of(pome.OutcomeValid)
	for i, o := range pome.Outcomes {
		if o == pome.OutcomeValid || sum[i] != 0 {
			c.Legend = append(c.Legend, chartLegend{Outcome: o, Label: outcomeLabel(o), Count: sum[i]})
		}
	}
	if len(days) == 0 {
		return c
	}
	c.From, c.To = days[0].Day.UTC().Format("2 Jan 2006"), days[len(days)-1].Day.UTC().Format("2 Jan 2006")
	c.Scale = niceCeil(c.Peak)
	plotH := float64(c.Bottom - c.Top)
	f := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	for i, place := range []string{"bottom", "middle", "top"} {
		v := c.Scale * int64(i) / 2
		y := float64(c.Bottom) - plotH*float64(v)/float64(c.Scale)
		c.Grid = append(c.Grid, chartTick{Y: f(y), Label: fmt.Sprint(v), Place: place})
	}
	for i := range days {
		d := &days[i]
		total := d.Outcomes.Total()
		h := plotH * float64(total) / float64(c.Scale)
		if total > 0 && h < 1 {
			h = 1 // a day with a request never looks like a day without
		}
		x := float64(slotWidth*i) + slotWidth*(1-barShare)/2
		bar := chartBar{Title: barTitle(d)}
		// Each segment spans its share of the bar, from the running sum
		// below it: the segments meet exactly and fill the bar.
		var below int64
		for j, o := range pome.Outcomes {
			n := d.Outcomes[j]
			if n == 0 {
				continue
			}
			y0 := float64(c.Bottom) - h*float64(below)/float64(total)
			below += n
			y1 := float64(c.Bottom) - h*float64(below)/float64(total)
			bar.Segments = append(bar.Segments, chartSegment{X: f(x), Y: f(y1), W: f(slotWidth * barShare), H: f(y0 - y1), Outcome: o})
		}
		c.Bars = append(c.Bars, bar)
	}
	for _, i := range []int{0, len(days) / 2, len(days) - 1} {
		c.Labels = append(c.Labels, days[i].Day.UTC().Format("2 Jan"))
	}
	return c
}

// barTitle is a day's counts in words: "Mon 23 Nov 2026: 4 requests (3
// valid, 1 rate limited)"; a day of valid requests only says no more than
// "Mon 23 Nov 2026: 3 requests".
func barTitle(d *pome.DailyUsage) string {
	total := d.Outcomes.Total()
	s := fmt.Sprintf("%s: %s", d.Day.UTC().Format("Mon 2 Jan 2006"), plural(int(total), "request"))
	if d.Outcomes.Of(pome.OutcomeValid) == total {
		return s
	}
	var parts []string
	for i, o := range pome.Outcomes {
		if n := d.Outcomes[i]; n != 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, outcomeLabel(o)))
		}
	}
	return s + " (" + strings.Join(parts, ", ") + ")"
}

// niceCeil is the smallest of 2, 4, 10, 20, 40, 100... at or above n: the
// top of the chart's scale, whose half is a round number too.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{2, 4, 10} {
			if m*p >= n {
				return m * p
			}
		}
	}
}
