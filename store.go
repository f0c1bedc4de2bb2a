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
type Store interface {
	// CreateUserWithTeam stores a new user, a new team and the user's owner
	// membership in one transaction. A taken email is ErrEmailTaken, a taken
	// slug ErrSlugTaken.
	CreateUserWithTeam(ctx context.Context, u User, t Team) error
	// UserByEmail finds a user by lower-cased email; ErrUserNotFound if none.
	UserByEmail(ctx context.Context, email string) (User, error)
	// UserByID finds a user; ErrUserNotFound if none.
	UserByID(ctx context.Context, id string) (User, error)
	// Memberships lists the teams of a user, oldest membership first: the
	// first is the user's default team.
	Memberships(ctx context.Context, userID string) ([]Membership, error)
	// TeamBySlug finds a team; ErrTeamNotFound if none.
	TeamBySlug(ctx context.Context, slug string) (Team, error)
	// UpdateTeam sets a team's status and plan tier and appends a
	// ChangeTeamUpdated entry to the change log, in one transaction.
	// ErrTeamNotFound if no team has the id.
	UpdateTeam(ctx context.Context, teamID, status, planTier string, at time.Time) error

	// CreateSession stores a session.
	CreateSession(ctx context.Context, s Session) error
	// SessionByDigest finds a session; ErrNotFound if none.
	SessionByDigest(ctx context.Context, d Digest) (Session, error)
	// TouchSession sets a session's last-seen time.
	TouchSession(ctx context.Context, d Digest, lastSeen time.Time) error
	// DeleteSession removes a session; removing a missing one is no error.
	DeleteSession(ctx context.Context, d Digest) error

	// CreateKey stores a new key.
	CreateKey(ctx context.Context, k Key) error
	// KeyByDigest finds a key with its team and creator, for verification;
	// ErrKeyNotFound if none.
	KeyByDigest(ctx context.Context, d Digest) (KeyOwner, error)
	// KeyByID finds a key of one team; ErrKeyNotFound if the team has no such key.
	KeyByID(ctx context.Context, teamID, keyID string) (Key, error)
	// ListKeys lists the keys that match f, newest first.
	ListKeys(ctx context.Context, f KeyFilter) ([]Key, error)
	// RevokeKey sets a key's revocation time, if not already set, and appends
	// a ChangeKeyRevoked entry, in one transaction. It returns the key as
	// stored afterwards; ErrKeyNotFound if the team has no such key.
	RevokeKey(ctx context.Context, teamID, keyID string, at time.Time) (Key, error)

	// AddUsage adds the deltas to each key's usage count and daily bucket and
	// moves last_used forward (never back), in one transaction. Deltas of keys
	// that no longer exist are dropped.
	AddUsage(ctx context.Context, deltas []UsageDelta) error
	// DailyUsage returns a key's counts for the days from since (midnight UTC)
	// on, oldest first, only days with requests.
	DailyUsage(ctx context.Context, keyID string, since time.Time) ([]DailyUsage, error)

	// Changes returns change-log entries with Seq > after, oldest first, at
	// most limit of them.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// LastChange returns the highest Seq in the change log, 0 if empty.
	LastChange(ctx context.Context) (int64, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
