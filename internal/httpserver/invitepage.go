package httpserver

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/pomehq/pome"
)

// invitePagePattern is the route of an invitation link's page. Its path is
// the invitation token: the access log masks it whatever it looks like
// (TestInvitePage).
const invitePagePattern = "GET /invite/{token}"

type invitePage struct {
	Token     string
	Team      pome.Team
	Role      pome.Role
	Email     string // the invited address
	ExpiresAt time.Time
	// SignedInAs is the email of the browser's user, "" when no one is
	// signed in: then the page offers a signup for Email and a sign-in
	// that comes back here.
	SignedInAs string
	Next       string // the team's keys, where joining lands
	SignInURL  string
}

// handleInvitePage answers GET /invite/{token}: the team, the role and the
// invited email, with what this browser can do: sign up as that email or
// sign in, join when signed in as it, or sign out when signed in as
// someone else. An unknown, used, revoked, replaced or expired link is the
// error page (404 invitation_not_found), the same for each.
func (d *dashboard) handleInvitePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		p, err := d.accounts.Invitation(r.Context(), token)
		if err != nil {
			d.fail(w, r, nil, err)
			return
		}
		data := invitePage{Token: token, Team: p.Team, Role: p.Invitation.Role, Email: p.Invitation.Email,
			ExpiresAt: p.Invitation.ExpiresAt, Next: "/keys?team=" + url.QueryEscape(p.Team.Slug),
			SignInURL: "/signin?next=" + url.QueryEscape("/invite/"+token)}
		u, err := d.sess.user(r)
		switch {
		case err == nil:
			data.SignedInAs = u.Email
		case !errors.Is(err, pome.ErrUnauthorized):
			d.fail(w, r, nil, err)
			return
		}
		d.render(w, r, http.StatusOK, "invite", &page{Title: "Join " + p.Team.Name, Data: data})
	})
}
