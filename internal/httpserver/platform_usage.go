package httpserver

import (
	"context"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpapi"
)

// The platform API's usage: the bodies of GET /api/keys/{id}/usage and
// GET /api/usage (keys.go), for any team's key and any team.

// keyUsage answers GET /v1/keys/{id}/usage?days=N: any team's key's daily
// verifications by outcome.
func (p *platformAPI) keyUsage(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	days, err := usageDays(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	usage, err := p.keys.ForToken(by).Usage(ctx, id, days)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.KeyUsage{KeyID: id, Days: usageDaysOf(usage)})
	return nil
}

// teamUsage answers GET /v1/teams/{id}/usage?days=N: the daily
// verifications of every key of the team, summed.
func (p *platformAPI) teamUsage(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	days, err := usageDays(r)
	if err != nil {
		return err
	}
	team, err := p.accounts.Team(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	usage, err := p.keys.ForToken(by).TeamUsage(ctx, team, days)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.TeamUsage{Days: usageDaysOf(usage)})
	return nil
}
