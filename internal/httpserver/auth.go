package httpserver

import (
	"context"
	"errors"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/httpapi"
)

type loginRequest struct {
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

type signupRequest struct {
	loginRequest
	TeamName string `json:"team_name"`
	// Invitation, if set, is an invitation token for this very email: the
	// new user joins its team at once (invitations.go).
	Invitation *string `json:"invitation"`
}

// check reports the first missing parameter.
func (req *loginRequest) check() error {
	switch {
	case req.Email == nil:
		return pome.MissingParameter("email")
	case req.Password == nil:
		return pome.MissingParameter("password")
	}
	return nil
}

// signup answers POST /api/auth/signup: a new user, their team and a
// session; 201 with the session view.
func (a *sessionAPI) signup(w http.ResponseWriter, r *http.Request) error {
	var req signupRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	var in account.SignedIn
	var err error
	if req.Invitation != nil {
		in, _, err = a.accounts.SignupInvited(r.Context(), *req.Email, *req.Password, req.TeamName, *req.Invitation)
	} else {
		in, err = a.accounts.Signup(r.Context(), *req.Email, *req.Password, req.TeamName)
	}
	if err != nil {
		return err
	}
	return a.signedIn(w, r, in, http.StatusCreated)
}

// login answers POST /api/auth/login: a new session; 200 with the session
// view. An unknown email and a wrong password answer alike.
func (a *sessionAPI) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	done, err := a.lim.loginAttempt(w, r, *req.Email)
	if err != nil {
		return err
	}
	in, err := a.accounts.Login(r.Context(), *req.Email, *req.Password)
	// A checked password counts, even when what came after it failed.
	done(err == nil || !in.Checked)
	if err != nil {
		return err
	}
	return a.signedIn(w, r, in, http.StatusOK)
}

// signedIn sets the cookie of a new session and answers the session view.
func (a *sessionAPI) signedIn(w http.ResponseWriter, r *http.Request, in account.SignedIn, status int) error {
	view, err := sessionOf(r.Context(), a.accounts, in.User)
	if err != nil {
		return err
	}
	a.sess.set(w, in.Token)
	httpapi.WriteJSON(w, status, view)
	return nil
}

// logout answers POST /api/auth/logout: the session is deleted and its
// cookie expired. Without a session it succeeds all the same.
func (a *sessionAPI) logout(w http.ResponseWriter, r *http.Request) error {
	if err := endSession(r, w.Header(), a.sess, a.lim); err != nil {
		return err
	}
	a.sess.clear(w)
	// The browser drops every cookie and stored datum of this origin.
	// Not "cache": every response is no-store, and clearing a cache can
	// stall the browser for seconds.
	w.Header()["Clear-Site-Data"] = clearSiteData
	httpapi.WriteJSON(w, http.StatusOK, client.Success{Success: true})
	return nil
}

// endSession ends the request's session, if it has a valid one, under its
// user's logout quota: every logout writes to the append-only audit log.
// The response carries the quota's headers; a refusal (429) ends nothing, so
// that the logout can be retried with the cookie.
func endSession(r *http.Request, h http.Header, sess sessions, lim *limits) error {
	token := sess.token(r)
	if token == "" {
		return nil
	}
	u, err := sess.user(r)
	if errors.Is(err, pome.ErrUnauthorized) {
		return nil // no session to end (a timed-out one is cleaned up without an event)
	}
	if err != nil {
		return err
	}
	// A logout concerns a user, not a team: so does the record of a refusal.
	if err := lim.takeMember(r.Context(), h, pome.Member{User: u}, lim.rules.Logout); err != nil {
		return err
	}
	return sess.accounts.Logout(r.Context(), token)
}

// session answers GET /api/session: the user, their teams with roles, and
// the default team.
func (a *sessionAPI) session(w http.ResponseWriter, r *http.Request) error {
	u, err := a.sess.user(r)
	if err != nil {
		return err
	}
	view, err := sessionOf(r.Context(), a.accounts, u)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, view)
	return nil
}

func sessionOf(ctx context.Context, accounts *account.Service, u pome.User) (client.Session, error) {
	ms, err := accounts.Memberships(ctx, u)
	if err != nil {
		return client.Session{}, err
	}
	v := client.Session{
		User:  client.User{ID: u.ID, Email: u.Email, CreatedAt: wireTime(u.CreatedAt)},
		Teams: make([]client.Team, 0, len(ms)),
	}
	for i, m := range ms {
		if i == 0 {
			v.DefaultTeam = m.Team.Slug
		}
		v.Teams = append(v.Teams, teamOf(m))
	}
	return v, nil
}
