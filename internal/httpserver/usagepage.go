package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
)

type usagePage struct {
	Chart    usageChart
	TopKeys  []topKey
	NoAccess bool // a viewer: no keys, no usage
}

// topKey is a row of the usage page's top keys: a key's requests over the
// chart's days, the valid ones and the refused ones.
type topKey struct {
	pome.KeyUsage
	Total, Valid, Refused int64
}

// topKeysShown is how many keys the usage page ranks.
const topKeysShown = 10

// handleUsagePage answers GET /usage?team=&days=: the requests of the keys
// the member may see (every key of the team for owners and admins, their
// own for developers, as GET /api/usage), by day and outcome, and the keys
// of the most requests.
func (d *dashboard) handleUsagePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.signedIn(w, r, "usage")
		if !ok {
			return
		}
		p.Title = "Usage"
		data := &usagePage{}
		p.Data = data
		if !p.CanCreateKeys() {
			data.NoAccess = true
			d.render(w, r, http.StatusOK, "usage", p)
			return
		}
		days, err := usageDays(r)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		usage, err := d.keys.TeamUsage(r.Context(), p.Member, days)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		top, err := d.keys.TopKeys(r.Context(), p.Member, days, topKeysShown)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		for _, k := range top {
			total, valid := k.Outcomes.Total(), k.Outcomes.Of(pome.OutcomeValid)
			data.TopKeys = append(data.TopKeys, topKey{KeyUsage: k, Total: total, Valid: valid, Refused: total - valid})
		}
		data.Chart = pageChart(usage, p.Member.Team.Name+"'s keys", "/usage", p.Member.Team.Slug,
			"Requests made with the team's keys show here.")
		d.render(w, r, http.StatusOK, "usage", p)
	})
}
