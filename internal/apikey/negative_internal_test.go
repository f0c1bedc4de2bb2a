package apikey

import (
	"context"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// A flood of distinct unknown keys never grows the cache past its size.
func TestNegativeCacheBounded(t *testing.T) {
	var c negativeCache
	c.configure(time.Minute, 1000)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		var d pome.Digest
		d[0], d[1] = byte(i), byte(i>>8)
		_, gen := c.lookup(d, now)
		c.add(d, now, gen)
		if n := c.len(); n > 1000 {
			t.Fatalf("len after %d adds = %d, want at most 1000", i+1, n)
		}
	}
}

// A store read that began before a key was created does not record it as
// unknown afterwards.
func TestNegativeCacheGeneration(t *testing.T) {
	var c negativeCache
	c.configure(time.Minute, 10)
	now := time.Now()
	d := pome.Digest{1}
	_, gen := c.lookup(d, now) // a Verify starts its store read...
	c.forget(d)                // ...the key is created on this node...
	c.add(d, now, gen)         // ...and the read, from before, finds nothing.
	if hit, _ := c.lookup(d, now); hit {
		t.Errorf("lookup after a creation raced the read = hit, want miss")
	}
}

// createOnly stores keys and nothing else.
type createOnly struct{ pome.Store }

func (createOnly) CreateKey(context.Context, pome.Key, pome.AuditEvent) error { return nil }

// Service.Create drops the new key's digest from the negative cache.
func TestCreateForgetsUnknown(t *testing.T) {
	v := NewVerifier(createOnly{}, pome.DefaultKeyFormat, time.Minute, time.Now)
	s := New(createOnly{}, pome.DefaultKeyFormat, v, time.Now)
	before := v.negative.gen
	name := "k"
	m := pome.Member{User: pome.User{ID: "usr_1"}, Team: pome.Team{ID: "tm_1"}, Role: pome.RoleOwner}
	if _, err := s.Create(t.Context(), m, CreateParams{Name: &name}); err != nil {
		t.Fatalf("Create = %v", err)
	}
	if v.negative.gen != before+1 {
		t.Errorf("negative cache generation after Create = %d, want %d: Create must call ForgetUnknown", v.negative.gen, before+1)
	}
}
