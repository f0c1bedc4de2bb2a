package apikey

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// A flood of distinct unknown keys never grows the cache past its size.
func TestNegativeCacheBounded(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// blockingStore answers KeyByDigest with owner once release is closed, after
// signalling started: a store read in flight.
type blockingStore struct {
	pome.Store
	owner   pome.KeyOwner
	started chan struct{}
	release chan struct{}
	reads   atomic.Int32
}

func (s *blockingStore) KeyByDigest(context.Context, pome.Digest) (pome.KeyOwner, error) {
	if s.reads.Add(1) == 1 {
		close(s.started)
		<-s.release
	}
	return s.owner, nil
}

// A store read that began before an invalidation is not cached after it: a
// request in flight while a key is revoked cannot put the old answer back.
func TestInvalidationDuringStoreRead(t *testing.T) {
	t.Parallel()
	key, _ := pome.DefaultKeyFormat.Generate()
	d := pome.DigestOf(key)
	owner := pome.KeyOwner{
		Key:  pome.Key{ID: "key_1", TeamID: "tm_1", CreatedBy: "usr_1", Prefix: key[:12], Digest: d, Role: pome.RoleOwner},
		Team: pome.Team{ID: "tm_1", PlanTier: pome.PlanFree, Status: pome.TeamActive}, User: pome.User{ID: "usr_1"},
		CreatorRole: pome.RoleOwner,
	}
	s := &blockingStore{owner: owner, started: make(chan struct{}), release: make(chan struct{})}
	v := NewVerifier(s, pome.DefaultKeyFormat, time.Minute, time.Now)
	done := make(chan error)
	go func() {
		_, err := v.Verify(t.Context(), key)
		done <- err
	}()
	<-s.started
	v.ForgetKeyID("key_1") // the key is revoked meanwhile
	close(s.release)
	if err := <-done; err != nil {
		t.Fatalf("Verify(read before the revocation) = %v, want the answer read", err)
	}
	if _, err := v.Verify(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	if n := s.reads.Load(); n != 2 {
		t.Fatalf("store reads = %d, want 2: the read that raced the invalidation must not be cached", n)
	}
	if _, err := v.Verify(t.Context(), key); err != nil || s.reads.Load() != 2 {
		t.Fatalf("Verify after a clean read = %v with %d reads, want it cached (2 reads)", err, s.reads.Load())
	}
}
