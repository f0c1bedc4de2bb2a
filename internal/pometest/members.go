package pometest

import (
	"net/http"
	"testing"

	"github.com/pomehq/pome"
)

// Session is the body of GET /api/session, the parts tests read.
type Session struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Teams []struct {
		ID   string    `json:"id"`
		Slug string    `json:"slug"`
		Role pome.Role `json:"role"`
	} `json:"teams"`
	DefaultTeam string `json:"default_team"`
}

// Session returns the session view of c's user.
func (s *Server) Session(t testing.TB, c *http.Client) Session {
	t.Helper()
	r := s.Do(t, c, "GET", "/api/session", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/session status = %d, want %d; body %s", r.Status, http.StatusOK, r.Body)
	}
	var v Session
	r.DecodeJSON(t, &v)
	return v
}

// AddMember has owner (a client signed in as an owner or admin) add the
// signed-up user email to owner's default team with role, through
// POST /api/team/members, and returns the new member's user id.
func (s *Server) AddMember(t testing.TB, owner *http.Client, email string, role pome.Role) string {
	t.Helper()
	body := `{"email":` + quote(email) + `,"role":` + quote(string(role)) + `}`
	r := s.Do(t, owner, "POST", "/api/team/members", nil, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/team/members %s status = %d, want %d; body %s", body, r.Status, http.StatusCreated, r.Body)
	}
	var m struct {
		UserID string `json:"user_id"`
	}
	r.DecodeJSON(t, &m)
	return m.UserID
}

// Audit returns the audit events of team (empty: the events about no team),
// newest first, straight from the store.
func (s *Server) Audit(t testing.TB, teamID string) []pome.AuditEvent {
	t.Helper()
	evs, err := s.backend.AuditEvents(t.Context(), pome.AuditFilter{TeamID: teamID, Limit: 10_000})
	if err != nil {
		t.Fatalf("AuditEvents(%q) = %v", teamID, err)
	}
	return evs
}
