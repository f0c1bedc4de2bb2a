package ratelimit_test

import (
	"maps"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/ratelimit"
)

// A counted limiter answers as the limiter it wraps, and counts each
// refusal under its rule's name; what it allows, and refunds, count
// nothing.
func TestCountedRefusals(t *testing.T) {
	t.Parallel()
	c := ratelimit.Count(ratelimit.NewMemory(time.Now, 0))
	one := ratelimit.Rule{Name: "one", Limit: 1, Period: time.Minute}
	two := ratelimit.Rule{Name: "two", Limit: 2, Period: time.Minute}
	allowed := 0
	for range 4 {
		for _, r := range []ratelimit.Rule{one, two} {
			d, err := c.Allow(t.Context(), "k", r)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			}
		}
	}
	if err := c.Refund(t.Context(), "k", one); err != nil {
		t.Fatal(err)
	}
	if want := map[string]uint64{"one": 3, "two": 2}; allowed != 3 || !maps.Equal(c.Refusals(), want) {
		t.Errorf("allowed %d, refusals %v; want 3 and %v", allowed, c.Refusals(), want)
	}
}
