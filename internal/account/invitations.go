package account

import (
	"context"
	"errors"
	"time"

	"github.com/pomehq/pome"
)

// InvitationLifetime is how long an invitation link works: a week, as the
// invitee may take days to act on it, and not longer, as a link that waits
// is a standing way into the team for whoever finds it.
const InvitationLifetime = 7 * 24 * time.Hour

// Invite makes a one-time invitation of email to m's team with role, in
// place of a pending invitation of the same email (only the newest link
// works). Owners and admins invite, each the roles they may manage
// (pome.Role.CanManage); someone already a member is ErrAlreadyMember. The
// token exists only in the answer: the store keeps its digest.
func (s *Service) Invite(ctx context.Context, m pome.Member, email string, role pome.Role) (token string, inv pome.Invitation, err error) {
	if !m.Role.Can(pome.ActionManageMembers) {
		return "", pome.Invitation{}, pome.ErrInsufficientPermissions
	}
	if email, err = normalizeEmail(email); err != nil {
		return "", pome.Invitation{}, err
	}
	if err := checkRole(role); err != nil {
		return "", pome.Invitation{}, err
	}
	if !m.Role.CanManage(role) {
		return "", pome.Invitation{}, pome.ErrInsufficientPermissions
	}
	// Only a colleague's email is told apart (409): the team's members
	// list shows them anyway, and no answer says whether another address
	// has an account.
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		_, err = s.store.Member(ctx, m.Team.ID, u.ID)
		if err == nil {
			return "", pome.Invitation{}, pome.ErrAlreadyMember
		}
		if !errors.Is(err, pome.ErrMemberNotFound) {
			return "", pome.Invitation{}, err
		}
	case !errors.Is(err, pome.ErrUserNotFound):
		return "", pome.Invitation{}, err
	}
	token = pome.NewSessionToken()
	now := s.now().UTC().Truncate(time.Millisecond)
	inv = pome.Invitation{ID: pome.NewID("inv_"), Digest: pome.DigestOf(token), TeamID: m.Team.ID, Email: email,
		Role: role, InvitedBy: m.User.ID, CreatedAt: now, ExpiresAt: now.Add(InvitationLifetime)}
	ev := pome.NewAuditEvent(ctx, pome.AuditMemberInvited, now).ByUser(m.User.ID).On(m.Team.ID, pome.TargetInvitation, inv.ID).
		With(map[string]any{"email": email, "role": string(role), "expires_at": inv.ExpiresAt.Format(time.RFC3339)})
	if err := s.store.CreateInvitation(ctx, inv, ev); err != nil {
		return "", pome.Invitation{}, err
	}
	return token, inv, nil
}

// checkRole is the rule of a role parameter.
func checkRole(role pome.Role) error {
	if role == "" {
		return pome.MissingParameter("role")
	}
	if !role.Valid() {
		return roleErr
	}
	return nil
}

// Invitations lists the pending invitations of m's team, newest first,
// without the expired ones, for owners and admins.
func (s *Service) Invitations(ctx context.Context, m pome.Member) ([]pome.Invitation, error) {
	if !m.Role.Can(pome.ActionManageMembers) {
		return nil, pome.ErrInsufficientPermissions
	}
	all, err := s.store.Invitations(ctx, m.Team.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	live := all[:0]
	for _, inv := range all {
		if now.Before(inv.ExpiresAt) {
			live = append(live, inv)
		}
	}
	return live, nil
}

// RevokeInvitation deletes the pending invitation id of m's team, so that
// its link stops working. Owners revoke any, admins those of the roles
// they may invite. An unknown id, an expired invitation's and another
// team's are ErrInvitationNotFound alike.
func (s *Service) RevokeInvitation(ctx context.Context, m pome.Member, id string) error {
	if !m.Role.Can(pome.ActionManageMembers) {
		return pome.ErrInsufficientPermissions
	}
	if !pome.IsID(id, "inv_") {
		return pome.ErrInvitationNotFound
	}
	invs, err := s.Invitations(ctx, m)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.ID != id {
			continue
		}
		if !m.Role.CanManage(inv.Role) {
			return pome.ErrInsufficientPermissions
		}
		ev := pome.NewAuditEvent(ctx, pome.AuditInvitationRevoked, s.now()).ByUser(m.User.ID).On(m.Team.ID, pome.TargetInvitation, id).
			With(map[string]any{"email": inv.Email, "role": string(inv.Role)})
		return s.store.DeleteInvitation(ctx, m.Team.ID, id, ev)
	}
	return pome.ErrInvitationNotFound
}

// Pending is an invitation that can still be accepted, with its team.
type Pending struct {
	Invitation pome.Invitation
	Team       pome.Team
}

// Invitation finds the invitation of token, for its page: ErrInvitationInvalid
// if it is unknown, used, revoked, replaced or expired, alike.
func (s *Service) Invitation(ctx context.Context, token string) (Pending, error) {
	if token == "" || !pome.Storable(token) {
		return Pending{}, pome.ErrInvitationInvalid
	}
	inv, err := s.store.InvitationByDigest(ctx, pome.DigestOf(token))
	if errors.Is(err, pome.ErrInvitationNotFound) {
		return Pending{}, pome.ErrInvitationInvalid
	}
	if err != nil {
		return Pending{}, err
	}
	if !s.now().Before(inv.ExpiresAt) {
		return Pending{}, pome.ErrInvitationInvalid
	}
	t, err := s.store.TeamByID(ctx, inv.TeamID)
	if err != nil {
		return Pending{}, err
	}
	return Pending{Invitation: inv, Team: t}, nil
}

// Accept makes u a member of the team of the invitation of token, if it is
// for u's email, and consumes it: once, whoever tries at the same time. A
// member already keeps a higher role. The errors of Invitation, and
// ErrInvitationEmailMismatch for a user of another email.
func (s *Service) Accept(ctx context.Context, u pome.User, token string) (pome.Membership, error) {
	p, err := s.Invitation(ctx, token)
	if err != nil {
		return pome.Membership{}, err
	}
	return s.accept(ctx, u, p)
}

func (s *Service) accept(ctx context.Context, u pome.User, p Pending) (pome.Membership, error) {
	if u.Email != p.Invitation.Email {
		return pome.Membership{}, pome.ErrInvitationEmailMismatch
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	ev := pome.NewAuditEvent(ctx, pome.AuditMemberAdded, now).ByUser(u.ID).On(p.Team.ID, pome.TargetUser, u.ID).
		With(map[string]any{"invitation_id": p.Invitation.ID})
	role, err := s.store.AcceptInvitation(ctx, p.Invitation.Digest, u.ID, now, ev)
	if errors.Is(err, pome.ErrInvitationNotFound) {
		return pome.Membership{}, pome.ErrInvitationInvalid // used or expired since it was read
	}
	if err != nil {
		return pome.Membership{}, err
	}
	return pome.Membership{Team: p.Team, Role: role}, nil
}

// SignupInvited signs up a new user through the invitation of token, for
// its very email, and makes them a member of its team at once. It works
// with signup closed too: an invitation is the operator's users' consent
// to a new account (docs/api.md, "Invitations"). The errors of Signup and
// Accept; a mismatched email creates no account.
func (s *Service) SignupInvited(ctx context.Context, email, password, teamName, token string) (SignedIn, pome.Membership, error) {
	p, err := s.Invitation(ctx, token)
	if err != nil {
		return SignedIn{}, pome.Membership{}, err
	}
	if lookupEmail(email) != p.Invitation.Email {
		return SignedIn{}, pome.Membership{}, pome.ErrInvitationEmailMismatch
	}
	u, err := s.createUser(ctx, email, password, teamName, false)
	if err != nil {
		return SignedIn{}, pome.Membership{}, err
	}
	joined, err := s.accept(ctx, u, p)
	if err != nil {
		return SignedIn{}, pome.Membership{}, err
	}
	in, err := s.startSession(ctx, u, nil)
	return in, joined, err
}
