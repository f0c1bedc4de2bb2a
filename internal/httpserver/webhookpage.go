package httpserver

import (
	"net/http"
	"net/url"

	"github.com/pomehq/pome"
)

type webhookPage struct {
	Endpoint   pome.WebhookEndpoint
	Deliveries []pome.WebhookAttempt
	Next       string // the link to older attempts, if any
}

// handleWebhookPage answers GET /settings/webhooks/{id}?cursor=: one of
// the team's webhook endpoints and its delivery attempts, newest first,
// for owners and admins (as GET /api/team/webhooks/{id}/deliveries).
func (d *dashboard) handleWebhookPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.signedIn(w, r, "settings")
		if !ok {
			return
		}
		if !p.CanManageWebhooks() {
			d.fail(w, r, p, pome.Errorf(pome.Forbidden, pome.ErrInsufficientPermissions.Code,
				"Only owners and admins of this team can see its webhook endpoints."))
			return
		}
		id := r.PathValue("id")
		e, err := d.webhooks.Get(r.Context(), p.Member.Team.ID, id)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		before, err := deliveryCursor(r)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		as, err := d.webhooks.Attempts(r.Context(), p.Member.Team.ID, id, before, deliveriesPage)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		p.Title = "Webhook endpoint"
		p.Data = webhookPage{Endpoint: e, Deliveries: as,
			Next: nextPage("/settings/webhooks/"+url.PathEscape(e.ID), p.Member.Team.Slug, deliveriesCursor(as))}
		d.render(w, r, http.StatusOK, "webhook", p)
	})
}
