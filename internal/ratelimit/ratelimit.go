// Package ratelimit limits how often one caller may do one thing: the
// Limiter interface (shared by the in-memory implementation here and the
// Redis one of a multi-node deployment), the rules of docs/api.md, and the
// rate-limit headers of a limited response.
//
// Every limit is a token bucket whose capacity is the rule's Limit and which
// refills at Limit per Period: the same admission as GCRA. A caller who has
// used nothing for a Period may send Limit requests at once; after that, one
// more every Period/Limit.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/pomehq/pome"
)

// Rule is one limit: at most Limit units per Period, per key.
type Rule struct {
	// Name identifies the policy in the RateLimit-Policy and RateLimit
	// headers ("create_key", "pro", ...) and separates the counters of rules
	// that share keys. Printable ASCII.
	Name   string
	Limit  int // 0 or less: unlimited
	Period time.Duration
}

// Unlimited reports whether r limits nothing.
func (r Rule) Unlimited() bool { return r.Limit <= 0 || r.Period <= 0 }

// Decision is a Limiter's answer for one key under one rule.
type Decision struct {
	Allowed bool
	// Limit and Remaining are the quota and the whole units left in it after
	// this decision. Both are 0 for an unlimited rule.
	Limit, Remaining int
	// ResetAfter is how long until the quota is whole again.
	ResetAfter time.Duration
	// RetryAfter is how long until the next unit is available; 0 when
	// Allowed.
	RetryAfter time.Duration
}

// Limiter counts units per (rule, key). Implementations are safe for
// concurrent use, and parallel calls never admit more than the rule allows.
// An unlimited rule is always allowed and touches no state.
//
// A Limiter error means the counters cannot be reached (Redis down); callers
// answer 503 rather than let requests through unlimited.
type Limiter interface {
	// Allow takes one unit from key's quota under r, if one is left.
	Allow(ctx context.Context, key string, r Rule) (Decision, error)
	// Refund gives back one unit that Allow took, for an attempt that turned
	// out not to count (a login that succeeded). The quota never grows past
	// r.Limit.
	Refund(ctx context.Context, key string, r Rule) error
}

// Unavailable is the answer when a Limiter's counters cannot be reached: the
// request is refused (fail closed) rather than let through unlimited.
func Unavailable(err error) error {
	return pome.ErrUnavailable.WithCause(fmt.Errorf("ratelimit: %w", err))
}
