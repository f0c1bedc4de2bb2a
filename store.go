package pome

import (
	"context"
	"time"
)

// Store is the storage every backend implements. Each method is one whole
// intent and atomic. Stores hold no business rules (who may do what lives in
// internal/apikey and internal/account); they translate driver errors at their
// edge: no rows → a NotFound *Error, a unique violation → a Conflict *Error, a
// lost database → an Unavailable *Error.
//
// Every method that changes state takes the audit event that records the
// change and appends it in the same transaction: a change that fails leaves
// no event, and an event never describes a change that did not commit.
// Integrity invariants that must hold under races (a team keeps an owner)
// are checked inside the transaction; who may do what is not the store's.
type Store interface {
	// CreateUserWithTeam stores a new user, a new team, the user's owner
	// membership and ev in one transaction. A taken email is ErrEmailTaken, a
	// taken slug ErrSlugTaken.
	CreateUserWithTeam(ctx context.Context, u User, t Team, ev AuditEvent) error
	// UserByEmail finds a user by lower-cased email; ErrUserNotFound if none.
	UserByEmail(ctx context.Context, email string) (User, error)
	// UserByID finds a user; ErrUserNotFound if none.
	UserByID(ctx context.Context, id string) (User, error)
	// Memberships lists the teams of a user, oldest membership first: the
	// first is the user's default team.
	Memberships(ctx context.Context, userID string) ([]Membership, error)
	// CreateTeam stores a team with no member (the platform API's) and ev,
	// in one transaction. A taken slug is ErrSlugTaken, a taken external
	// id ErrExternalIDTaken.
	CreateTeam(ctx context.Context, t Team, ev AuditEvent) error
	// TeamByID, TeamBySlug and TeamByExternalID find a team;
	// ErrTeamNotFound if none.
	TeamByID(ctx context.Context, id string) (Team, error)
	TeamBySlug(ctx context.Context, slug string) (Team, error)
	TeamByExternalID(ctx context.Context, externalID string) (Team, error)
	// UpdateTeam sets the name (an empty one keeps the name), status and
	// plan tier of the team t.ID and
	// appends a ChangeTeamUpdated entry to the change log and ev, in one
	// transaction. ErrTeamNotFound if no team has the id.
	UpdateTeam(ctx context.Context, t Team, at time.Time, ev AuditEvent) error

	// Members lists a team's members, oldest membership first.
	Members(ctx context.Context, teamID string) ([]TeamMember, error)
	// Member finds one member of a team; ErrMemberNotFound if the user is
	// not in it.
	Member(ctx context.Context, teamID, userID string) (TeamMember, error)
	// SetMemberRole changes a member's role from from to to, appends a
	// ChangeMemberUpdated entry and ev, in one transaction.
	// ErrMemberNotFound if the user is not a member, ErrConcurrentChange if
	// their role is no longer from, ErrLastOwner if the team would be left
	// without an owner.
	SetMemberRole(ctx context.Context, teamID, userID string, from, to Role, at time.Time, ev AuditEvent) error
	// RemoveMember removes a member whose role is from, revokes every key
	// of the team they created or were issued (Key.IssuedTo), and appends a ChangeKeyRevoked entry per key,
	// a ChangeMemberUpdated entry and ev (its Details["revoked_keys"] set to
	// the revoked key ids), in one transaction. It returns the revoked key
	// ids. Errors as for SetMemberRole.
	RemoveMember(ctx context.Context, teamID, userID string, from Role, at time.Time, ev AuditEvent) ([]string, error)

	// CreateInvitation stores inv, replacing the pending invitation of the
	// same email to the same team if any (only the newest link works), and
	// appends ev, in one transaction. ErrTeamNotFound if there is no such
	// team.
	CreateInvitation(ctx context.Context, inv Invitation, ev AuditEvent) error
	// Invitations lists a team's invitations, expired ones included, newest
	// first (CreatedAt, then ID, descending).
	Invitations(ctx context.Context, teamID string) ([]Invitation, error)
	// InvitationByDigest finds an invitation, expired or not;
	// ErrInvitationNotFound if none.
	InvitationByDigest(ctx context.Context, d Digest) (Invitation, error)
	// DeleteInvitation removes the invitation id of team teamID and
	// appends ev, in one transaction; ErrInvitationNotFound if the team has
	// no such invitation.
	DeleteInvitation(ctx context.Context, teamID, id string, ev AuditEvent) error
	// AcceptInvitation consumes the invitation of digest d if it expires
	// after at, makes userID a member of its team with its role (a member
	// already keeps a role at least as high, and one lower is raised to it,
	// with a ChangeMemberUpdated entry), and appends ev with
	// Details["role"] set to the role the user holds then, in one
	// transaction; of two concurrent accepts one wins. It returns that
	// role. ErrInvitationNotFound (and no change) if the invitation is
	// gone or expired, ErrUserNotFound if the user is.
	AcceptInvitation(ctx context.Context, d Digest, userID string, at time.Time, ev AuditEvent) (Role, error)

	// CreateSession stores a session and appends ev, unless ev is nil (the
	// session of a signup, which its signup event records).
	CreateSession(ctx context.Context, s Session, ev *AuditEvent) error
	// SessionByDigest finds a session; ErrNotFound if none.
	SessionByDigest(ctx context.Context, d Digest) (Session, error)
	// Sessions lists a user's sessions, newest first (CreatedAt, then ID,
	// descending), timed-out ones included.
	Sessions(ctx context.Context, userID string) ([]Session, error)
	// DeleteUserSession removes the session id of the user userID and
	// appends ev, in one transaction; ErrSessionNotFound if the user has no
	// such session (another user's is not theirs).
	DeleteUserSession(ctx context.Context, userID, id string, ev AuditEvent) error
	// SetPassword sets a user's password hash, removes every session of
	// theirs but the one of digest keep (none kept when nil) and their
	// password reset, if any, and appends ev, in one transaction.
	// ErrUserNotFound if there is no such user.
	SetPassword(ctx context.Context, userID, hash string, keep *Digest, ev AuditEvent) error
	// CreatePasswordReset stores r, replacing the user's previous reset if
	// any (only the newest link works), and appends ev, in one transaction.
	// ErrUserNotFound if there is no such user.
	CreatePasswordReset(ctx context.Context, r PasswordReset, ev AuditEvent) error
	// PasswordResetByDigest finds a reset, expired or not; ErrNotFound if
	// none.
	PasswordResetByDigest(ctx context.Context, d Digest) (PasswordReset, error)
	// ResetPassword consumes the reset of digest d of user userID, if it
	// expires after at, sets the user's password hash, removes every
	// session of theirs and appends ev, in one transaction; of two
	// concurrent uses of one reset one wins. ErrNotFound (and no change) if
	// the reset is gone, another user's or expired.
	ResetPassword(ctx context.Context, d Digest, userID, hash string, at time.Time, ev AuditEvent) error
	// TouchSession sets a session's last-seen time.
	TouchSession(ctx context.Context, d Digest, lastSeen time.Time) error
	// DeleteSession removes a session and, if there was one and ev is not
	// nil, appends ev; removing a missing one is no error.
	DeleteSession(ctx context.Context, d Digest, ev *AuditEvent) error

	// CreatePortalLink stores l and appends ev, in one transaction.
	// ErrTeamNotFound if there is no team l.TeamID.
	CreatePortalLink(ctx context.Context, l PortalLink, ev AuditEvent) error
	// OpenPortalLink consumes the portal link of digest d if it expires
	// after s.CreatedAt and, in the same transaction: finds the user of the
	// link's email, or stores newUser with that email and no password
	// (PasswordHash ""); makes them a member of the link's team with its
	// role, or raises a lower role to it (with a ChangeMemberUpdated entry;
	// a higher role is kept); stores s as a session of that user carrying
	// the link's return URL; and appends the events that events returns for
	// what was done. Of two concurrent opens of one link, one wins.
	// ErrNotFound (and no change) if the link is unknown, used or expired.
	OpenPortalLink(ctx context.Context, d Digest, newUser User, s Session, events func(PortalOpened) []AuditEvent) (PortalOpened, error)

	// CreateKey stores a new key and appends ev.
	CreateKey(ctx context.Context, k Key, ev AuditEvent) error
	// KeyByDigest finds a key with its team, its creator and the creator's
	// current role in the team, for verification; ErrKeyNotFound if none.
	KeyByDigest(ctx context.Context, d Digest) (KeyOwner, error)
	// KeyByID finds a key of one team; ErrKeyNotFound if the team has no such key.
	KeyByID(ctx context.Context, teamID, keyID string) (Key, error)
	// KeyByIDAnyTeam finds a key of any team, for a service token, which
	// acts on every team; ErrKeyNotFound if none.
	KeyByIDAnyTeam(ctx context.Context, keyID string) (Key, error)
	// UpdateKey reads the key keyID of team teamID, lets change alter it,
	// stores its name, description, expiry, lifetime, policies (Disabled,
	// Scopes, Meta, RateLimit, AllowedCIDRs) and Credits as change left them, and
	// appends a ChangeKeyUpdated entry, ev and the events of the credit
	// thresholds the change crossed (CreditAlerts), in one transaction that no
	// concurrent change of the key interleaves with. It returns the key as
	// stored. ErrKeyNotFound if the team has no such key; an error of change
	// is returned as is, and nothing is written.
	UpdateKey(ctx context.Context, teamID, keyID string, change func(*Key) error, at time.Time, ev AuditEvent) (Key, error)
	// ListKeys lists the keys that match f, newest first (CreatedAt, then
	// ID, descending), from after f.Before, at most f.Limit of them: a page
	// costs the same at any depth.
	ListKeys(ctx context.Context, f KeyFilter) ([]Key, error)
	// CountKeys counts the keys that match f's team, creator and status,
	// whatever its Before and Limit.
	CountKeys(ctx context.Context, f KeyFilter) (int, error)
	// RevokeKey sets a key's revocation time, if not already set, and then
	// appends a ChangeKeyRevoked entry and ev, in one transaction (a key
	// already revoked writes neither). It returns the key as stored
	// afterwards; ErrKeyNotFound if the team has no such key.
	RevokeKey(ctx context.Context, teamID, keyID string, at time.Time, ev AuditEvent) (Key, error)
	// RollKey stores r.New, sets the old key's expiry to r.OldExpiresAt and
	// its ReplacedBy to r.New.ID, and appends a ChangeKeyUpdated entry and ev, in one transaction. An old
	// key with credits has them split as it stands in that transaction
	// (Credits.Split, with what its leases hold): r.New's are replaced by
	// the part moved, and the thresholds that part crossed are recorded on
	// r.New (CreditAlerts). It returns the old key as stored
	// afterwards. ErrKeyNotFound if the team has no such key, ErrKeyNotActive
	// if it is revoked, ErrConcurrentChange if its expiry is no longer
	// r.ExpectedExpiresAt.
	RollKey(ctx context.Context, r KeyRoll, ev AuditEvent) (Key, error)

	// AddUsage records one flush of usage counts in one transaction: each
	// delta adds every outcome's count to its key's bucket for the UTC day
	// of its At, and its valid count to the key's usage count; its LastUsed,
	// when set, moves the key's last_used forward (never back) with
	// last_used_ip, and a delta of refusals only leaves them. Deltas of keys
	// that no longer exist are dropped. Every read (KeyByDigest, KeyByID,
	// KeyByIDAnyTeam, ListKeys, DailyUsage, TeamDailyUsage) answers with
	// them as soon as AddUsage returns, whether or not CompactUsage has run
	// since. Concurrent calls, of one node or several on one database, never
	// deadlock (storetest's ConcurrentOutcomes; postgres'
	// TestConcurrentFlushes).
	AddUsage(ctx context.Context, deltas []UsageDelta) error
	// CompactUsage is the store's upkeep of what AddUsage recorded, called
	// by the meter after each flush, at now. A store keeps recorded counts
	// apart from the totals (usage_pending), so that a flush writes few
	// pages, and folds them in over time: a share per call, the share of
	// its sweep period (a minute) elapsed since the previous call, so that a
	// key's flushes of a sweep become one write of its rows. It changes no
	// answer of any read, loses and doubles nothing that a concurrent
	// AddUsage records, and a call that finds nothing due writes nothing:
	// calling it again is harmless.
	CompactUsage(ctx context.Context, now time.Time) error
	// DailyUsage returns a key's counts by outcome for the days from since
	// (midnight UTC) on, oldest first, only days with a count of any outcome.
	DailyUsage(ctx context.Context, keyID string, since time.Time) ([]DailyUsage, error)
	// TeamDailyUsage returns the counts of a team's keys summed per day, as
	// DailyUsage does for one key: every key of the team, revoked and
	// expired ones included, or only the keys createdBy created when it is
	// not empty.
	TeamDailyUsage(ctx context.Context, teamID, createdBy string, since time.Time) ([]DailyUsage, error)
	// TopKeys returns the keys of a team (of createdBy only, when not
	// empty) with the most verifications of any outcome from since's day
	// on, as TeamDailyUsage counts them, most first (then by id), at most
	// limit, keys with none left out.
	TopKeys(ctx context.Context, teamID, createdBy string, since time.Time, limit int) ([]KeyUsage, error)

	// SettleCredits loads the CreditState of each key of keyIDs and of
	// every key with a lease expired at now, calls settle on each, in key
	// id order, and stores what settle left: the key's credits and its
	// leases (replaced whole), with the events of the credit thresholds
	// each settle crossed (CreditAlerts), all in one transaction in which
	// no other change of those keys interleaves. Keys that do not exist are passed
	// over. An error of settle is returned as is, and nothing is written.
	SettleCredits(ctx context.Context, keyIDs []string, now time.Time, settle func(*CreditState) error) error

	// Changes returns change-log entries with Seq > after, oldest first, at
	// most limit of them.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// LastChange returns the highest Seq in the change log, 0 if empty.
	LastChange(ctx context.Context) (int64, error)

	// AppendAudit appends an event that records no change of state (a failed
	// login, a refused use). At most one AuditKeyExpired event is kept per
	// target key: a second is silently dropped.
	AppendAudit(ctx context.Context, ev AuditEvent) error
	// AuditEvents returns the events that match f, newest first.
	AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error)

	// ChangeSignal returns a channel that is closed at the next
	// notification after the call: an entry appended to the change log, or
	// the notification connection (re-)established, after which entries
	// may have been missed; nil (never closed) for a store that cannot
	// announce entries (SQLite, one node), which followers only poll. A
	// follower asks for the channel before reading the log, so that
	// nothing committed after its read goes unnoticed. Notifications are a
	// hint: the change log stays the truth, and followers keep polling it,
	// so a lost notification delays a change by one poll interval at most.
	ChangeSignal() <-chan struct{}

	// CreateWebhookEndpoint stores e (its subscriptions included) and
	// appends ev, in one transaction. ErrTeamNotFound if e.TeamID names no
	// team.
	CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint, ev AuditEvent) error
	// WebhookEndpoints lists the endpoints of team teamID, or every endpoint
	// when teamID is empty, oldest first.
	WebhookEndpoints(ctx context.Context, teamID string) ([]WebhookEndpoint, error)
	// WebhookEndpoint finds an endpoint; ErrWebhookNotFound if none.
	WebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error)
	// DeleteWebhookEndpoint removes an endpoint with its queued messages and
	// attempts, and appends ev, in one transaction; ErrWebhookNotFound if
	// none.
	DeleteWebhookEndpoint(ctx context.Context, id string, ev AuditEvent) error
	// WebhookAttempts lists an endpoint's delivery attempts with Seq below
	// before (every one when 0), newest first, at most limit.
	WebhookAttempts(ctx context.Context, endpointID string, before int64, limit int) ([]WebhookAttempt, error)
	// ClaimWebhooks leases to node, until until, at most limit endpoints
	// whose oldest undelivered message is due at now and which no node
	// holds a lease on at now, and returns each with its undelivered
	// messages, oldest first, at most perEndpoint. Of nodes claiming at
	// once, each endpoint goes to one.
	ClaimWebhooks(ctx context.Context, node string, now, until time.Time, limit, perEndpoint int) ([]WebhookBatch, error)
	// RecordWebhookAttempt appends a to the deliveries log and applies its
	// outcome to its message, in one transaction: delivered or failed ends
	// the message; retrying sets its attempts and next time to next. A
	// delivery clears the endpoint's FailingSince; a failure sets it if
	// unset.
	RecordWebhookAttempt(ctx context.Context, a WebhookAttempt, next time.Time) error
	// ReleaseWebhooks ends node's leases on the endpoints ids.
	ReleaseWebhooks(ctx context.Context, node string, ids []string) error
	// PruneWebhooks deletes the messages ended and the attempts made
	// before before.
	PruneWebhooks(ctx context.Context, before time.Time) error

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error

	// CreateServiceToken stores a new token and appends ev, in one
	// transaction.
	CreateServiceToken(ctx context.Context, t ServiceToken, ev AuditEvent) error
	// ServiceTokenByDigest finds a token, revoked or not;
	// ErrServiceTokenNotFound if none.
	ServiceTokenByDigest(ctx context.Context, d Digest) (ServiceToken, error)
	// ListServiceTokens lists every token, newest first.
	ListServiceTokens(ctx context.Context) ([]ServiceToken, error)
	// RevokeServiceToken sets a token's revocation time, if not already
	// set, and then appends ev, in one transaction (a token already revoked
	// writes nothing). It returns the token as stored afterwards;
	// ErrServiceTokenNotFound if there is no such token.
	RevokeServiceToken(ctx context.Context, id string, at time.Time, ev AuditEvent) (ServiceToken, error)
}
