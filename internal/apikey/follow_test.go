package apikey_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

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
	f := newFixture(t)
	store := &notifyingStore{DB: f.store, asked: make(chan chan struct{}), read: make(chan struct{})}
	v := apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Hour, f.clock.Now)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		v.Follow(ctx, time.Hour, store.ChangeSignal, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
