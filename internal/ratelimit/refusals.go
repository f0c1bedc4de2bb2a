package ratelimit

import (
	"context"
	"maps"
	"sync"
)

// Counted is a Limiter that counts the requests it refuses, by rule name,
// for /metrics (pome_ratelimit_refusals_total{rule}): an operator sees
// which limit refuses how much without a query. An allowed request costs
// nothing more than the call: the counting is on the refusal's path only
// (TestAuthorizeAllocs).
type Counted struct {
	Limiter
	mu      sync.Mutex
	refused map[string]uint64 // rule name: refusals; the names are the configured rules'
}

// Count returns l counting its refusals.
func Count(l Limiter) *Counted { return &Counted{Limiter: l, refused: make(map[string]uint64)} }

// Allow is l's, counting a refusal under r.Name.
func (c *Counted) Allow(ctx context.Context, key string, r Rule) (Decision, error) {
	d, err := c.Limiter.Allow(ctx, key, r)
	if err == nil && !d.Allowed {
		c.mu.Lock()
		c.refused[r.Name]++
		c.mu.Unlock()
	}
	return d, err
}

// Refusals returns how many requests each rule has refused so far; a rule
// that has refused none is absent.
func (c *Counted) Refusals() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.refused)
}
