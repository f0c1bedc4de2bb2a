package httpserver

import (
	"context"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/httpapi"
)

// platformTeamOf is t as the platform API returns it.
func platformTeamOf(t pome.Team) client.PlatformTeam {
	v := client.PlatformTeam{ID: t.ID, Slug: t.Slug, Name: t.Name, PlanTier: t.PlanTier, Status: t.Status, CreatedAt: t.CreatedAt}
	if t.ExternalID != "" {
		v.ExternalID = &t.ExternalID
	}
	return v
}

type createTeamRequest struct {
	Name       *string `json:"name"`
	Slug       string  `json:"slug"`
	ExternalID *string `json:"external_id"`
	PlanTier   string  `json:"plan_tier"`
}

// createTeam answers POST /v1/teams: 201 with a new team with no member.
func (p *platformAPI) createTeam(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	var req createTeamRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return pome.MissingParameter("name")
	}
	nt := account.NewTeam{Name: *req.Name, Slug: req.Slug, ExternalID: req.ExternalID, PlanTier: req.PlanTier}
	t, err := p.accounts.CreateTeam(ctx, by, nt)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, platformTeamOf(t))
	return nil
}

// getTeam answers GET /v1/teams/{id}.
func (p *platformAPI) getTeam(ctx context.Context, w http.ResponseWriter, r *http.Request, _ pome.ServiceToken) error {
	t, err := p.accounts.Team(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, platformTeamOf(t))
	return nil
}

// findTeams answers GET /v1/teams?external_id=X: the team the platform
// knows by X, as a list of zero or one, so that "none" is no error.
func (p *platformAPI) findTeams(ctx context.Context, w http.ResponseWriter, r *http.Request, _ pome.ServiceToken) error {
	q := r.URL.Query()
	ext := q.Get("external_id")
	if !q.Has("external_id") || ext == "" {
		return pome.MissingParameter("external_id")
	}
	v := client.PlatformTeamList{Teams: []client.PlatformTeam{}}
	t, err := p.accounts.TeamByExternalID(ctx, ext)
	switch {
	case err == nil:
		v.Teams = append(v.Teams, platformTeamOf(t))
	case pome.AsError(err).Kind != pome.NotFound:
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}

type updateTeamRequest struct {
	Name     *string `json:"name"`
	PlanTier *string `json:"plan_tier"`
	Status   *string `json:"status"`
}

// updateTeam answers PATCH /v1/teams/{id}: 200 with the team as changed.
func (p *platformAPI) updateTeam(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	var req updateTeamRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	t, err := p.accounts.UpdateTeam(ctx, by, r.PathValue("id"),
		account.TeamChange{Name: req.Name, PlanTier: req.PlanTier, Status: req.Status})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, platformTeamOf(t))
	return nil
}
