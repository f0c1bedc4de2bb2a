package apikey

import (
	"context"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// Defaults of the negative cache: a flood of one forged key costs one store
// read per TTL; a flood of distinct forged keys is the per-IP failure limit's
// business (internal/httpserver), the cache only has to stay small.
const (
	DefaultNegativeTTL  = 5 * time.Second
	DefaultNegativeSize = 10_000
)

// negativeCache remembers, for a few seconds, the digests of well-formed keys
// the store did not know, so that repeating a forged key does not cost a
// store read each time. Entries hold no pointers (digest → expiry in unix
// nanoseconds), so a full cache costs the garbage collector nothing to scan.
//
// A key created on this node is forgotten at once (Service.Create calls
// ForgetUnknown); a key created on another node is known here at most ttl
// after its creation. gen guards the one race: a store read that started
// before a creation must not record the key as unknown after it.
type negativeCache struct {
	mu   sync.Mutex
	ttl  time.Duration // 0: disabled
	size int
	gen  uint64
	m    map[pome.Digest]int64
}

func (c *negativeCache) configure(ttl time.Duration, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ttl <= 0 || size <= 0 {
		c.ttl, c.size, c.m = 0, 0, nil
		return
	}
	c.ttl, c.size, c.m = ttl, size, make(map[pome.Digest]int64)
}

// lookup reports whether d is known to be unknown at now, and the generation
// to hand to add after a store read.
func (c *negativeCache) lookup(d pome.Digest, now time.Time) (hit bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		return false, c.gen
	}
	exp, ok := c.m[d]
	if ok && now.UnixNano() >= exp {
		delete(c.m, d)
		ok = false
	}
	return ok, c.gen
}

// add records d as unknown from now, unless a key was created since gen.
func (c *negativeCache) add(d pome.Digest, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || gen != c.gen {
		return
	}
	if len(c.m) >= c.size {
		c.evict(now)
	}
	c.m[d] = now.Add(c.ttl).UnixNano()
}

// evict drops expired entries, then, if the cache is still full, an eighth
// of it, chosen arbitrarily (map order): a flood of distinct keys cycles
// through the cache without growing it.
func (c *negativeCache) evict(now time.Time) {
	n := now.UnixNano()
	for d, exp := range c.m {
		if n >= exp {
			delete(c.m, d)
		}
	}
	drop := len(c.m) - c.size + c.size/8 + 1
	for d := range c.m {
		if drop <= 0 {
			break
		}
		delete(c.m, d)
		drop--
	}
}

func (c *negativeCache) forget(d pome.Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, d)
}

func (c *negativeCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// SetNegativeCache sets how long a well-formed key the store does not know is
// answered invalid_api_key without reading the store again, and how many such
// keys are remembered at most. A ttl or size of 0 turns the cache off. Call it
// before the Verifier is used; NewVerifier starts with DefaultNegativeTTL and
// DefaultNegativeSize.
func (v *Verifier) SetNegativeCache(ttl time.Duration, size int) {
	v.negative.configure(ttl, size)
}

// ForgetUnknown drops d from the negative cache: a key with this digest has
// just been created, and must work on its very first request.
func (v *Verifier) ForgetUnknown(d pome.Digest) { v.negative.forget(d) }

// VerifyGated is Verify, except that when the answer needs the store (the key
// is well-formed and in neither cache) it first calls gate, and answers
// gate's error without reading the store if gate fails. The HTTP layer uses
// it to charge a caller's failure budget only for what costs a store read.
//
// keyID is the id of the key whenever it is known, also when its status
// refuses it and the owner is empty (revoked, expired, team banned): the
// Gate counts that refusal in the key's usage by outcome, while every
// surface still answers as for a key it may tell nothing of
// (TestSurfacesAgree). It does not allocate (TestAuthorizeAllocs).
func (v *Verifier) VerifyGated(ctx context.Context, candidate string, gate func() error) (o pome.KeyOwner, keyID string, err error) {
	return v.verify(ctx, candidate, gate)
}
