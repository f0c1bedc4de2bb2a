package httpserver

import (
	"context"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/webhook"
)

// The platform's webhook endpoints (docs/api.md, "Webhooks"): of one team,
// or of every team's events. A service token with webhooks:write manages
// every endpoint, the teams' own included.

// createWebhook answers POST /v1/webhooks: 201 with the endpoint and its
// secret, shown this once.
func (p *platformAPI) createWebhook(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	var req client.CreateWebhookParams
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	teamID := ""
	if req.Team != "" {
		t, err := p.accounts.Team(ctx, req.Team)
		if err != nil {
			return err
		}
		teamID = t.ID
	}
	e, secret, err := p.webhooks.Create(ctx, webhook.Actor{Type: pome.ActorToken, ID: by.ID},
		webhook.NewEndpoint{URL: req.URL, Events: req.Events, TeamID: teamID})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, webhookOf(e, secret))
	return nil
}

// listWebhooks answers GET /v1/webhooks: every endpoint, oldest first.
func (p *platformAPI) listWebhooks(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	es, err := p.webhooks.List(ctx, "")
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, webhooksOf(es))
	return nil
}

// deleteWebhook answers DELETE /v1/webhooks/{id}.
func (p *platformAPI) deleteWebhook(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	id := r.PathValue("id")
	if err := p.webhooks.Delete(ctx, webhook.Actor{Type: pome.ActorToken, ID: by.ID}, "", id); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, webhookDeleted(id))
	return nil
}

// webhookDeliveries answers GET /v1/webhooks/{id}/deliveries: a page of
// its attempts, newest first.
func (p *platformAPI) webhookDeliveries(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	before, err := deliveryCursor(r)
	if err != nil {
		return err
	}
	as, err := p.webhooks.Attempts(ctx, "", r.PathValue("id"), before, deliveriesPage)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, deliveriesOf(as))
	return nil
}
