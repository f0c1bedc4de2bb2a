package httpserver

import "net/http"

type usagePage struct {
	Chart    usageChart
	NoAccess bool // a viewer: no keys, no usage
}

// handleUsagePage answers GET /usage?team=&days=: the requests of the keys
// the member may see (every key of the team for owners and admins, their
// own for developers, as GET /api/usage), by day and outcome.
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
		data.Chart = pageChart(usage, p.Member.Team.Name+"'s keys", "/usage", p.Member.Team.Slug,
			"Requests made with the team's keys show here.")
		d.render(w, r, http.StatusOK, "usage", p)
	})
}
