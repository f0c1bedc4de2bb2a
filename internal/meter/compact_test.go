package meter_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/meter"
)

// callLog is a meter.Store that writes nothing and logs each call, with the
// (fake) time of the call.
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (s *callLog) log(call string) {
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
}

func (s *callLog) AddUsage(_ context.Context, deltas []pome.UsageDelta) error {
	var n int64
	for _, d := range deltas {
		n += d.Outcomes[0]
	}
	s.log(fmt.Sprintf("%s AddUsage(%d)", time.Now().UTC().Format(time.TimeOnly), n))
	return nil
}

func (s *callLog) CompactUsage(_ context.Context, now time.Time) error {
	if !now.Equal(time.Now()) {
		s.log(fmt.Sprintf("CompactUsage at %v, not at the time of the call %v", now, time.Now()))
	}
	s.log(fmt.Sprintf("%s CompactUsage", now.UTC().Format(time.TimeOnly)))
	return nil
}

func (s *callLog) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	return out
}

// Run compacts after each flush, also when there was nothing to flush, and
// not after the last flush of Close.
func TestRunCompactsAfterEachFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &callLog{}
		m := meter.New(store)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			m.Run(ctx, time.Second, 5*time.Second, slog.New(slog.DiscardHandler))
			close(done)
		}()
		m.Record("key_a", pome.OutcomeValid, time.Now(), netip.Addr{})
		m.Record("key_b", pome.OutcomeValid, time.Now(), netip.Addr{})
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := store.take(), []string{"00:00:01 AddUsage(2)", "00:00:01 CompactUsage"}; !slices.Equal(got, want) {
			t.Errorf("store calls of the first tick = %q, want %q", got, want)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := store.take(), []string{"00:00:02 CompactUsage"}; !slices.Equal(got, want) {
			t.Errorf("store calls of an idle tick = %q, want %q", got, want)
		}
		m.Record("key_a", pome.OutcomeValid, time.Now(), netip.Addr{})
		cancel()
		<-done
		if got, want := store.take(), []string{"00:00:02 AddUsage(1)"}; !slices.Equal(got, want) {
			t.Errorf("store calls when Run stops = %q, want %q", got, want)
		}
		if st := m.Stats(); st.Flushes != 2 || st.Compactions != 2 || st.CompactErrors != 0 {
			t.Errorf("Stats() = %+v, want 2 flushes and 2 compactions", st)
		}
	})
}

// downStore fails every write, as a database that went away.
type downStore struct{ callLog }

func (s *downStore) AddUsage(context.Context, []pome.UsageDelta) error {
	s.log("AddUsage")
	return pome.ErrUnavailable
}

func (s *downStore) CompactUsage(context.Context, time.Time) error {
	s.log("CompactUsage")
	return pome.ErrUnavailable
}

// A failed flush is not followed by a compaction; a failed compaction is
// counted, and the flushes go on.
func TestRunCompactionFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &downStore{}
		m := meter.New(store)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			m.Run(ctx, time.Second, time.Second, slog.New(slog.DiscardHandler))
			close(done)
		}()
		m.Record("key_a", pome.OutcomeValid, time.Now(), netip.Addr{})
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := store.take(), []string{"AddUsage"}; !slices.Equal(got, want) {
			t.Errorf("store calls of a tick whose flush failed = %q, want %q", got, want)
		}
		cancel()
		<-done
		if err := m.Compact(t.Context()); err == nil {
			t.Errorf("Compact() on a failing store = nil, want an error")
		}
		// The tick's flush failed, then the final flush's 5 attempts.
		if st := m.Stats(); st.FlushErrors != 1+5 || st.Compactions != 0 || st.CompactErrors != 1 {
			t.Errorf("Stats() = %+v, want 6 failed flushes and 1 failed compaction", st)
		}
	})
}
