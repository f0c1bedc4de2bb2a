package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/webhook"
)

// A team's own webhook endpoints (docs/api.md, "Webhooks of a team"), for
// its owners and admins: the platform API's routes (platform_webhooks.go)
// scoped to the session's team.

// teamWebhookRequest is the body of POST /api/team/webhooks: no team, as
// the endpoint is the session's team's; a "team" field is an unknown one.
type teamWebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// webhookManager is the member of the request's team, if they may manage
// its endpoints, and the actor of their audit events.
func (a *sessionAPI) webhookManager(r *http.Request) (pome.Member, webhook.Actor, error) {
	m, err := a.sess.member(r)
	if err != nil {
		return pome.Member{}, webhook.Actor{}, err
	}
	if !m.Role.Can(pome.ActionManageWebhooks) {
		return pome.Member{}, webhook.Actor{}, pome.ErrInsufficientPermissions
	}
	return m, webhook.Actor{Type: pome.ActorUser, ID: m.User.ID}, nil
}

// createTeamWebhook answers POST /api/team/webhooks: 201 with the endpoint
// and its secret, shown this once.
func (a *sessionAPI) createTeamWebhook(w http.ResponseWriter, r *http.Request) error {
	m, by, err := a.webhookManager(r)
	if err != nil {
		return err
	}
	var req teamWebhookRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	e, secret, err := a.webhooks.Create(r.Context(), by, webhook.NewEndpoint{URL: req.URL, Events: req.Events, TeamID: m.Team.ID})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, webhookOf(e, secret))
	return nil
}

// listTeamWebhooks answers GET /api/team/webhooks: the team's endpoints,
// oldest first.
func (a *sessionAPI) listTeamWebhooks(w http.ResponseWriter, r *http.Request) error {
	m, _, err := a.webhookManager(r)
	if err != nil {
		return err
	}
	es, err := a.webhooks.List(r.Context(), m.Team.ID)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, webhooksOf(es))
	return nil
}

// deleteTeamWebhook answers DELETE /api/team/webhooks/{id}; another team's
// endpoint is not found.
func (a *sessionAPI) deleteTeamWebhook(w http.ResponseWriter, r *http.Request) error {
	m, by, err := a.webhookManager(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.webhooks.Delete(r.Context(), by, m.Team.ID, id); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, webhookDeleted(id))
	return nil
}

// teamWebhookDeliveries answers GET /api/team/webhooks/{id}/deliveries: a
// page of the attempts of one of the team's endpoints, newest first.
func (a *sessionAPI) teamWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	m, _, err := a.webhookManager(r)
	if err != nil {
		return err
	}
	before, err := deliveryCursor(r)
	if err != nil {
		return err
	}
	as, err := a.webhooks.Attempts(r.Context(), m.Team.ID, r.PathValue("id"), before, deliveriesPage)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, deliveriesOf(as))
	return nil
}
