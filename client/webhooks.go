package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Webhook is a webhook endpoint. Secret, the whsec_ signing secret, is set
// only in the answer of its creation: it is never shown again.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Team is the team whose events it receives; "" (null in JSON): every
	// team's.
	Team string `json:"team"`
	// Status is "active", or "failing" once a message was given up after
	// 24 h of retries, until the next delivery succeeds (FailingSince).
	Status       string     `json:"status"`
	FailingSince *time.Time `json:"failing_since"`
	CreatedAt    time.Time  `json:"created_at"`
	Secret       string     `json:"secret,omitempty"`
}

// MarshalJSON encodes the endpoint as the server sends it: team is null
// for an endpoint of every team.
func (w Webhook) MarshalJSON() ([]byte, error) {
	type plain Webhook
	return json.Marshal(struct {
		plain
		Team *string `json:"team"`
	}{plain(w), orNull(w.Team)})
}

// CreateWebhookParams is the body of a webhook's creation: URL (http or
// https) and Events are required. Team is the platform API's only: a team
// id (tm_...), or "" for every team's events.
type CreateWebhookParams struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Team   string   `json:"team,omitempty"`
}

// WebhookList is a list of endpoints, oldest first.
type WebhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// DeletedWebhook is the answer of a deletion: the endpoint receives
// nothing more, and its queue and deliveries log are gone.
type DeletedWebhook struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	ID      string `json:"id"`
}

// WebhookDelivery is one delivery attempt.
type WebhookDelivery struct {
	EventID string    `json:"event_id"` // the webhook-id header
	Type    string    `json:"type"`
	Attempt int       `json:"attempt"` // 1 for the first
	At      time.Time `json:"at"`
	// StatusCode is the receiver's HTTP status; 0 (null in JSON) when no
	// answer came (a timeout, a refused connection).
	StatusCode int     `json:"status_code"`
	LatencyMS  float64 `json:"latency_ms"`
	Error      string  `json:"error"` // why it failed; "" on success
	// Outcome is "delivered", "retrying" (another attempt follows) or
	// "failed" (given up).
	Outcome string `json:"outcome"`
}

// MarshalJSON encodes the attempt as the server sends it: status_code is
// null when no answer came.
func (d WebhookDelivery) MarshalJSON() ([]byte, error) {
	type plain WebhookDelivery
	var status *int
	if d.StatusCode != 0 {
		status = &d.StatusCode
	}
	return json.Marshal(struct {
		plain
		StatusCode *int `json:"status_code"`
	}{plain(d), status})
}

// WebhookDeliveryList is a page of an endpoint's attempts, newest first.
// NextCursor is "" on the last page (null in JSON).
type WebhookDeliveryList struct {
	Deliveries []WebhookDelivery `json:"deliveries"`
	NextCursor string            `json:"next_cursor"`
}

// MarshalJSON encodes the page as the server sends it.
func (l WebhookDeliveryList) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Deliveries []WebhookDelivery `json:"deliveries"`
		NextCursor *string           `json:"next_cursor"`
	}{l.Deliveries, orNull(l.NextCursor)})
}

// The platform API's endpoints (webhooks:write): of one team or of every
// team.

// CreateWebhook registers an endpoint (POST /v1/webhooks) and returns it
// with its signing secret, shown this once.
func (c *Client) CreateWebhook(ctx context.Context, p CreateWebhookParams) (*Webhook, error) {
	return c.createWebhook(ctx, "/v1/webhooks", true, p)
}

// Webhooks lists every endpoint (GET /v1/webhooks).
func (c *Client) Webhooks(ctx context.Context) (*WebhookList, error) {
	return c.webhooks(ctx, "/v1/webhooks", true)
}

// DeleteWebhook deletes an endpoint (DELETE /v1/webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, id string) (*DeletedWebhook, error) {
	return c.deleteWebhook(ctx, "/v1/webhooks/", true, id)
}

// WebhookDeliveries returns a page of an endpoint's delivery attempts,
// newest first, from cursor ("" for the first page) (GET
// /v1/webhooks/{id}/deliveries).
func (c *Client) WebhookDeliveries(ctx context.Context, id, cursor string) (*WebhookDeliveryList, error) {
	return c.webhookDeliveries(ctx, "/v1/webhooks/", true, id, cursor)
}

// The team's own endpoints, for its owners and admins (session API).

// CreateTeamWebhook registers an endpoint for the team's events (POST
// /api/team/webhooks); p.Team is ignored.
func (c *Client) CreateTeamWebhook(ctx context.Context, p CreateWebhookParams) (*Webhook, error) {
	p.Team = ""
	return c.createWebhook(ctx, "/api/team/webhooks", false, p)
}

// TeamWebhooks lists the team's endpoints (GET /api/team/webhooks).
func (c *Client) TeamWebhooks(ctx context.Context) (*WebhookList, error) {
	return c.webhooks(ctx, "/api/team/webhooks", false)
}

// DeleteTeamWebhook deletes one of the team's endpoints (DELETE
// /api/team/webhooks/{id}).
func (c *Client) DeleteTeamWebhook(ctx context.Context, id string) (*DeletedWebhook, error) {
	return c.deleteWebhook(ctx, "/api/team/webhooks/", false, id)
}

// TeamWebhookDeliveries returns a page of one of the team's endpoints'
// attempts (GET /api/team/webhooks/{id}/deliveries).
func (c *Client) TeamWebhookDeliveries(ctx context.Context, id, cursor string) (*WebhookDeliveryList, error) {
	return c.webhookDeliveries(ctx, "/api/team/webhooks/", false, id, cursor)
}

func (c *Client) createWebhook(ctx context.Context, path string, public bool, p CreateWebhookParams) (*Webhook, error) {
	var v Webhook
	if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: p, public: public, want: http.StatusCreated}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) webhooks(ctx context.Context, path string, public bool) (*WebhookList, error) {
	var v WebhookList
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, public: public, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) deleteWebhook(ctx context.Context, base string, public bool, id string) (*DeletedWebhook, error) {
	var v DeletedWebhook
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: base + url.PathEscape(id), public: public, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (c *Client) webhookDeliveries(ctx context.Context, base string, public bool, id, cursor string) (*WebhookDeliveryList, error) {
	path := base + url.PathEscape(id) + "/deliveries"
	if cursor != "" {
		path += "?cursor=" + url.QueryEscape(cursor)
	}
	var v WebhookDeliveryList
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, public: public, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
