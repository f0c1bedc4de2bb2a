package apikey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
)

// The timings of the outage tests, as a node has them: keys are read again
// after ttl unless the change log is followed, then after followedTTL.
const (
	ttl         = 30 * time.Second
	followedTTL = 5 * time.Minute
	stale       = 15 * time.Minute
)

// newOutageVerifier is a verifier with the node's timings on a store that
// can be made unreachable, serving cached keys for stale (0: not at all)
// after the change log was last read.
func newOutageVerifier(t *testing.T, f *fixture, stale time.Duration) (*apikey.Verifier, *flakyStore) {
	t.Helper()
	store := &flakyStore{DB: f.store}
	v := apikey.NewVerifier(store, pome.DefaultKeyFormat, ttl, f.clock.Now)
	v.SetFollowedTTL(followedTTL)
	v.SetStaleIfUnavailable(stale)
	return v, store
}

// verifyAs runs Verify and checks its error and the store reads it made.
func verifyAs(t *testing.T, v *apikey.Verifier, key string, wantErr error, wantReads uint64, what string) {
	t.Helper()
	before := v.Stats().StoreReads
	_, err := v.Verify(t.Context(), key)
	if !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
		t.Fatalf("Verify(%s) = %v, want %v", what, err, wantErr)
	}
	if n := v.Stats().StoreReads - before; n != wantReads {
		t.Fatalf("Verify(%s): %d store reads, want %d", what, n, wantReads)
	}
}

// While the store cannot be reached, a cached key keeps working past its
// ttls, for up to the stale bound after the change log was last read, then
// answers 503; a key not cached answers 503 at once, the store being tried
// at most once a second; once the store answers again, both work, read
// afresh. With the bound at 0, a cached key answers 503 at its ttl, as
// before.
func TestStaleIfUnavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		stale time.Duration
	}{{"15m", stale}, {"off", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			v, store := newOutageVerifier(t, f, tc.stale)
			m := f.member(t, nil, pome.RoleOwner)
			cached := f.mustCreate(t, m, apikey.CreateParams{}).Plaintext
			uncached := f.mustCreate(t, m, apikey.CreateParams{}).Plaintext
			synctest.Test(t, func(t *testing.T) {
				startFollow(t, v, followEvery)
				lastRead := v.FollowedAt()
				verifyAs(t, v, cached, nil, 1, "new key")

				store.fail(true)
				elapse(followEvery) // the follower finds the store unreachable
				f.clock.Advance(ttl)
				if tc.stale == 0 {
					verifyAs(t, v, cached, pome.ErrUnavailable, 1, "cached key past its ttl, store unreachable, stale off")
					return
				}
				// Answered from memory: the follower and the keys not
				// cached try the store.
				verifyAs(t, v, cached, nil, 0, "cached key past its ttl, store unreachable")
				verifyAs(t, v, uncached, pome.ErrUnavailable, 1, "uncached key: a probe")
				for range 100 {
					verifyAs(t, v, uncached, pome.ErrUnavailable, 0, "uncached key, within a second of the probe")
				}
				f.clock.Advance(time.Second)
				verifyAs(t, v, uncached, pome.ErrUnavailable, 1, "uncached key, a second after the probe")

				f.clock.Set(lastRead.Add(tc.stale - time.Nanosecond))
				verifyAs(t, v, cached, nil, 0, "cached key, just within the bound")
				f.clock.Set(lastRead.Add(tc.stale))
				verifyAs(t, v, cached, pome.ErrUnavailable, 1, "cached key at the bound: read again, a probe")

				store.fail(false)
				elapse(followEvery) // the follower reads the log again
				verifyAs(t, v, cached, nil, 1, "cached key, store back")
				verifyAs(t, v, uncached, nil, 1, "uncached key, store back")
			})
		})
	}
}

// An outage is logged once when it begins and once when it ends, with its
// length, however many requests and polls of the change log fail in
// between; the polls log nothing of their own.
func TestOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v, store := newOutageVerifier(t, f, stale)
	var log pometest.Log
	v.SetLog(log.Logger())
	m := f.member(t, nil, pome.RoleOwner)
	key := f.mustCreate(t, m, apikey.CreateParams{}).Plaintext
	synctest.Test(t, func(t *testing.T) {
		startFollow(t, v, followEvery)
		for outage := range 2 {
			store.fail(true)
			for range 5 {
				elapse(followEvery)
				f.clock.Advance(time.Second)
				for range 10 {
					v.Verify(t.Context(), mustGenerate(t))
				}
			}
			store.fail(false)
			elapse(followEvery)
			if n := len(log.Records(t, "database unreachable")); n != outage+1 {
				t.Errorf("after outage %d: %d lines saying the database is unreachable, want %d", outage+1, n, outage+1)
			}
			back := log.Records(t, "database reachable again")
			if len(back) != outage+1 {
				t.Fatalf("after outage %d: %d lines saying the database is reachable again, want %d", outage+1, len(back), outage+1)
			}
			if got := back[outage]["outage"]; got != "5s" {
				t.Errorf("outage %d logged as lasting %v, want 5s (the verifier's clock)", outage+1, got)
			}
			if _, err := v.Verify(t.Context(), key); err != nil {
				t.Fatalf("Verify after outage %d = %v", outage+1, err)
			}
		}
		if n := len(log.Records(t, "change log unreadable")); n != 0 {
			t.Errorf("%d lines saying the change log is unreadable, want 0: an unreachable database is logged once", n)
		}
	})
}

// A cached key that expires while the store cannot be reached is refused
// as expired at once: its audit event, a write, waits until the store is
// back, rather than holding each refusal for a write's deadline.
func TestExpiredDuringOutage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v, store := newOutageVerifier(t, f, stale)
	m := f.member(t, nil, pome.RoleOwner)
	start := f.clock.Now()
	f.clock.Set(start.Add(-24*time.Hour + 10*time.Second))
	expiring := f.mustCreate(t, m, apikey.CreateParams{ExpiresInDays: ptr(1)}).Plaintext // at start + 10s
	f.clock.Set(start)
	verifyAs(t, v, expiring, nil, 1, "key expiring in 10s")

	store.fail(true)
	verifyAs(t, v, mustGenerate(t), pome.ErrUnavailable, 1, "uncached key, store unreachable")
	f.clock.Advance(10 * time.Second)
	verifyAs(t, v, expiring, pome.ErrKeyExpired, 0, "expired cached key, store unreachable")
	if n := store.auditAttempts(); n != 0 {
		t.Errorf("audit writes tried while the store is unreachable = %d, want 0", n)
	}

	store.fail(false)
	f.clock.Advance(time.Second)
	verifyAs(t, v, mustGenerate(t), pome.ErrInvalidAPIKey, 1, "unknown key, store back")
	verifyAs(t, v, expiring, pome.ErrKeyExpired, 0, "expired cached key, store back")
	if n := store.auditAttempts(); n != 1 {
		t.Errorf("audit writes once the store is back = %d, want 1 (key.expired)", n)
	}
}

// Serving a cached key while the store cannot be reached, every request of
// the public API during an outage, does not allocate. (Not parallel:
// AllocsPerRun counts the whole process's allocations.)
func TestVerifyStaleAllocs(t *testing.T) {
	f := newFixture(t)
	v, store := newOutageVerifier(t, f, stale)
	key := strings.Clone(f.mustCreate(t, f.member(t, nil, pome.RoleOwner), apikey.CreateParams{}).Plaintext)
	// One complete read of the change log: the bound counts from it.
	ctx, cancel := context.WithCancel(t.Context())
	read, calls := make(chan struct{}), 0
	now := make(chan struct{})
	close(now)
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Follow(ctx, time.Hour, func() <-chan struct{} {
			// Asked before each read: the first is done when asked again,
			// at once; then Follow waits for ctx.
			if calls++; calls == 2 {
				close(read)
				return nil
			}
			return now
		})
	}()
	<-read
	cancel()
	<-done
	verifyAs(t, v, key, nil, 1, "new key")

	store.fail(true)
	f.clock.Advance(followedTTL)
	verifyAs(t, v, key, nil, 1, "cached key past its ttls, store unreachable: the probe")
	if n := testing.AllocsPerRun(100, func() { v.Verify(t.Context(), key) }); n != 0 {
		t.Errorf("Verify(cached key, store unreachable) allocs = %v, want 0", n)
	}
	verifyAs(t, v, key, nil, 0, "cached key, store unreachable, after measuring")
}
