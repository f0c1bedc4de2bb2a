package apikey

import (
	"context"
	"errors"
	"time"

	"github.com/pomehq/pome"
)

// Grace of a roll: how long the old key keeps working (docs/api.md).
const (
	DefaultRollGraceHours = 24
	maxRollGraceHours     = 168
)

// Rolled is a roll's outcome: the replacement and its plaintext, and the old
// key with its new expiry.
type Rolled struct {
	Created
	Old pome.Key
}

// The ErrKeyNotActive of a roll, saying why.
var (
	errRollRevoked = &pome.Error{Kind: pome.Conflict, Code: pome.ErrKeyNotActive.Code,
		Message: "API key is revoked: only an active key can be rolled"}
	errRollExpired = &pome.Error{Kind: pome.Conflict, Code: pome.ErrKeyNotActive.Code,
		Message: "API key has expired: only an active key can be rolled"}
)

// rollAttempts bounds the retries of a roll that raced another change of
// the same key.
const rollAttempts = 3

// RollParams are the caller's choices for a roll.
type RollParams struct {
	// GraceHours is how long the old key keeps working (0–168; nil: 24).
	GraceHours *int
	// ExpiresInDays is the replacement's lifetime (1–3650), or ExpiresAt
	// its expiry, not both; neither gives it the old key's lifetime from
	// now (pome.Key.Lifetime, which an earlier roll's grace does not
	// shorten): a 90-day key rolled on day 80 is replaced by a 90-day key.
	ExpiresInDays *int
	ExpiresAt     *time.Time
}

// Roll mints the replacement of a key (same name, description, role,
// environment, policies, lifetime and creator; issued to the member who
// rolls it) and sets the old key to expire after the grace, or at its own
// earlier expiry: a roll never extends an expiry. The member may roll the
// keys they may revoke; the replacement's role is capped at its creator's
// current role and may not exceed the member's own.
func (s *Service) Roll(ctx context.Context, m pome.Member, keyID string, p RollParams) (Rolled, error) {
	return s.rollAs(ctx, memberActor(m), keyID, p)
}

func (s *Service) rollAs(ctx context.Context, a actor, keyID string, p RollParams) (Rolled, error) {
	grace := DefaultRollGraceHours
	if p.GraceHours != nil {
		grace = *p.GraceHours
		if grace < 0 || grace > maxRollGraceHours {
			return Rolled{}, pome.InvalidParameter("'expire_old_in_hours' must be 0 to %d", maxRollGraceHours)
		}
	}
	if d := p.ExpiresInDays; d != nil && (*d < 1 || *d > maxExpiresInDays) {
		return Rolled{}, pome.InvalidParameter("'expires_in_days' must be 1 to %d", maxExpiresInDays)
	}
	if p.ExpiresInDays != nil && p.ExpiresAt != nil {
		return Rolled{}, pome.InvalidParameter("give 'expires_at' or 'expires_in_days', not both")
	}
	for attempt := 1; ; attempt++ {
		r, err := s.roll(ctx, a, keyID, time.Duration(grace)*time.Hour, p)
		if !errors.Is(err, pome.ErrConcurrentChange) || attempt == rollAttempts {
			return r, err
		}
	}
}

func (s *Service) roll(ctx context.Context, a actor, keyID string, grace time.Duration, p RollParams) (Rolled, error) {
	old, err := s.visibleKey(ctx, a, keyID)
	if err != nil {
		return Rolled{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	switch old.Status(now) {
	case pome.KeyRevoked:
		return Rolled{}, errRollRevoked
	case pome.KeyExpired:
		return Rolled{}, errRollExpired
	}
	creatorRole, err := s.creatorRole(ctx, &old)
	if errors.Is(err, pome.ErrMemberNotFound) {
		return Rolled{}, errRollRevoked // a creator who left had their keys revoked
	}
	if err != nil {
		return Rolled{}, err
	}
	role := old.Role.Min(creatorRole)
	if !a.role.AtLeast(role) {
		// An admin may revoke an owner's key, but not mint an owner key.
		return Rolled{}, pome.ErrInsufficientPermissions
	}

	oldExpiry := now.Add(grace)
	if old.ExpiresAt != nil && old.ExpiresAt.Before(oldExpiry) {
		oldExpiry = *old.ExpiresAt
	}
	// The replacement is the old key but for its secret, id, role cap,
	// creation and expiry: every policy goes with it.
	k := old
	k.ID, k.Role, k.CreatedAt = pome.NewID("key_"), role, now
	k.RevokedAt, k.LastUsed, k.UsageCount, k.IssuedTo = nil, nil, 0, ""
	if a.userID != "" && a.userID != old.CreatedBy {
		// The plaintext goes to the roller, not the creator: removing the
		// roller from the team revokes it (Store.RemoveMember).
		k.IssuedTo = a.userID
	}
	switch {
	case p.ExpiresAt != nil:
		if err := s.setExpiry(&k, p.ExpiresAt, now); err != nil {
			return Rolled{}, err
		}
	case p.ExpiresInDays != nil:
		k.Lifetime = now.AddDate(0, 0, *p.ExpiresInDays).Sub(now)
	}
	if p.ExpiresAt == nil {
		k.ExpiresAt = nil
		if k.Lifetime > 0 {
			t := now.Add(k.Lifetime)
			k.ExpiresAt = &t
		}
	}
	plaintext, err := s.mint(&k)
	if err != nil {
		return Rolled{}, err
	}
	details := keyDetails(&k)
	details["new_key_id"] = k.ID
	details["old_expires_at"] = oldExpiry.Format(time.RFC3339)
	ev := a.event(ctx, pome.AuditKeyRolled, now, old.ID).With(details)
	old, err = s.store.RollKey(ctx, pome.KeyRoll{
		TeamID: a.teamID, OldKeyID: old.ID, ExpectedExpiresAt: old.ExpiresAt, OldExpiresAt: oldExpiry, New: k,
	}, ev)
	if err != nil {
		return Rolled{}, err
	}
	s.verifier.Forget(old.Digest)
	s.verifier.ForgetUnknown(k.Digest)
	if k.Credits != nil {
		// The store moved the credits left (pome.Credits.Split): the
		// replacement answers with what it got.
		if k, err = s.store.KeyByID(ctx, a.teamID, k.ID); err != nil {
			return Rolled{}, err
		}
	}
	return Rolled{Created: Created{Key: k, Plaintext: plaintext}, Old: old}, nil
}
