package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpapi"
)

// Invitations (docs/api.md, "Invitations"): owners and admins invite an
// email with a role and hand over the one-time link the answer holds; the
// invitee accepts it signed in (POST /api/invitations/accept) or by signing
// up through it (POST /api/auth/signup with "invitation"), from the page of
// the link (GET /invite/{token}, invitepage.go).

type inviteRequest struct {
	Email *string   `json:"email"`
	Role  pome.Role `json:"role"`
}

// invite answers POST /api/team/invitations: 201 with the invitation and
// its link, the one answer that ever holds its token.
func (a *sessionAPI) invite(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	var req inviteRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Email == nil {
		return pome.MissingParameter("email")
	}
	token, inv, err := a.accounts.Invite(r.Context(), m, *req.Email, req.Role)
	if err != nil {
		return err
	}
	v := invitationOf(&inv)
	v.URL = a.baseURL(r) + "/invite/" + token
	httpapi.WriteJSON(w, http.StatusCreated, v)
	return nil
}

// baseURL is where the links Pome hands out point: --public-url, else the
// scheme and host the request itself came to (the inviter's own request,
// so that a forged Host misleads no one but its sender).
func (a *sessionAPI) baseURL(r *http.Request) string {
	if a.publicURL != "" {
		return a.publicURL
	}
	scheme := "http"
	if r.TLS != nil || a.sess.secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// listInvitations answers GET /api/team/invitations: the pending
// invitations, newest first, without their links; owners and admins only.
func (a *sessionAPI) listInvitations(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	invs, err := a.accounts.Invitations(r.Context(), m)
	if err != nil {
		return err
	}
	v := client.InvitationList{Invitations: make([]client.Invitation, 0, len(invs)), Total: len(invs)}
	for i := range invs {
		v.Invitations = append(v.Invitations, invitationOf(&invs[i]))
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}

// revokeInvitation answers DELETE /api/team/invitations/{id}: the link
// stops working.
func (a *sessionAPI) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.accounts.RevokeInvitation(r.Context(), m, id); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, client.RevokedInvitation{Success: true, Message: "Invitation revoked", ID: id})
	return nil
}

type acceptRequest struct {
	Token *string `json:"token"`
}

// acceptInvitation answers POST /api/invitations/accept: the signed-in user
// joins the invitation's team; 200 with the team and their role in it.
func (a *sessionAPI) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	u, err := a.sess.user(r)
	if err != nil {
		return err
	}
	var req acceptRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Token == nil {
		return pome.MissingParameter("token")
	}
	joined, err := a.accounts.Accept(r.Context(), u, *req.Token)
	if err != nil {
		return err
	}
	// A member whose role the invitation raised: their keys' effective
	// role follows, as after a role change.
	a.verifier.ForgetMember(joined.Team.ID, u.ID)
	httpapi.WriteJSON(w, http.StatusOK, teamOf(joined))
	return nil
}

func invitationOf(inv *pome.Invitation) client.Invitation {
	return client.Invitation{ID: inv.ID, Email: inv.Email, Role: inv.Role, InvitedBy: inv.InvitedBy,
		CreatedAt: wireTime(inv.CreatedAt), ExpiresAt: wireTime(inv.ExpiresAt)}
}

func teamOf(m pome.Membership) client.Team {
	return client.Team{ID: m.Team.ID, Slug: m.Team.Slug, Name: m.Team.Name,
		PlanTier: m.Team.PlanTier, Status: m.Team.Status, Role: m.Role}
}
