package apikey_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

// followEvery is the poll interval of the Follow tests. They run in a
// testing/synctest bubble, where it passes in no real time.
const followEvery = time.Second

// startFollow runs v.Follow every interval, in the synctest bubble of t,
// until stop is called or the test ends, and returns once the first read of
// the change log is done. v must be made outside the bubble: its cache
// (otter) starts a goroutine that lives as long as the cache, and a bubble
// ends only when all of its goroutines have. Its store stays the real
// SQLite (pure Go, no goroutine of its own between calls): synctest.Wait
// returns only once Follow is back waiting for its ticker.
func startFollow(t *testing.T, v *apikey.Verifier, interval time.Duration) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		v.Follow(ctx, interval, nil)
		close(done)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	synctest.Wait() // Follow is waiting for its ticker: the first read is done
	return stop
}

// elapse lets d of the bubble's fake time pass, and returns once every
// goroutine of the bubble is waiting again (Follow done with the polls due).
func elapse(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// Follow reads the change log every interval, and only then: a key revoked
// elsewhere is answered from the cache until the next poll, and refused from
// it on, at every interval, not only the first. A Follow that read the log
// once, or stopped polling, fails the second change; one that did not wait
// for the ticker fails the "still cached" checks.
func TestFollowPollsEveryInterval(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	keys := []apikey.Created{f.mustCreate(t, m, apikey.CreateParams{}), f.mustCreate(t, m, apikey.CreateParams{})}
	synctest.Test(t, func(t *testing.T) {
		startFollow(t, f.verifier, followEvery)
		for _, k := range keys {
			if _, err := f.verifier.Verify(t.Context(), k.Plaintext); err != nil {
				t.Fatalf("Verify(new key) = %v, want nil", err)
			}
		}
		for i, k := range keys {
			elapse(followEvery / 2) // revoked half an interval after a poll
			if _, err := f.store.RevokeKey(t.Context(), m.Team.ID, k.Key.ID, f.clock.Now(), pometest.Event(pome.AuditKeyRevoked)); err != nil {
				t.Fatal(err)
			}
			elapse(followEvery/2 - time.Nanosecond)
			if _, err := f.verifier.Verify(t.Context(), k.Plaintext); err != nil {
				t.Fatalf("key %d: Verify 1ns before the poll after its revocation elsewhere = %v, want nil (cached)", i, err)
			}
			elapse(time.Nanosecond)
			if _, err := f.verifier.Verify(t.Context(), k.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
				t.Fatalf("key %d: Verify at the poll after its revocation elsewhere = %v, want key_revoked", i, err)
			}
		}
	})
}

// flakyStore is a store that can be made unreachable, as when this node
// loses the database: the verifier's reads (the change log, keys by digest)
// and its audit writes answer Unavailable. It counts the attempts to read
// the change log and to write the audit log.
type flakyStore struct {
	*sqlite.DB
	mu      sync.Mutex
	failing bool
	reads   int // calls of LastChange and Changes
	audits  int // calls of AppendAudit
}

func (s *flakyStore) fail(on bool) {
	s.mu.Lock()
	s.failing = on
	s.mu.Unlock()
}

func (s *flakyStore) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *flakyStore) auditAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.audits
}

// call counts a call in n (nil: none) and reports whether it fails.
func (s *flakyStore) call(n *int) (failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n != nil {
		*n++
	}
	return s.failing
}

func (s *flakyStore) LastChange(ctx context.Context) (int64, error) {
	if s.call(&s.reads) {
		return 0, pome.ErrUnavailable
	}
	return s.DB.LastChange(ctx)
}

func (s *flakyStore) Changes(ctx context.Context, after int64, limit int) ([]pome.Change, error) {
	if s.call(&s.reads) {
		return nil, pome.ErrUnavailable
	}
	return s.DB.Changes(ctx, after, limit)
}

func (s *flakyStore) KeyByDigest(ctx context.Context, d pome.Digest) (pome.KeyOwner, error) {
	if s.call(nil) {
		return pome.KeyOwner{}, pome.ErrUnavailable
	}
	return s.DB.KeyByDigest(ctx, d)
}

func (s *flakyStore) AppendAudit(ctx context.Context, ev pome.AuditEvent) error {
	if s.call(&s.audits) {
		return pome.ErrUnavailable
	}
	return s.DB.AppendAudit(ctx, ev)
}

// While the change log cannot be read, Follow keeps trying once an interval
// (neither giving up nor spinning) and marks nothing as followed; the first
// read that works applies what was missed, within one interval of the
// database coming back.
func TestFollowRetriesUnreadableLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	store := &flakyStore{DB: f.store}
	v := apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Minute, f.clock.Now)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	if _, err := v.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatalf("Verify(new key) = %v, want nil", err)
	}
	store.fail(true)
	synctest.Test(t, func(t *testing.T) {
		startFollow(t, v, followEvery)
		if _, err := f.store.RevokeKey(t.Context(), m.Team.ID, c.Key.ID, f.clock.Now(), pometest.Event(pome.AuditKeyRevoked)); err != nil {
			t.Fatal(err)
		}
		elapse(3 * followEvery)
		if n := store.attempts(); n != 1+3 { // the first read, then one an interval
			t.Errorf("reads of an unreadable change log in 3 intervals = %d, want 4 (the first, then one an interval)", n)
		}
		if !v.FollowedAt().Equal(time.Unix(0, 0).UTC()) {
			t.Errorf("FollowedAt with the log unreadable = %v, want never", v.FollowedAt())
		}
		if _, err := v.Verify(t.Context(), c.Plaintext); err != nil {
			t.Fatalf("Verify while the log is unreadable = %v, want nil (cached, the ttl bounds it)", err)
		}
		store.fail(false)
		elapse(followEvery)
		if _, err := v.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
			t.Fatalf("Verify one poll after the log is readable again = %v, want key_revoked", err)
		}
		if !v.FollowedAt().Equal(f.clock.Now()) {
			t.Errorf("FollowedAt after a good read = %v, want %v", v.FollowedAt(), f.clock.Now())
		}
	})
}

// notifyingStore is a store that announces change-log entries, as the
// PostgreSQL store does with LISTEN/NOTIFY: the test hands each signal out
// and fires it, and is told when each read of the log is done.
type notifyingStore struct {
	*sqlite.DB
	asked chan chan struct{}
	read  chan struct{}
}

func (s *notifyingStore) ChangeSignal() <-chan struct{} {
	ch := make(chan struct{})
	s.asked <- ch
	return ch
}

func (s *notifyingStore) Changes(ctx context.Context, after int64, limit int) ([]pome.Change, error) {
	cs, err := s.DB.Changes(ctx, after, limit)
	select {
	case s.read <- struct{}{}:
	case <-ctx.Done():
	}
	return cs, err
}

// With a signal of the store's notifications, a change made elsewhere applies as soon as it
// is signalled, not at the next poll: the poll interval here is an hour.
func TestFollowWakesOnChangeSignal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	store := &notifyingStore{DB: f.store, asked: make(chan chan struct{}), read: make(chan struct{})}
	v := apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Hour, f.clock.Now)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		v.Follow(ctx, time.Hour, store.ChangeSignal)
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("Follow: no %s within 5s", what)
		}
	}
	next := func() chan struct{} {
		t.Helper()
		select {
		case ch := <-store.asked:
			return ch
		case <-time.After(5 * time.Second):
			t.Fatal("Follow did not ask for a change signal within 5s")
			return nil
		}
	}

	// Follow asks for the signal, then reads the log and applies what it
	// found, then waits.
	signal := next()
	wait("first read", store.read)
	if _, err := v.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatalf("Verify(new key) = %v, want nil", err)
	}
	// Revoked straight on the database, as another node does: this
	// verifier's cache does not know yet.
	if _, err := f.store.RevokeKey(t.Context(), m.Team.ID, c.Key.ID, f.clock.Now(), pometest.Event(pome.AuditKeyRevoked)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatalf("Verify(cached key) before the signal = %v, want nil (still cached)", err)
	}
	close(signal)
	signal = next()
	wait("read after the signal", store.read)
	// Once Follow asks again, what that read found has been applied.
	close(signal)
	next()
	if _, err := v.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
		t.Fatalf("Verify(revoked elsewhere) after the signal = %v, want key_revoked", err)
	}
}
