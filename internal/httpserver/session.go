package httpserver

import (
	"net/http"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
)

// sessions reads and writes the session cookie of the management API.
type sessions struct {
	accounts *account.Service
	cookie   string // pome_session, or __Host-pome_session over HTTPS
	secure   bool
}

func newSessions(accounts *account.Service, secure bool) sessions {
	s := sessions{accounts: accounts, cookie: "pome_session", secure: secure}
	if secure {
		s.cookie = "__Host-pome_session"
	}
	return s
}

// token returns the session token the request carries, or "".
func (s sessions) token(r *http.Request) string {
	c, err := r.Cookie(s.cookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// user returns the signed-in user of the request, or ErrUnauthorized.
func (s sessions) user(r *http.Request) (pome.User, error) {
	return s.accounts.Authenticate(r.Context(), s.token(r))
}

// current returns the signed-in user of the request and their session, or
// ErrUnauthorized.
func (s sessions) current(r *http.Request) (pome.User, pome.Session, error) {
	return s.accounts.Current(r.Context(), s.token(r))
}

// member returns who the request acts as: the signed-in user in the team
// named by ?team=<slug>, else in their default team. A team they are not in
// is ErrTeamNotFound.
func (s sessions) member(r *http.Request) (pome.Member, error) {
	if m, ok := memberFrom(r); ok { // already resolved by a per-user limit
		return m, nil
	}
	u, err := s.user(r)
	if err != nil {
		return pome.Member{}, err
	}
	return s.accounts.Member(r.Context(), u, r.URL.Query().Get("team"))
}

// set gives the client the session cookie of token, for the session's
// absolute lifetime.
func (s sessions) set(w http.ResponseWriter, token string) {
	http.SetCookie(w, s.cookieOf(token, int(account.SessionAbsoluteTimeout/time.Second)))
}

// clear expires the session cookie.
func (s sessions) clear(w http.ResponseWriter) {
	http.SetCookie(w, s.cookieOf("", -1))
}

func (s sessions) cookieOf(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     s.cookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}
