package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/pomehq/pome"
)

// Invitation is a pending invitation to join the team. URL, the one-time
// link to hand over, is set only in the answer of Invite: its token is
// never shown again.
type Invitation struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      pome.Role `json:"role"`
	InvitedBy string    `json:"invited_by"` // the inviting user's id
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	URL       string    `json:"url,omitempty"`
}

// InvitationList is the team's pending invitations, newest first.
type InvitationList struct {
	Invitations []Invitation `json:"invitations"`
	Total       int          `json:"total"`
}

// RevokedInvitation is the answer of a revocation: its link no longer works.
type RevokedInvitation struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	ID      string `json:"id"`
}

// Invite invites email to the team with role and returns the invitation
// with its one-time link (URL), valid for 7 days; a pending invitation of
// the same email is replaced. Owners and admins invite.
func (c *Client) Invite(ctx context.Context, email string, role pome.Role) (*Invitation, error) {
	body := struct {
		Email string    `json:"email"`
		Role  pome.Role `json:"role"`
	}{email, role}
	var v Invitation
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/team/invitations", body: body, want: http.StatusCreated}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Invitations returns the team's pending invitations, newest first.
func (c *Client) Invitations(ctx context.Context) (*InvitationList, error) {
	var v InvitationList
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/team/invitations", want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// RevokeInvitation revokes the pending invitation id: its link stops
// working.
func (c *Client) RevokeInvitation(ctx context.Context, id string) (*RevokedInvitation, error) {
	var v RevokedInvitation
	r := request{method: http.MethodDelete, path: "/api/team/invitations/" + url.PathEscape(id), want: http.StatusOK}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// AcceptInvitation accepts the invitation of token (the last part of its
// link) as the signed-in user, whose email must be the invited one, and
// returns the team joined with the role held in it.
func (c *Client) AcceptInvitation(ctx context.Context, token string) (*Team, error) {
	body := struct {
		Token string `json:"token"`
	}{token}
	var v Team
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/invitations/accept", body: body, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
