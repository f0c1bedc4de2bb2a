package node

import (
	"context"
	"errors"
	"sync"
)

// syncSignal is the follower's wake-up signal: the store's own notifications
// (PostgreSQL's NOTIFY; none on SQLite), and Sync's requests, so that Sync
// can wake the follower and tell when a read of the change log that began
// after the call has been applied.
type syncSignal struct {
	store func() <-chan struct{} // the store's signal

	mu      sync.Mutex
	poke    chan struct{} // closed by sync: wakes the follower
	waiters []*waiter
	done    chan struct{}
}

// waiter is a sync call: done after the follower's second read start since.
type waiter struct {
	seen int
	ch   chan struct{}
}

func newSyncSignal(store func() <-chan struct{}) *syncSignal {
	return &syncSignal{store: store, poke: make(chan struct{}), done: make(chan struct{})}
}

// signal is called by the follower before each read of the change log, so
// each call also marks the end of the previous read.
func (s *syncSignal) signal() <-chan struct{} {
	out := make(chan struct{})
	s.mu.Lock()
	pending := false
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		w.seen++
		if w.seen >= 2 {
			close(w.ch)
			continue
		}
		pending = true
		kept = append(kept, w)
	}
	s.waiters = kept
	poke := s.poke
	s.mu.Unlock()
	if pending {
		// A read starts now; once it is done the follower must come back
		// at once, to mark it done.
		close(out)
		return out
	}
	inner := s.store()
	go func() {
		select {
		case <-inner:
		case <-poke:
		case <-s.done:
		}
		close(out)
	}()
	return out
}

func (s *syncSignal) sync(ctx context.Context) error {
	w := &waiter{ch: make(chan struct{})}
	s.mu.Lock()
	s.waiters = append(s.waiters, w)
	close(s.poke)
	s.poke = make(chan struct{})
	s.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errors.New("node: closed")
	}
}

func (s *syncSignal) close() { close(s.done) }
