package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpapi"
)

// The signed-in user's own account (docs/api.md, "Your account"): their
// password and their sessions. These routes concern a user, not a team:
// no ?team= is read.

type changePasswordRequest struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

// changePassword answers POST /api/auth/password: the password changes and
// every other session of the user ends; this one stays. Each attempt is a
// guess of the current password, so it spends the login quotas of the
// user's email and the client IP as a login does: a stolen session cookie
// gets no more guesses than the sign-in form (TestChangePasswordLimited).
func (a *sessionAPI) changePassword(w http.ResponseWriter, r *http.Request) error {
	u, sess, err := a.sess.current(r)
	if err != nil {
		return err
	}
	var req changePasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch {
	case req.CurrentPassword == nil:
		return pome.MissingParameter("current_password")
	case req.NewPassword == nil:
		return pome.MissingParameter("new_password")
	}
	done, err := a.lim.loginAttempt(w, r, u.Email)
	if err != nil {
		return err
	}
	checked, err := a.accounts.ChangePassword(r.Context(), u, sess, *req.CurrentPassword, *req.NewPassword)
	done(err == nil || !checked)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.Success{Success: true})
	return nil
}

// listSessions answers GET /api/auth/sessions: the user's live sessions,
// newest first, the request's own marked current.
func (a *sessionAPI) listSessions(w http.ResponseWriter, r *http.Request) error {
	u, cur, err := a.sess.current(r)
	if err != nil {
		return err
	}
	ss, err := a.accounts.Sessions(r.Context(), u)
	if err != nil {
		return err
	}
	v := client.UserSessionList{Sessions: make([]client.UserSession, 0, len(ss))}
	for _, s := range ss {
		v.Sessions = append(v.Sessions, client.UserSession{ID: s.ID, CreatedAt: wireTime(s.CreatedAt),
			LastSeen: wireTime(s.LastSeen), IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == cur.ID})
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}

// endUserSession answers DELETE /api/auth/sessions/{id}: one of the user's
// own sessions ends, at once on every node (each reads sessions from the
// store). Another user's session is not found, as an unknown one is. It
// spends the logout quota: ending a session is a logout.
func (a *sessionAPI) endUserSession(w http.ResponseWriter, r *http.Request) error {
	u, err := a.sess.user(r)
	if err != nil {
		return err
	}
	if err := a.lim.takeMember(r.Context(), w.Header(), pome.Member{User: u}, a.lim.rules.Logout); err != nil {
		return err
	}
	if err := a.accounts.EndSession(r.Context(), u, r.PathValue("id")); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.Success{Success: true})
	return nil
}

type resetPasswordRequest struct {
	Token       *string `json:"token"`
	NewPassword *string `json:"new_password"`
}

// resetPassword answers POST /api/auth/password-reset, the form of a reset
// link: the password is set, every session of the user ends and the link
// is used up. It needs no session: the token is the credential.
func (a *sessionAPI) resetPassword(w http.ResponseWriter, r *http.Request) error {
	var req resetPasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch {
	case req.Token == nil:
		return pome.MissingParameter("token")
	case req.NewPassword == nil:
		return pome.MissingParameter("new_password")
	}
	if err := a.accounts.ResetPassword(r.Context(), *req.Token, *req.NewPassword); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.Success{Success: true})
	return nil
}
