package client

import (
	"context"
	"net/http"
	"time"
)

// CreatePortalSessionParams is the body of CreatePortalSession. Team and
// Email are required; Role is developer when empty; ReturnURL, when set,
// must be on one of the server's --portal-return-origins.
type CreatePortalSessionParams struct {
	Team      string `json:"team"`
	Email     string `json:"email"`
	Role      string `json:"role,omitempty"`
	ReturnURL string `json:"return_url,omitempty"`
}

// PortalSession is a one-time link into the dashboard: opened once, within
// 5 minutes, it signs the browser in to the team's keys.
type PortalSession struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreatePortalSession makes a one-time link that signs one of the
// platform's users in to a team's dashboard without a password (POST
// /v1/portal/sessions; portal:write). Redirect the user's browser to URL at
// once: it works once, for 5 minutes.
func (c *Client) CreatePortalSession(ctx context.Context, p CreatePortalSessionParams) (*PortalSession, error) {
	var v PortalSession
	r := request{method: http.MethodPost, path: "/v1/portal/sessions", body: p, public: true, want: http.StatusCreated}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
