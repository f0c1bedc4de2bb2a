package ratelimit_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome/internal/ratelimit"
)

var create = ratelimit.Rule{Name: "create_key", Limit: 10, Period: time.Minute}

// clock is a fake clock that moves only when told. (pometest has one too; this
// package's tests stay clear of the whole harness.)
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newMemory(t *testing.T) (*ratelimit.Memory, *clock) {
	t.Helper()
	c := newClock()
	return ratelimit.NewMemory(c.Now, 0), c
}

func mustAllow(t *testing.T, l ratelimit.Limiter, key string, r ratelimit.Rule) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(t.Context(), key, r)
	if err != nil {
		t.Fatalf("Allow(%q, %s) = %v", key, r.Name, err)
	}
	return d
}

// A fresh key gets exactly Limit units, then is refused with how long to
// wait; a whole Period later it has its whole quota again.
func TestMemoryExactCountAndReset(t *testing.T) {
	t.Parallel()
	for _, r := range []ratelimit.Rule{
		create,
		{Name: "list_keys", Limit: 100, Period: time.Minute},
		{Name: "login_ip", Limit: 10, Period: 15 * time.Minute},
		{Name: "signup_ip", Limit: 60, Period: time.Hour},
		{Name: "odd", Limit: 7, Period: time.Minute},
	} {
		t.Run(r.Name, func(t *testing.T) {
			m, clock := newMemory(t)
			for round := range 2 {
				for i := range r.Limit {
					d := mustAllow(t, m, "usr_1", r)
					if !d.Allowed || d.Remaining != r.Limit-1-i || d.Limit != r.Limit {
						t.Fatalf("round %d: Allow #%d = %+v, want allowed, remaining %d", round, i+1, d, r.Limit-1-i)
					}
				}
				d := mustAllow(t, m, "usr_1", r)
				perUnit := r.Period / time.Duration(r.Limit)
				if d.Allowed || d.Remaining != 0 {
					t.Fatalf("round %d: Allow #%d = %+v, want refused", round, r.Limit+1, d)
				}
				if d.RetryAfter < perUnit-time.Millisecond || d.RetryAfter > perUnit+time.Millisecond {
					t.Errorf("round %d: RetryAfter = %v, want %v", round, d.RetryAfter, perUnit)
				}
				if d.ResetAfter < r.Period-time.Millisecond || d.ResetAfter > r.Period+time.Millisecond {
					t.Errorf("round %d: ResetAfter = %v, want %v", round, d.ResetAfter, r.Period)
				}
				clock.Advance(r.Period)
			}
		})
	}
}

// The quota refills steadily: waiting RetryAfter after a refusal buys one
// unit, and waiting a little less buys none.
func TestMemoryRefillOneUnit(t *testing.T) {
	t.Parallel()
	m, clock := newMemory(t)
	odd := ratelimit.Rule{Name: "odd", Limit: 7, Period: time.Minute}
	for range odd.Limit {
		mustAllow(t, m, "k", odd)
	}
	for i := range 3 {
		d := mustAllow(t, m, "k", odd)
		if d.Allowed {
			t.Fatalf("step %d: Allow = %+v, want refused", i, d)
		}
		clock.Advance(d.RetryAfter - time.Millisecond)
		if d := mustAllow(t, m, "k", odd); d.Allowed {
			t.Fatalf("step %d: Allow 1ms before RetryAfter = %+v, want refused", i, d)
		}
		clock.Advance(time.Millisecond)
		if d := mustAllow(t, m, "k", odd); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("step %d: Allow at RetryAfter = %+v, want allowed with 0 left", i, d)
		}
	}
}

// 50 parallel calls against a limit of 10 admit exactly 10.
func TestMemoryParallelNeverOvershoots(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		m, _ := newMemory(t)
		var admitted atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 50 {
			wg.Go(func() {
				<-start
				if mustAllow(t, m, "usr_1", create).Allowed {
					admitted.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if got := admitted.Load(); got != int32(create.Limit) {
			t.Fatalf("round %d: %d of 50 parallel calls admitted, want %d", round, got, create.Limit)
		}
	}
}

// A limiter made as production makes it (no injected clock: time.Now)
// refills on the passing of real time: a refused caller is let in again
// RetryAfter later and not a nanosecond sooner, and has its whole quota
// again a Period after its last request. The synctest bubble's fake clock
// makes the waits exact and free. A limiter that read a clock of its own,
// or refilled per call instead of per elapsed time, fails it.
func TestMemoryWindowRefillsInTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m := ratelimit.NewMemory(nil, 0)
		for i := range create.Limit {
			if d := mustAllow(t, m, "usr_1", create); !d.Allowed {
				t.Fatalf("Allow #%d = %+v, want allowed", i+1, d)
			}
		}
		d := mustAllow(t, m, "usr_1", create)
		if d.Allowed {
			t.Fatalf("Allow #%d = %+v, want refused", create.Limit+1, d)
		}
		time.Sleep(d.RetryAfter - time.Nanosecond)
		if d := mustAllow(t, m, "usr_1", create); d.Allowed {
			t.Fatalf("Allow 1ns before RetryAfter = %+v, want refused", d)
		}
		time.Sleep(time.Nanosecond)
		if d := mustAllow(t, m, "usr_1", create); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("Allow at RetryAfter = %+v, want allowed with 0 left", d)
		}
		time.Sleep(create.Period)
		for i := range create.Limit {
			if d := mustAllow(t, m, "usr_1", create); !d.Allowed || d.Remaining != create.Limit-1-i {
				t.Fatalf("a Period later: Allow #%d = %+v, want allowed, remaining %d", i+1, d, create.Limit-1-i)
			}
		}
		if d := mustAllow(t, m, "usr_1", create); d.Allowed {
			t.Fatalf("a Period later: Allow #%d = %+v, want refused", create.Limit+1, d)
		}
	})
}

// Keys and rules count apart.
func TestMemoryKeysAndRulesApart(t *testing.T) {
	t.Parallel()
	m, _ := newMemory(t)
	one := ratelimit.Rule{Name: "a", Limit: 1, Period: time.Minute}
	other := ratelimit.Rule{Name: "b", Limit: 1, Period: time.Minute}
	for _, c := range []struct {
		key  string
		rule ratelimit.Rule
		want bool
	}{
		{"k1", one, true}, {"k1", one, false}, {"k2", one, true}, {"k1", other, true}, {"k1", other, false},
	} {
		if d := mustAllow(t, m, c.key, c.rule); d.Allowed != c.want {
			t.Errorf("Allow(%s, %s).Allowed = %v, want %v", c.key, c.rule.Name, d.Allowed, c.want)
		}
	}
}

// An unlimited rule allows everything and keeps no counter.
func TestMemoryUnlimited(t *testing.T) {
	t.Parallel()
	m, _ := newMemory(t)
	for _, r := range []ratelimit.Rule{{Name: "free"}, {Name: "zero", Limit: 0, Period: time.Minute}, {Name: "neg", Limit: -1, Period: time.Minute}} {
		for range 1000 {
			if d := mustAllow(t, m, "k", r); !d.Allowed || d.Limit != 0 {
				t.Fatalf("Allow(unlimited %s) = %+v, want allowed, limit 0", r.Name, d)
			}
		}
	}
	if n := m.Len(); n != 0 {
		t.Errorf("Len() after unlimited calls = %d, want 0", n)
	}
}

// Refund gives back exactly the unit taken, and never more than the quota.
func TestMemoryRefund(t *testing.T) {
	t.Parallel()
	m, clock := newMemory(t)
	r := ratelimit.Rule{Name: "login_email", Limit: 3, Period: time.Minute}
	ctx := t.Context()
	if err := m.Refund(ctx, "never-seen", r); err != nil {
		t.Fatalf("Refund(unknown) = %v", err)
	}
	for range 3 {
		mustAllow(t, m, "k", r)
	}
	if err := m.Refund(ctx, "k", r); err != nil {
		t.Fatalf("Refund = %v", err)
	}
	if d := mustAllow(t, m, "k", r); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("Allow after Refund = %+v, want allowed with 0 left", d)
	}
	if d := mustAllow(t, m, "k", r); d.Allowed {
		t.Fatalf("second Allow after one Refund = %+v, want refused", d)
	}
	// Refunds on a whole quota do not raise it past the limit.
	clock.Advance(time.Hour)
	for range 5 {
		m.Refund(ctx, "k", r)
	}
	for i := range 4 {
		d := mustAllow(t, m, "k", r)
		if want := i < 3; d.Allowed != want {
			t.Fatalf("Allow #%d after refunds on a whole quota = %+v, want allowed %v", i+1, d, want)
		}
	}
}

// A flood of distinct keys does not grow the limiter past its bound, and
// buckets that refilled are dropped first.
func TestMemoryBounded(t *testing.T) {
	t.Parallel()
	clock := newClock()
	const maxKeys = 5000
	m := ratelimit.NewMemory(clock.Now, maxKeys)
	for i := range 50_000 {
		mustAllow(t, m, fmt.Sprint("ip-", i), create)
		if n := m.Len(); n > maxKeys {
			t.Fatalf("Len() after %d keys = %d, want at most %d", i+1, n, maxKeys)
		}
	}
	// A minute later every bucket is whole again: the next sweep drops all.
	clock.Advance(time.Minute)
	for i := range 3000 {
		mustAllow(t, m, fmt.Sprint("late-", i), create)
	}
	if n := m.Len(); n > 3000+1 {
		t.Errorf("Len() after idle buckets swept = %d, want about 3000", n)
	}
}

// The headers of docs/api.md, in the IETF draft's structured-field syntax, and
// Retry-After only on a refusal.
func TestSetHeaders(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		rule ratelimit.Rule
		d    ratelimit.Decision
		want map[string]string
	}{
		{"allowed", create, ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 7, ResetAfter: 18 * time.Second},
			map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "18",
				"RateLimit-Policy": `"create_key";q=10;w=60`, "RateLimit": `"create_key";r=7;t=18`, "Retry-After": ""}},
		{"refused", create, ratelimit.Decision{Limit: 10, ResetAfter: 59*time.Second + time.Millisecond, RetryAfter: 5*time.Second + 1},
			map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60",
				"RateLimit-Policy": `"create_key";q=10;w=60`, "RateLimit": `"create_key";r=0;t=60`, "Retry-After": "6"}},
		{"refused, sub-second wait", ratelimit.Rule{Name: `we"ird\ é`, Limit: 6000, Period: time.Minute},
			ratelimit.Decision{Limit: 6000, ResetAfter: time.Millisecond, RetryAfter: time.Millisecond},
			map[string]string{"RateLimit-Policy": `"we\"ird\\ __";q=6000;w=60`, "RateLimit": `"we\"ird\\ __";r=0;t=1`, "Retry-After": "1"}},
		{"unlimited", ratelimit.Rule{Name: "free"}, ratelimit.Decision{Allowed: true},
			map[string]string{"X-RateLimit-Limit": "", "RateLimit": "", "RateLimit-Policy": ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			ratelimit.SetHeaders(h, c.rule, c.d)
			for k, want := range c.want {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// Writing the headers costs one allocation.
func TestSetHeadersAllocs(t *testing.T) {
	d := ratelimit.Decision{Limit: 10, Remaining: 3, ResetAfter: time.Second, RetryAfter: time.Second}
	h := http.Header{}
	ratelimit.SetHeaders(h, create, d)
	if n := testing.AllocsPerRun(100, func() { ratelimit.SetHeaders(h, create, d) }); n > 1 {
		t.Errorf("SetHeaders allocs = %v, want at most 1", n)
	}
}

// Allow on an existing bucket allocates nothing.
func TestMemoryAllowAllocs(t *testing.T) {
	m, _ := newMemory(t)
	big := ratelimit.Rule{Name: "pro", Limit: 1 << 30, Period: time.Minute}
	key := string([]byte("key_0123456789abcdef"))
	mustAllow(t, m, key, big)
	ctx := t.Context()
	if n := testing.AllocsPerRun(100, func() { m.Allow(ctx, key, big) }); n != 0 {
		t.Errorf("Allow allocs = %v, want 0", n)
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := ratelimit.NewMemory(nil, 0)
	big := ratelimit.Rule{Name: "pro", Limit: 1 << 30, Period: time.Minute}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		m.Allow(ctx, "key_0123456789abcdef", big)
	}
}
