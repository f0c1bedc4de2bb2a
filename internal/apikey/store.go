package apikey

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// Store is what a Service keeps keys in: the methods of pome.Store it
// calls, which every store implements (see pome.Store for each one's
// contract).
type Store interface {
	CreateKey(ctx context.Context, k pome.Key, ev pome.AuditEvent) error
	KeyByID(ctx context.Context, teamID, keyID string) (pome.Key, error)
	ListKeys(ctx context.Context, f pome.KeyFilter) ([]pome.Key, error)
	CountKeys(ctx context.Context, f pome.KeyFilter) (int, error)
	RevokeKey(ctx context.Context, teamID, keyID string, at time.Time, ev pome.AuditEvent) (pome.Key, error)
	RollKey(ctx context.Context, r pome.KeyRoll, ev pome.AuditEvent) (pome.Key, error)
	UpdateKey(ctx context.Context, teamID, keyID string, change func(*pome.Key) error, at time.Time, ev pome.AuditEvent) (pome.Key, error)
	// KeyByIDAnyTeam finds the team of a key a service token names.
	KeyByIDAnyTeam(ctx context.Context, keyID string) (pome.Key, error)
	// KeyByDigest and AppendAudit serve leak reports (ReportLeak): a
	// reported token names no team, and a canary's report is no change.
	KeyByDigest(ctx context.Context, d pome.Digest) (pome.KeyOwner, error)
	AppendAudit(ctx context.Context, ev pome.AuditEvent) error
	DailyUsage(ctx context.Context, keyID string, since time.Time) ([]pome.DailyUsage, error)
	TeamDailyUsage(ctx context.Context, teamID, createdBy string, since time.Time) ([]pome.DailyUsage, error)
	TopKeys(ctx context.Context, teamID, createdBy string, since time.Time, limit int) ([]pome.KeyUsage, error)
	// Member is the creator of a key being rolled: the new key's role is
	// at most theirs.
	Member(ctx context.Context, teamID, userID string) (pome.TeamMember, error)
}

// VerifierStore is what a Verifier reads and writes, on the request path and
// in Follow: pome.Store's methods that every store implements.
type VerifierStore interface {
	// KeyByDigest reads a key the caches cannot answer.
	KeyByDigest(ctx context.Context, d pome.Digest) (pome.KeyOwner, error)
	// LastChange and Changes are the change log Follow reads.
	LastChange(ctx context.Context) (int64, error)
	Changes(ctx context.Context, after int64, limit int) ([]pome.Change, error)
	// AppendAudit records the first refusal of an expired key (key.expired).
	AppendAudit(ctx context.Context, ev pome.AuditEvent) error
}
