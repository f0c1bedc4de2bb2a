package pometest

import (
	"net/http"
	"strings"
	"testing"
	"time"

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

// AddMember makes the signed-up user email a member of owner's default
// team with role, as people join: owner (an owner or admin) invites them
// (Invite), and they sign in and accept (POST /api/invitations/accept). It
// returns the new member's user id.
func (s *Server) AddMember(t testing.TB, owner *http.Client, email string, role pome.Role) string {
	t.Helper()
	token := s.Invite(t, owner, email, role)
	c := s.Login(t, email)
	if r := s.Do(t, c, "POST", "/api/invitations/accept", nil, `{"token":`+quote(token)+`}`); r.Status != http.StatusOK {
		t.Fatalf("POST /api/invitations/accept as %s status = %d, want %d; body %s", email, r.Status, http.StatusOK, r.Body)
	}
	return s.Session(t, c).User.ID
}

// Invite has owner invite email to owner's default team with role, through
// POST /api/team/invitations, and returns the invitation's token: the last
// segment of its link.
func (s *Server) Invite(t testing.TB, owner *http.Client, email string, role pome.Role) string {
	t.Helper()
	body := `{"email":` + quote(email) + `,"role":` + quote(string(role)) + `}`
	r := s.Do(t, owner, "POST", "/api/team/invitations", nil, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/team/invitations %s status = %d, want %d; body %s", body, r.Status, http.StatusCreated, r.Body)
	}
	var inv struct {
		URL string `json:"url"`
	}
	r.DecodeJSON(t, &inv)
	i := strings.LastIndex(inv.URL, "/invite/")
	if i < 0 {
		t.Fatalf("POST /api/team/invitations url = %q, want .../invite/TOKEN", inv.URL)
	}
	return inv.URL[i+len("/invite/"):]
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

// Join makes u a member of team with role at at, straight through store s,
// as an accepted invitation does (an invitation stored, then accepted): for
// tests of the services, with no server. A member already keeps a higher
// role, as on acceptance.
func Join(t testing.TB, s pome.Store, team string, u pome.User, role pome.Role, at time.Time) {
	t.Helper()
	token := pome.NewSessionToken()
	inv := pome.Invitation{ID: pome.NewID("inv_"), Digest: pome.DigestOf(token), TeamID: team, Email: u.Email,
		Role: role, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if err := s.CreateInvitation(t.Context(), inv, Event(pome.AuditMemberInvited)); err != nil {
		t.Fatalf("CreateInvitation(%s, %s): %v", team, u.Email, err)
	}
	if _, err := s.AcceptInvitation(t.Context(), inv.Digest, u.ID, at, Event(pome.AuditMemberAdded)); err != nil {
		t.Fatalf("AcceptInvitation(%s, %s): %v", team, u.Email, err)
	}
}
