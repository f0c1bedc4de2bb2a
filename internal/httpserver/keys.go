package httpserver

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
)

// defaultUsageDays is how many days GET /api/keys/{id}/usage and
// GET /api/usage cover by default.
const defaultUsageDays = 30

// listKeys answers GET /api/keys?status=&limit=&cursor=: a page of the
// team's keys the member may see, newest first, active ones unless
// ?status=revoked|expired|all.
func (a *sessionAPI) listKeys(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	lq, err := keyListQuery(r)
	if err != nil {
		return err
	}
	page, err := a.keys.List(r.Context(), m, lq)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.KeyList{Keys: keysOf(page.Keys, a.now()), Total: page.Total, NextCursor: page.NextCursor})
	return nil
}

// keyListQuery reads ?status=&q=&limit=&cursor= of a key listing; the
// service checks the status and the cursor.
func keyListQuery(r *http.Request) (apikey.ListQuery, error) {
	q := r.URL.Query()
	lq := apikey.ListQuery{Status: q.Get("status"), Search: q.Get("q"), Cursor: q.Get("cursor")}
	var err error
	lq.Limit, err = limitParam(q, apikey.MaxListLimit)
	return lq, err
}

// getKey answers GET /api/keys/{id}: the key as GET /api/keys lists it. A
// key the member may not see is key_not_found.
func (a *sessionAPI) getKey(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	k, err := a.keys.Get(r.Context(), m, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, keyOf(&k, a.now()))
	return nil
}

// createKeyRequest is the body of POST /api/keys and of
// POST /v1/teams/{id}/keys: the same fields, checked by the same rules.
type createKeyRequest struct {
	Name          *string                 `json:"name"`
	Description   string                  `json:"description"`
	ExpiresInDays *int                    `json:"expires_in_days"`
	ExpiresAt     *time.Time              `json:"expires_at"`
	Role          pome.Role               `json:"role"`
	Environment   string                  `json:"environment"`
	Meta          json.RawMessage         `json:"meta"`
	Scopes        []string                `json:"scopes"`
	RateLimit     *apikey.RateLimitParams `json:"rate_limit"`
	AllowedCIDRs  []string                `json:"allowed_cidrs"`
	Enabled       *bool                   `json:"enabled"`
	Credits       *apikey.CreditsParams   `json:"credits"`
	Canary        bool                    `json:"canary"`
}

func (req *createKeyRequest) params() apikey.CreateParams {
	return apikey.CreateParams{
		Name: req.Name, Description: req.Description, Role: req.Role,
		ExpiresInDays: req.ExpiresInDays, ExpiresAt: req.ExpiresAt,
		PolicyParams: apikey.PolicyParams{
			Environment: req.Environment, Meta: req.Meta, Scopes: req.Scopes, RateLimit: req.RateLimit,
			AllowedCIDRs: req.AllowedCIDRs, Enabled: req.Enabled, Credits: req.Credits, Canary: req.Canary,
		},
	}
}

// updateKeyRequest is the body of PATCH /api/keys/{id} and of
// PATCH /v1/keys/{id}: a field left out is unchanged, a null clears it.
type updateKeyRequest struct {
	Name         pome.Optional[string]                 `json:"name"`
	Description  pome.Optional[string]                 `json:"description"`
	Meta         pome.Optional[json.RawMessage]        `json:"meta"`
	Scopes       pome.Optional[[]string]               `json:"scopes"`
	RateLimit    pome.Optional[apikey.RateLimitParams] `json:"rate_limit"`
	AllowedCIDRs pome.Optional[[]string]               `json:"allowed_cidrs"`
	ExpiresAt    pome.Optional[time.Time]              `json:"expires_at"`
	Enabled      pome.Optional[bool]                   `json:"enabled"`
	Credits      pome.Optional[apikey.CreditsChange]   `json:"credits"`
}

func (req *updateKeyRequest) params() apikey.UpdateParams {
	return apikey.UpdateParams{
		Name: req.Name, Description: req.Description, Meta: req.Meta, Scopes: req.Scopes,
		RateLimit: req.RateLimit, AllowedCIDRs: req.AllowedCIDRs, ExpiresAt: req.ExpiresAt, Enabled: req.Enabled,
		Credits: req.Credits,
	}
}

// createKey answers POST /api/keys: 201 with the new key, whose plaintext
// this response is the only one to hold.
func (a *sessionAPI) createKey(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	var req createKeyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, err := a.keys.Create(r.Context(), m, req.params())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, createdKeyOf(&c.Key, c.Plaintext, a.now()))
	return nil
}

// updateKey answers PATCH /api/keys/{id}: 200 with the key as changed.
// Owners and admins only; a key the member may not see is key_not_found.
func (a *sessionAPI) updateKey(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	var req updateKeyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	k, err := a.keys.Update(r.Context(), m, r.PathValue("id"), req.params())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, keyOf(&k, a.now()))
	return nil
}

// revokeKey answers DELETE /api/keys/{id}. Revoking a revoked key succeeds
// again; a key the member may not see is key_not_found.
func (a *sessionAPI) revokeKey(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	k, err := a.keys.Revoke(r.Context(), m, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, revokedKeyOf(&k))
	return nil
}

// keyUsage answers GET /api/keys/{id}/usage?days=N: the key's daily
// verifications by outcome, oldest first, one entry per day.
func (a *sessionAPI) keyUsage(w http.ResponseWriter, r *http.Request) error {
	m, days, err := a.usageRequest(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	usage, err := a.keys.Usage(r.Context(), m, id, days)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.KeyUsage{KeyID: id, Days: usageDaysOf(usage)})
	return nil
}

// teamUsage answers GET /api/usage?days=N: the daily verifications of the
// team's keys that the member may see, summed, as keyUsage answers for one.
func (a *sessionAPI) teamUsage(w http.ResponseWriter, r *http.Request) error {
	m, days, err := a.usageRequest(r)
	if err != nil {
		return err
	}
	usage, err := a.keys.TeamUsage(r.Context(), m, days)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.TeamUsage{Days: usageDaysOf(usage)})
	return nil
}

// usageRequest reads the member and ?days= of a usage request.
func (a *sessionAPI) usageRequest(r *http.Request) (pome.Member, int, error) {
	m, err := a.sess.member(r)
	if err != nil {
		return pome.Member{}, 0, err
	}
	days, err := usageDays(r)
	if err != nil {
		return pome.Member{}, 0, err
	}
	return m, days, nil
}

// usageDays reads the ?days= of a usage request: defaultUsageDays when
// absent or empty; the service checks its range.
func usageDays(r *http.Request) (int, error) {
	s := r.URL.Query().Get("days")
	if s == "" {
		return defaultUsageDays, nil
	}
	days, err := strconv.Atoi(s)
	if err != nil {
		return 0, pome.InvalidParameter("'days' must be an integer")
	}
	return days, nil
}

// rollKeyRequest is the body of POST /api/keys/{id}/roll and of
// POST /v1/keys/{id}/roll.
type rollKeyRequest struct {
	ExpireOldInHours *int       `json:"expire_old_in_hours"`
	ExpiresInDays    *int       `json:"expires_in_days"`
	ExpiresAt        *time.Time `json:"expires_at"`
}

func (req *rollKeyRequest) params() apikey.RollParams {
	return apikey.RollParams{GraceHours: req.ExpireOldInHours, ExpiresInDays: req.ExpiresInDays, ExpiresAt: req.ExpiresAt}
}

// rollKey answers POST /api/keys/{id}/roll: 201 with the replacement, whose
// plaintext this response is the only one to hold, and the old key's new
// expiry. The body is optional.
func (a *sessionAPI) rollKey(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	var req rollKeyRequest
	if err := decodeOptionalJSON(r, &req); err != nil {
		return err
	}
	rolled, err := a.keys.Roll(r.Context(), m, r.PathValue("id"), req.params())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, rolledKeyOf(&rolled, a.now()))
	return nil
}
