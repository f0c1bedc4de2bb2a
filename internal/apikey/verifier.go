package apikey

import (
	"context"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// Verifier answers whether a presented key may be used, on every request of
// the public API. Verified keys are cached by digest for at most ttl; a
// revocation on this node forgets its entry at once, and Follow applies the
// changes other nodes and `pome admin` make within one poll interval.
type Verifier struct {
	store  pome.Store
	format pome.KeyFormat
	now    func() time.Time
	ttl    time.Duration

	mu    sync.RWMutex
	cache map[pome.Digest]cachedKey

	negative negativeCache // well-formed keys the store did not know (negative.go)
	expired  expiredLog    // expired keys whose refusal is recorded (expired.go)
}

type cachedKey struct {
	owner    pome.KeyOwner
	loadedAt time.Time
}

// NewVerifier returns a Verifier whose cache entries live at most ttl.
func NewVerifier(store pome.Store, format pome.KeyFormat, ttl time.Duration, now func() time.Time) *Verifier {
	v := &Verifier{store: store, format: format, ttl: ttl, now: now, cache: make(map[pome.Digest]cachedKey)}
	v.negative.configure(DefaultNegativeTTL, DefaultNegativeSize)
	return v
}

// Verify checks a presented key and returns its key, team and creator. A
// malformed key fails before any storage access; an unknown one is
// ErrInvalidAPIKey; a known but unusable one is ErrKeyRevoked, ErrKeyExpired
// or ErrTeamBanned.
func (v *Verifier) Verify(ctx context.Context, candidate string) (pome.KeyOwner, error) {
	return v.verify(ctx, candidate, nil)
}

// verify is Verify; gate, if not nil, is called before the store is read.
func (v *Verifier) verify(ctx context.Context, candidate string, gate func() error) (pome.KeyOwner, error) {
	d, err := v.format.Parse(candidate)
	if err != nil {
		return pome.KeyOwner{}, err
	}
	now := v.now()
	v.mu.RLock()
	c, ok := v.cache[d]
	v.mu.RUnlock()
	if !ok || now.Sub(c.loadedAt) >= v.ttl {
		unknown, gen := v.negative.lookup(d, now)
		if unknown {
			return pome.KeyOwner{}, pome.ErrInvalidAPIKey
		}
		if gate != nil {
			if err := gate(); err != nil {
				return pome.KeyOwner{}, err
			}
		}
		owner, err := v.store.KeyByDigest(ctx, d)
		if err != nil {
			if pome.AsError(err).Kind == pome.NotFound {
				// Only a definite "no such key": an unreachable store
				// is never remembered as an unknown key.
				v.negative.add(d, now, gen)
				return pome.KeyOwner{}, pome.ErrInvalidAPIKey
			}
			return pome.KeyOwner{}, err
		}
		// A key never does more than its creator can do now (SPEC §4).
		owner.Role = owner.Key.Role.Min(owner.CreatorRole)
		c = cachedKey{owner: owner, loadedAt: now}
		v.mu.Lock()
		v.cache[d] = c
		v.mu.Unlock()
	}
	switch {
	case c.owner.Key.RevokedAt != nil:
		return pome.KeyOwner{}, pome.ErrKeyRevoked
	case c.owner.CreatorRole == "":
		// The creator left the team: their keys were revoked with it; a
		// key that escaped (another node's stale cache) is refused alike.
		return pome.KeyOwner{}, pome.ErrKeyRevoked
	case c.owner.Key.ExpiresAt != nil && !now.Before(*c.owner.Key.ExpiresAt):
		v.expired.record(ctx, v.store, &c.owner, now)
		return pome.KeyOwner{}, pome.ErrKeyExpired
	case c.owner.Team.Status == pome.TeamBanned:
		return pome.KeyOwner{}, pome.ErrTeamBanned
	}
	return c.owner, nil
}

// Forget drops a key from the cache, so its next use reads the store.
func (v *Verifier) Forget(d pome.Digest) {
	v.mu.Lock()
	delete(v.cache, d)
	v.mu.Unlock()
}

// ForgetMember drops the cached keys a user created in a team, after their
// role there changed or they left it: the keys' effective role follows.
func (v *Verifier) ForgetMember(teamID, userID string) {
	v.forgetMatching(func(o *pome.KeyOwner) bool { return o.Team.ID == teamID && o.Key.CreatedBy == userID })
}

// forgetMatching drops every cached key for which match is true.
func (v *Verifier) forgetMatching(match func(*pome.KeyOwner) bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for d, c := range v.cache {
		if match(&c.owner) {
			delete(v.cache, d)
		}
	}
}

// apply invalidates what one change-log entry makes stale.
func (v *Verifier) apply(c pome.Change) {
	switch c.Kind {
	case pome.ChangeKeyRevoked, pome.ChangeKeyUpdated:
		v.forgetMatching(func(o *pome.KeyOwner) bool { return o.Key.ID == c.KeyID })
	case pome.ChangeMemberUpdated:
		v.ForgetMember(c.TeamID, c.UserID)
	default:
		// A team change, or a kind this version does not know: forgetting
		// the whole team is always safe.
		v.forgetMatching(func(o *pome.KeyOwner) bool { return o.Team.ID == c.TeamID })
	}
}
