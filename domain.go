package pome

import (
	"net/netip"
	"time"
)

// Plan tiers and team statuses (docs/api.md).
const (
	PlanFree       = "free"
	PlanPro        = "pro"
	PlanEnterprise = "enterprise"

	TeamActive = "active"
	TeamBanned = "banned"
)

// ValidPlan reports whether p is a plan tier.
func ValidPlan(p string) bool { return p == PlanFree || p == PlanPro || p == PlanEnterprise }

// User is a person who signs in to the dashboard.
type User struct {
	ID           string
	Email        string // stored lower-cased: emails are unique case-insensitively
	PasswordHash string // PHC-encoded argon2id; "" for a user of portal links, who has none
	CreatedAt    time.Time
}

// HasPassword reports whether u can sign in with a password: a user created
// by a portal link (POST /v1/portal/sessions) has none until an operator's
// reset link gives them one.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

// Team owns keys; users belong to teams through memberships.
type Team struct {
	ID        string
	Slug      string
	Name      string
	PlanTier  string
	Status    string
	CreatedAt time.Time
	// ExternalID is the platform's own id of the team, unique when set;
	// "" when none (a team made by a signup).
	ExternalID string
}

// Membership is a user's role in one team.
type Membership struct {
	Team Team
	Role Role
}

// Session is a signed-in browser or CLI. Only the digest of its token is stored.
type Session struct {
	// ID is the session's public name (ses_ + 16 base62), which its user
	// lists and ends it by: never its token or the token's digest.
	ID        string
	Digest    Digest
	UserID    string
	CreatedAt time.Time
	LastSeen  time.Time
	// IP and UserAgent are the sign-in request's, cleaned as an audit
	// event's are (NewAuditEvent), so that its user can tell it apart.
	IP        string
	UserAgent string
	// ReturnURL is the platform's page of the portal link that started the
	// session (PortalLink.ReturnURL), which the dashboard links back to; ""
	// for every other session.
	ReturnURL string
}

// PasswordReset is a one-time link to set a user's password, made by an
// operator (pome admin user reset-password). Only its token's digest is
// stored.
type PasswordReset struct {
	Digest    Digest
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Invitation is a pending invitation of an email to join a team with a
// role, handed over as a one-time link. Only its token's digest is stored;
// accepting it deletes it.
type Invitation struct {
	ID        string // inv_ + 16 base62: its public name, for listing and revoking
	Digest    Digest
	TeamID    string
	Email     string // lower-cased, as a user's
	Role      Role
	InvitedBy string // the inviting user's id
	CreatedAt time.Time
	ExpiresAt time.Time
}

// KeyStatus is derived from a key's revocation time and expiry.
type KeyStatus string

const (
	KeyActive  KeyStatus = "active"
	KeyRevoked KeyStatus = "revoked"
	KeyExpired KeyStatus = "expired"
)

// Key is an API key's stored record; the plaintext is never part of it.
type Key struct {
	ID          string
	TeamID      string
	CreatedBy   string // a user's id, or a service token's (stk_) for a key the platform API made
	Name        string
	Description string
	Prefix      string // display prefix, e.g. "pme_aB3kPqXy"
	Digest      Digest
	Role        Role
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	RevokedAt   *time.Time
	LastUsed    *time.Time
	LastUsedIP  netip.Addr // the client address of LastUsed (zero: unknown)
	UsageCount  int64
	// IssuedTo is the user who received the plaintext, when not CreatedBy:
	// a member who rolled another's key. Empty when the creator did.
	IssuedTo string
	// Lifetime is how long the key lives from its creation (0: it never
	// expires), which a roll gives the replacement: ExpiresAt alone cannot
	// say it once a roll has shortened it to the grace. Whole milliseconds.
	Lifetime time.Duration
	// ReplacedBy is the id of the key the latest roll of this one minted
	// (Store.RollKey); empty for a key never rolled.
	ReplacedBy string
	// Canary marks a decoy, made to be leaked: every use is answered as
	// an unknown key's and recorded (key.canary_used). A roll keeps it.
	Canary bool

	// The key's policies (policy.go), enforced by authz.Gate. The zero
	// value of each is none: a live, enabled key with no scopes, meta,
	// limit of its own or address rule.
	TestMode     bool           // environment "test": the key reads <prefix>_test_...
	Disabled     bool           // "enabled": false, refused until enabled again
	Scopes       []string       // what the key may do, for callers that require scopes
	Meta         string         // a compact JSON object; "" is {}
	RateLimit    *RateLimit     // nil: the team plan's limit
	AllowedCIDRs []netip.Prefix // when not empty, the only client addresses accepted
	Credits      *Credits       // nil: unlimited
}

// Key environments: a test key reads <prefix>_test_ and is otherwise
// treated alike; answers and identity headers say which.
const (
	EnvLive = "live"
	EnvTest = "test"
)

// Environment names the key's environment.
func (k *Key) Environment() string {
	if k.TestMode {
		return EnvTest
	}
	return EnvLive
}

// Status is the key's status at now.
func (k *Key) Status(now time.Time) KeyStatus {
	switch {
	case k.RevokedAt != nil:
		return KeyRevoked
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return KeyExpired
	}
	return KeyActive
}

// KeyOwner is what verification needs besides the key: its team and creator.
type KeyOwner struct {
	Key  Key
	Team Team
	User User
	// CreatorRole is the creator's current role in the key's team, empty if
	// they are no longer a member.
	CreatorRole Role
	// Role is the key's effective role: the lower of Key.Role and
	// CreatorRole. The store leaves it empty; apikey.Verifier sets it.
	Role Role
}

// TeamMember is one member of a team, as the member list shows it. The
// user comes without a password hash.
type TeamMember struct {
	User     User
	Role     Role
	JoinedAt time.Time
}

// KeyRoll is one roll of a key, for Store.RollKey: the replacement to
// store, and the old key's new expiry, which replaces ExpectedExpiresAt.
type KeyRoll struct {
	TeamID            string
	OldKeyID          string
	ExpectedExpiresAt *time.Time // the old key's expiry as read; a change since is a conflict
	OldExpiresAt      time.Time  // the old key's expiry from now on
	New               Key
}

// KeyFilter selects keys of one team for listing.
type KeyFilter struct {
	TeamID    string
	CreatedBy string    // empty: every creator
	Status    KeyStatus // empty: every status
	Now       time.Time // the instant Status is judged at
	// Search, if not empty, keeps the keys whose name holds it, ASCII
	// letters matched in any case, or whose prefix starts with it (the
	// dashboard's search box).
	Search string
	// Before, if not nil, keeps only the keys listed after it, newest
	// first: created before it, or at the same instant with a smaller id.
	Before *KeyPosition
	Limit  int // at most this many keys; 0: every one
}

// KeyPosition is a place in a team's key listing, which is ordered by
// CreatedAt and then ID, both descending.
type KeyPosition struct {
	CreatedAt time.Time
	ID        string
}

// UsageDelta is the usage of one key counted in memory since the last flush.
type UsageDelta struct {
	KeyID    string
	Outcomes OutcomeCounts // verifications by outcome; the valid ones add to usage_count
	At       time.Time     // the latest verification of any outcome: its UTC day is the bucket
	LastUsed time.Time     // the latest valid one (zero: none in this delta)
	LastIP   netip.Addr    // the client address of LastUsed (zero: unknown)
}

// UsageColumns are the columns of the stores' usage tables (usage_daily,
// usage_pending) that count each outcome, indexed as Outcomes: "count" for
// the valid ones, which usage_count sums, and the outcome's name for each
// refusal.
var UsageColumns = func() (cols [len(Outcomes)]string) {
	for i, o := range Outcomes {
		cols[i] = string(o)
	}
	cols[0] = "count"
	return cols
}()

// ParseUsageIP reads a stored last_used_ip: "" is unknown (the zero
// Addr).
func ParseUsageIP(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return netip.ParseAddr(s)
}

// UsageIP is what a store keeps of a use's address: "" when unknown.
func UsageIP(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// DailyUsage is one day's verifications of a key (or a team's keys), by outcome.
type DailyUsage struct {
	Day      time.Time // midnight UTC
	Outcomes OutcomeCounts
}

// KeyUsage is a key's verifications by outcome summed over a span of days
// (Store.TopKeys).
type KeyUsage struct {
	KeyID    string
	Name     string
	Prefix   string
	Outcomes OutcomeCounts
}

// Change is an entry of the change log that servers poll to learn of changes
// made elsewhere (another node, or `pome admin` straight on the database).
type Change struct {
	Seq    int64
	Kind   ChangeKind
	TeamID string
	KeyID  string // empty unless the change is about one key
	UserID string // empty unless the change is about one member
	At     time.Time
}

// ChangeKind says what a Change invalidates.
type ChangeKind string

const (
	ChangeKeyRevoked  ChangeKind = "key_revoked"
	ChangeTeamUpdated ChangeKind = "team_updated"
	// ChangeMemberUpdated: a member's role changed or they left the team;
	// the keys they created in it must be verified afresh.
	ChangeMemberUpdated ChangeKind = "member_updated"
	// ChangeKeyUpdated: a key's expiry moved (a roll); verify it afresh.
	ChangeKeyUpdated ChangeKind = "key_updated"
)

// Member is a signed-in user acting in one team: who a management request
// acts as.
type Member struct {
	User User
	Team Team
	Role Role
}
