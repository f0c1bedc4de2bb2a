package account

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// Store is what a Service keeps users, teams, members, sessions and the
// audit log in: the methods of pome.Store it calls, which every store
// implements (see pome.Store for each one's contract).
type Store interface {
	// Users and their personal teams.
	CreateUserWithTeam(ctx context.Context, u pome.User, t pome.Team, ev pome.AuditEvent) error
	UserByEmail(ctx context.Context, email string) (pome.User, error)
	UserByID(ctx context.Context, id string) (pome.User, error)
	Memberships(ctx context.Context, userID string) ([]pome.Membership, error)

	// Teams and their members.
	TeamBySlug(ctx context.Context, slug string) (pome.Team, error)
	TeamByID(ctx context.Context, id string) (pome.Team, error)
	TeamByExternalID(ctx context.Context, externalID string) (pome.Team, error)
	CreateTeam(ctx context.Context, t pome.Team, ev pome.AuditEvent) error
	UpdateTeam(ctx context.Context, t pome.Team, at time.Time, ev pome.AuditEvent) error
	Members(ctx context.Context, teamID string) ([]pome.TeamMember, error)
	Member(ctx context.Context, teamID, userID string) (pome.TeamMember, error)
	SetMemberRole(ctx context.Context, teamID, userID string, from, to pome.Role, at time.Time, ev pome.AuditEvent) error
	RemoveMember(ctx context.Context, teamID, userID string, from pome.Role, at time.Time, ev pome.AuditEvent) ([]string, error)

	// Invitations.
	CreateInvitation(ctx context.Context, inv pome.Invitation, ev pome.AuditEvent) error
	Invitations(ctx context.Context, teamID string) ([]pome.Invitation, error)
	InvitationByDigest(ctx context.Context, d pome.Digest) (pome.Invitation, error)
	DeleteInvitation(ctx context.Context, teamID, id string, ev pome.AuditEvent) error
	AcceptInvitation(ctx context.Context, d pome.Digest, userID string, at time.Time, ev pome.AuditEvent) (pome.Role, error)

	// Sessions.
	CreateSession(ctx context.Context, s pome.Session, ev *pome.AuditEvent) error
	SessionByDigest(ctx context.Context, d pome.Digest) (pome.Session, error)
	TouchSession(ctx context.Context, d pome.Digest, lastSeen time.Time) error
	DeleteSession(ctx context.Context, d pome.Digest, ev *pome.AuditEvent) error
	Sessions(ctx context.Context, userID string) ([]pome.Session, error)
	DeleteUserSession(ctx context.Context, userID, id string, ev pome.AuditEvent) error

	// Passwords.
	SetPassword(ctx context.Context, userID, hash string, keep *pome.Digest, ev pome.AuditEvent) error
	CreatePasswordReset(ctx context.Context, r pome.PasswordReset, ev pome.AuditEvent) error
	PasswordResetByDigest(ctx context.Context, d pome.Digest) (pome.PasswordReset, error)
	ResetPassword(ctx context.Context, d pome.Digest, userID, hash string, at time.Time, ev pome.AuditEvent) error

	// Portal links.
	CreatePortalLink(ctx context.Context, l pome.PortalLink, ev pome.AuditEvent) error
	OpenPortalLink(ctx context.Context, d pome.Digest, newUser pome.User, s pome.Session, events func(pome.PortalOpened) []pome.AuditEvent) (pome.PortalOpened, error)

	// The audit log.
	AppendAudit(ctx context.Context, ev pome.AuditEvent) error
	AuditEvents(ctx context.Context, f pome.AuditFilter) ([]pome.AuditEvent, error)
}
