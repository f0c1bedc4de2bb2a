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
}

type cachedKey struct {
	owner    pome.KeyOwner
	loadedAt time.Time
}

// NewVerifier returns a Verifier whose cache entries live at most ttl.
func NewVerifier(store pome.Store, format pome.KeyFormat, ttl time.Duration, now func() time.Time) *Verifier {
	return &Verifier{store: store, format: format, ttl: ttl, now: now, cache: make(map[pome.Digest]cachedKey)}
}

// Verify checks a presented key and returns its key, team and creator. A
// malformed key fails before any storage access; an unknown one is
// ErrInvalidAPIKey; a known but unusable one is ErrKeyRevoked, ErrKeyExpired
// or ErrTeamBanned.
func (v *Verifier) Verify(ctx context.Context, candidate string) (pome.KeyOwner, error) {
	d, err := v.format.Parse(candidate)
	if err != nil {
		return pome.KeyOwner{}, err
	}
	now := v.now()
	v.mu.RLock()
	c, ok := v.cache[d]
	v.mu.RUnlock()
	if !ok || now.Sub(c.loadedAt) >= v.ttl {
		owner, err := v.store.KeyByDigest(ctx, d)
		if err != nil {
			if pome.AsError(err).Kind == pome.NotFound {
				return pome.KeyOwner{}, pome.ErrInvalidAPIKey
			}
			return pome.KeyOwner{}, err
		}
		c = cachedKey{owner: owner, loadedAt: now}
		v.mu.Lock()
		v.cache[d] = c
		v.mu.Unlock()
	}
	switch {
	case c.owner.Key.RevokedAt != nil:
		return pome.KeyOwner{}, pome.ErrKeyRevoked
	case c.owner.Key.ExpiresAt != nil && !now.Before(*c.owner.Key.ExpiresAt):
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
	case pome.ChangeKeyRevoked:
		v.forgetMatching(func(o *pome.KeyOwner) bool { return o.Key.ID == c.KeyID })
	default:
		// A team change, or a kind this version does not know: forgetting
		// the whole team is always safe.
		v.forgetMatching(func(o *pome.KeyOwner) bool { return o.Team.ID == c.TeamID })
	}
}
