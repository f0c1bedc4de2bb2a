package httpserver

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/pomehq/pome"
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

// handleSignup answers POST /api/auth/signup: a new user, their team and a
// session; 201 with the session view.
func handleSignup(log *slog.Logger, accounts *account.Service, sess sessions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req signupRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, log, err)
			return
		}
		if err := req.check(); err != nil {
			writeError(w, r, log, err)
			return
		}
		in, err := accounts.Signup(r.Context(), *req.Email, *req.Password, req.TeamName)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		signedIn(w, r, log, accounts, sess, in, http.StatusCreated)
	})
}

// handleLogin answers POST /api/auth/login: a new session; 200 with the
// session view. An unknown email and a wrong password answer alike.
func handleLogin(log *slog.Logger, accounts *account.Service, sess sessions, lim *limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req loginRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, log, err)
			return
		}
		if err := req.check(); err != nil {
			writeError(w, r, log, err)
			return
		}
		done, err := lim.loginAttempt(w, r, *req.Email)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		in, err := accounts.Login(r.Context(), *req.Email, *req.Password)
		done(err)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		signedIn(w, r, log, accounts, sess, in, http.StatusOK)
	})
}

// signedIn sets the cookie of a new session and answers the session view.
func signedIn(w http.ResponseWriter, r *http.Request, log *slog.Logger, accounts *account.Service, sess sessions, in account.SignedIn, status int) {
	view, err := sessionViewOf(r.Context(), accounts, in.User)
	if err != nil {
		writeError(w, r, log, err)
		return
	}
	sess.set(w, in.Token)
	httpapi.WriteJSON(w, status, view)
}

// handleLogout answers POST /api/auth/logout: the session is deleted and its
// cookie expired. Without a session it succeeds all the same.
func handleLogout(log *slog.Logger, accounts *account.Service, sess sessions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token := sess.token(r); token != "" {
			if err := accounts.Logout(r.Context(), token); err != nil {
				writeError(w, r, log, err)
				return
			}
		}
		sess.clear(w)
		// The browser drops every cookie and stored datum of this origin.
		// Not "cache": every response is no-store, and clearing a cache can
		// stall the browser for seconds.
		w.Header()["Clear-Site-Data"] = clearSiteData
		httpapi.WriteJSON(w, http.StatusOK, successView{Success: true})
	})
}

// handleSession answers GET /api/session: the user, their teams with roles,
// and the default team.
func handleSession(log *slog.Logger, accounts *account.Service, sess sessions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := sess.user(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		view, err := sessionViewOf(r.Context(), accounts, u)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, view)
	})
}

func sessionViewOf(ctx context.Context, accounts *account.Service, u pome.User) (sessionView, error) {
	ms, err := accounts.Memberships(ctx, u)
	if err != nil {
		return sessionView{}, err
	}
	v := sessionView{
		User:  userView{ID: u.ID, Email: u.Email, CreatedAt: timeString(u.CreatedAt)},
		Teams: make([]teamView, 0, len(ms)),
	}
	for i, m := range ms {
		if i == 0 {
			v.DefaultTeam = m.Team.Slug
		}
		v.Teams = append(v.Teams, teamView{ID: m.Team.ID, Slug: m.Team.Slug, Name: m.Team.Name,
			PlanTier: m.Team.PlanTier, Status: m.Team.Status, Role: m.Role})
	}
	return v, nil
}
