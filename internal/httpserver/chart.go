package httpserver

import (
	"fmt"

	"github.com/pomehq/pome"
)

// usageChart is a bar chart of a key's daily requests, drawn on the server
// as inline SVG: no script, no library. Coordinates are in the SVG's
// viewBox; the template only places them.
type usageChart struct {
	Width, Height      int
	Left, Right        int // the plot area's x range
	Top, Bottom        int // its y range
	TickX, LabelY      int // where the axes' labels stand
	Bars               []chartBar
	Grid               []chartTick
	Labels             []chartLabel
	Total, Peak, Scale int64
	PeakDay            string
	From, To           string
}

type chartBar struct {
	X, Y, W, H string
	Title      string
}

type chartTick struct {
	Y     string
	Label string
}

type chartLabel struct {
	X, Text, Anchor string
}

func newUsageChart(days []pome.DailyUsage) usageChart {
	c := usageChart{Width: 720, Height: 220, Left: 44, Right: 712, Top: 12, Bottom: 186, TickX: 38, LabelY: 208}
	for _, d := range days {
		c.Total += d.Outcomes[0]
		if d.Outcomes[0] > c.Peak {
			c.Peak, c.PeakDay = d.Outcomes[0], d.Day.UTC().Format("2 Jan")
		}
	}
	if len(days) == 0 {
		return c
	}
	c.From, c.To = days[0].Day.UTC().Format("2 Jan 2006"), days[len(days)-1].Day.UTC().Format("2 Jan 2006")
	c.Scale = niceCeil(c.Peak)
	plotW, plotH := float64(c.Right-c.Left), float64(c.Bottom-c.Top)
	slot := plotW / float64(len(days))
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	for _, frac := range []int64{0, 1, 2} {
		v := c.Scale * frac / 2
		y := float64(c.Bottom) - plotH*float64(v)/float64(c.Scale)
		c.Grid = append(c.Grid, chartTick{Y: f(y), Label: fmt.Sprint(v)})
	}
	for i, d := range days {
		h := plotH * float64(d.Outcomes[0]) / float64(c.Scale)
		if d.Outcomes[0] > 0 && h < 2 {
			h = 2 // a day with a request never looks like a day without
		}
		x := float64(c.Left) + slot*float64(i) + slot*0.15
		c.Bars = append(c.Bars, chartBar{
			X: f(x), Y: f(float64(c.Bottom) - h), W: f(slot * 0.7), H: f(h),
			Title: fmt.Sprintf("%s: %s", d.Day.UTC().Format("Mon 2 Jan 2006"), plural(int(d.Outcomes[0]), "request")),
		})
		// The first and last labels align with the plot's edges, so that
		// they are not cut.
		switch i {
		case 0:
			c.Labels = append(c.Labels, chartLabel{X: f(x), Text: d.Day.UTC().Format("2 Jan"), Anchor: "start"})
		case len(days) / 2:
			c.Labels = append(c.Labels, chartLabel{X: f(x + slot*0.35), Text: d.Day.UTC().Format("2 Jan"), Anchor: "middle"})
		case len(days) - 1:
			c.Labels = append(c.Labels, chartLabel{X: f(x + slot*0.7), Text: d.Day.UTC().Format("2 Jan"), Anchor: "end"})
		}
	}
	return c
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
