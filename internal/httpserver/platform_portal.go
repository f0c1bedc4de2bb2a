package httpserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/httpapi"
)

// Portal sessions (docs/api.md, "Portal sessions"): a platform's backend
// makes a one-time link for one of its signed-in users, and the user's
// browser opens it to land on the team's keys, signed in, with no password.

type portalSessionRequest struct {
	Team      *string `json:"team"`
	Email     *string `json:"email"`
	Role      string  `json:"role"`
	ReturnURL string  `json:"return_url"`
}

// createPortalSession answers POST /v1/portal/sessions: 201 with the link,
// <public-url>/portal/<token>. Without --public-url there is no address to
// hand out: 409 portal_not_configured, before anything else is checked.
func (p *platformAPI) createPortalSession(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error {
	if p.publicURL == "" {
		return pome.ErrPortalNotConfigured
	}
	var req portalSessionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch {
	case req.Team == nil:
		return pome.MissingParameter("team")
	case req.Email == nil:
		return pome.MissingParameter("email")
	}
	token, l, err := p.accounts.CreatePortalLink(ctx, by,
		account.PortalRequest{Team: *req.Team, Email: *req.Email, Role: req.Role, ReturnURL: req.ReturnURL}, p.returnOrigins)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, client.PortalSession{URL: p.publicURL + "/portal/" + token, ExpiresAt: l.ExpiresAt})
	return nil
}

// portalPagePattern is the route of a portal link. Its path is the link's
// token: the access log masks it whatever it looks like
// (TestAccessLogMasksResetToken).
const portalPagePattern = "GET /portal/{token}"

// handlePortalPage answers GET /portal/{token}: the link signs the browser
// in (a session cookie, in place of any other) and sends it to the team's
// keys with 303; an unknown, used or expired link is a 410 page that sends
// the user back to their platform. Opening it is a GET, as a link handed
// to a browser must be; a prefetch that opens it first leaves the user a
// 410 page and their platform a new link away.
func (d *dashboard) handlePortalPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := d.accounts.OpenPortal(r.Context(), r.PathValue("token"))
		if errors.Is(err, pome.ErrPortalLinkInvalid) {
			e := pome.AsError(err)
			d.render(w, r, http.StatusGone, "error", &page{Title: "Link expired",
				Data: errorPage{Status: http.StatusGone, Message: e.Message, Code: e.Code}})
			return
		}
		if err != nil {
			d.fail(w, r, nil, err)
			return
		}
		d.sess.set(w, in.Token)
		http.Redirect(w, r, "/keys?team="+url.QueryEscape(in.Team.Slug), http.StatusSeeOther)
	})
}
