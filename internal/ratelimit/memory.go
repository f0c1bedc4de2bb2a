package ratelimit

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys bounds how many counters a Memory keeps by default. A
// counter is about 200 bytes: 100,000 of them are some 20 MiB.
const DefaultMaxKeys = 100_000

// minSweep is the size below which a Memory never sweeps.
const minSweep = 1024

// Memory is a Limiter that keeps its counters in this process: the limiter of
// a single-node deployment. Each (rule, key) has its own token bucket from
// golang.org/x/time/rate, driven by an injected clock.
//
// Memory stays bounded. A bucket that has refilled completely is the same as
// no bucket, so such idle buckets are dropped whenever the map has doubled
// since the last sweep; if it is still at maxKeys after that, arbitrary
// buckets are dropped too (their keys start again with a full quota) rather
// than growing without end under a flood of distinct keys.
type Memory struct {
	now     func() time.Time
	maxKeys int

	mu        sync.RWMutex
	buckets   map[bucketKey]*rate.Limiter
	nextSweep int
}

// bucketKey is comparable and built without allocating: looking a bucket up
// costs no garbage (TestMemoryAllowAllocs).
type bucketKey struct {
	name   string
	limit  int
	period time.Duration
	key    string
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns a Memory that reads time from now (time.Now if nil) and
// keeps at most maxKeys counters (DefaultMaxKeys if 0 or less).
func NewMemory(now func() time.Time, maxKeys int) *Memory {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Memory{now: now, maxKeys: maxKeys, buckets: make(map[bucketKey]*rate.Limiter), nextSweep: minSweep}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, r Rule) (Decision, error) {
	if r.Unlimited() {
		return Decision{Allowed: true}, nil
	}
	now := m.now()
	b := m.bucket(bucketKey{r.Name, r.Limit, r.Period, key}, r, now)
	ok := b.AllowN(now, 1)
	return decide(b, r, now, ok), nil
}

// Refund implements Limiter.
func (m *Memory) Refund(_ context.Context, key string, r Rule) error {
	if r.Unlimited() {
		return nil
	}
	m.mu.RLock()
	b := m.buckets[bucketKey{r.Name, r.Limit, r.Period, key}]
	m.mu.RUnlock()
	if b == nil {
		return nil // dropped: it is whole again anyway
	}
	// AllowN with -1 puts one token back under the bucket's lock; the
	// bucket caps its tokens at the burst on its next use.
	b.AllowN(m.now(), -1)
	return nil
}

// Len returns how many counters m holds.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.buckets)
}

// bucket returns the bucket of k, creating a full one if there is none.
func (m *Memory) bucket(k bucketKey, r Rule, now time.Time) *rate.Limiter {
	m.mu.RLock()
	b := m.buckets[k]
	m.mu.RUnlock()
	if b != nil {
		return b
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if b = m.buckets[k]; b != nil {
		return b
	}
	if len(m.buckets) >= m.nextSweep {
		m.sweep(now)
	}
	b = rate.NewLimiter(rate.Limit(1/secondsPerUnit(r)), r.Limit)
	k.key = strings.Clone(k.key) // do not pin the request that brought it
	m.buckets[k] = b
	return b
}

// sweep drops the buckets that are whole again, then arbitrary ones if m is
// still full. m.mu is held.
func (m *Memory) sweep(now time.Time) {
	for k, b := range m.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(m.buckets, k)
		}
	}
	if len(m.buckets) >= m.maxKeys {
		over := len(m.buckets) - (m.maxKeys - m.maxKeys/8) // down to 7/8 full
		for k := range m.buckets {
			if over <= 0 {
				break
			}
			delete(m.buckets, k)
			over--
		}
	}
	m.nextSweep = min(max(2*len(m.buckets), minSweep), m.maxKeys)
}

// decide describes b at now, after a call that was allowed or not.
func decide(b *rate.Limiter, r Rule, now time.Time, allowed bool) Decision {
	tokens := b.TokensAt(now)
	perUnit := secondsPerUnit(r)
	d := Decision{
		Allowed:    allowed,
		Limit:      r.Limit,
		Remaining:  min(max(int(math.Floor(tokens)), 0), r.Limit),
		ResetAfter: ceilDuration((float64(r.Limit) - tokens) * perUnit),
	}
	if !allowed {
		d.RetryAfter = max(ceilDuration((1-tokens)*perUnit), time.Nanosecond)
	}
	return d
}

// secondsPerUnit is how long r takes to earn back one unit. It is shortened
// by a part in 10⁹ so that float rounding never leaves a bucket a hair short
// of a unit after exactly Period/Limit (e.g. 7 per minute).
func secondsPerUnit(r Rule) float64 {
	return r.Period.Seconds() / float64(r.Limit) * (1 - 1e-9)
}

// ceilDuration converts seconds to a Duration, rounding up; never negative.
func ceilDuration(seconds float64) time.Duration {
	if seconds <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(seconds * float64(time.Second)))
}
