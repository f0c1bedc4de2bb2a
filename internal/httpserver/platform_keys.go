package httpserver

import (
	"context"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpapi"
)

// The platform API's keys: any team's, with the bodies of /api/keys
// (keys.go), made, changed and rolled by the token (apikey.TokenKeys),
// which the audit log names.

// createKey answers POST /v1/teams/{id}/keys: 201 with the new key, whose
// plaintext this response is the only one to hold. Its role defaults to
// developer; created_by is the token.
func (p *platformAPI) createKey(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	team, err := p.accounts.Team(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	var req createKeyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, err := p.keys.ForToken(by).Create(ctx, team, req.params())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, createdKeyOf(&c.Key, c.Plaintext, p.now()))
	return nil
}

// listKeys answers GET /v1/teams/{id}/keys?status=&limit=&cursor=: a page
// of the team's keys, newest first, as GET /api/keys pages them, without
// a total.
func (p *platformAPI) listKeys(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	team, err := p.accounts.Team(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	lq, err := keyListQuery(r)
	if err != nil {
		return err
	}
	page, err := p.keys.ForToken(by).List(ctx, team, lq)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.PlatformKeyList{Keys: keysOf(page.Keys, p.now()), NextCursor: page.NextCursor})
	return nil
}

// getKey answers GET /v1/keys/{id}: any team's key.
func (p *platformAPI) getKey(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	k, err := p.keys.ForToken(by).Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, keyOf(&k, p.now()))
	return nil
}

// updateKey answers PATCH /v1/keys/{id}: 200 with the key as changed.
func (p *platformAPI) updateKey(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	var req updateKeyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	k, err := p.keys.ForToken(by).Update(ctx, r.PathValue("id"), req.params())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, keyOf(&k, p.now()))
	return nil
}

// revokeKey answers DELETE /v1/keys/{id}, as DELETE /api/keys/{id} does.
func (p *platformAPI) revokeKey(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	k, err := p.keys.ForToken(by).Revoke(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, revokedKeyOf(&k))
	return nil
}

// rollKey answers POST /v1/keys/{id}/roll, as POST /api/keys/{id}/roll
// does: 201 with the replacement, which has every field and policy of the
// old key. The body is optional.
func (p *platformAPI) rollKey(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	var req rollKeyRequest
	if err := decodeOptionalJSON(r, &req); err != nil {
		return err
	}
	rolled, err := p.keys.ForToken(by).Roll(ctx, r.PathValue("id"), req.params())
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, rolledKeyOf(&rolled, p.now()))
	return nil
}
