package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// PlatformTeam is a team as the platform API returns it: any team, made by
// a signup or by the platform.
type PlatformTeam struct {
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	PlanTier string `json:"plan_tier"`
	Status   string `json:"status"`
	// ExternalID is the platform's own id of the team; nil when it has
	// none.
	ExternalID *string   `json:"external_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// PlatformTeamList is the answer of a team lookup by external id: zero or
// one team.
type PlatformTeamList struct {
	Teams []PlatformTeam `json:"teams"`
}

// CreateTeamParams is the body of CreateTeam. Only Name is required.
type CreateTeamParams struct {
	Name       string `json:"name,omitempty"`
	Slug       string `json:"slug,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	PlanTier   string `json:"plan_tier,omitempty"`
}

// UpdateTeamParams is the body of UpdateTeam: nil fields stay as they are.
type UpdateTeamParams struct {
	Name     *string `json:"name,omitempty"`
	PlanTier *string `json:"plan_tier,omitempty"`
	Status   *string `json:"status,omitempty"`
}

// CreateTeam makes a team with no member (POST /v1/teams), authenticated by
// a service token with teams:write (WithServiceToken).
func (c *Client) CreateTeam(ctx context.Context, p CreateTeamParams) (*PlatformTeam, error) {
	return c.platformTeam(ctx, request{method: http.MethodPost, path: "/v1/teams", body: p, public: true, want: http.StatusCreated})
}

// Team returns the team with id (GET /v1/teams/{id}; teams:read).
func (c *Client) Team(ctx context.Context, id string) (*PlatformTeam, error) {
	return c.platformTeam(ctx, request{method: http.MethodGet, path: "/v1/teams/" + url.PathEscape(id), public: true, want: http.StatusOK})
}

// TeamByExternalID returns the team the platform knows by externalID, or
// nil when there is none (GET /v1/teams?external_id=; teams:read).
func (c *Client) TeamByExternalID(ctx context.Context, externalID string) (*PlatformTeam, error) {
	var v PlatformTeamList
	r := request{method: http.MethodGet, path: "/v1/teams", query: url.Values{"external_id": {externalID}}, public: true, want: http.StatusOK}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	if len(v.Teams) == 0 {
		return nil, nil
	}
	return &v.Teams[0], nil
}

// UpdateTeam renames, bans or unbans a team, or changes its plan (PATCH
// /v1/teams/{id}; teams:write). A ban reaches every node within a second.
func (c *Client) UpdateTeam(ctx context.Context, id string, p UpdateTeamParams) (*PlatformTeam, error) {
	return c.platformTeam(ctx, request{method: http.MethodPatch, path: "/v1/teams/" + url.PathEscape(id), body: p, public: true, want: http.StatusOK})
}

func (c *Client) platformTeam(ctx context.Context, r request) (*PlatformTeam, error) {
	var v PlatformTeam
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
