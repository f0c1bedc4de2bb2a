package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
)

// The pages of a user's own account: /account, and /reset/{token}, the
// page of an operator's reset link.

// sessionRow is one session as the account page shows it.
type sessionRow struct {
	pome.Session
	Current bool
}

type accountPage struct {
	Sessions []sessionRow
}

// handleAccountPage answers GET /account: the change-password form and the
// user's sessions, each but the current one with a button that ends it.
func (d *dashboard) handleAccountPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.signedIn(w, r, "account")
		if !ok {
			return
		}
		p.Title = "Your account"
		ss, err := d.accounts.Sessions(r.Context(), p.User)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		var data accountPage
		for _, s := range ss {
			data.Sessions = append(data.Sessions, sessionRow{Session: s, Current: s.ID == p.Session.ID})
		}
		p.Data = data
		d.render(w, r, http.StatusOK, "account", p)
	})
}

// resetPagePattern is the route of a reset link's page. Its path is the
// reset token: the access log masks it whatever it looks like
// (TestAccessLogMasksResetToken).
const resetPagePattern = "GET /reset/{token}"

type resetPage struct {
	Token string
}

// handleResetPage answers GET /reset/{token}: a form for a new password,
// which posts to POST /api/auth/password-reset; an unknown, used, replaced
// or expired link is the error page (400 invalid_reset_token), the same
// for each. Whoever is signed in in this browser makes no difference.
func (d *dashboard) handleResetPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		if err := d.accounts.CheckReset(r.Context(), token); err != nil {
			d.fail(w, r, nil, err)
			return
		}
		d.render(w, r, http.StatusOK, "reset", &page{Title: "Choose a new password", Data: resetPage{Token: token}})
	})
}
