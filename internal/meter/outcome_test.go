package meter_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/meter"
)

// deltaStore is a real store that keeps a copy of what each AddUsage was
// given, and fails while failing is set.
type deltaStore struct {
	pome.Store
	mu      sync.Mutex
	failing bool
	written []pome.UsageDelta
}

func (s *deltaStore) AddUsage(ctx context.Context, d []pome.UsageDelta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		return pome.ErrUnavailable
	}
	s.written = append(s.written, d...)
	return s.Store.AddUsage(ctx, d)
}

// Record counts every outcome of a key; the flush's delta holds them by
// outcome, its At is the latest verification of any outcome, and LastUsed
// and LastIP are the latest valid one's, even when a later refusal came
// from another address. A failed flush merges back whole: counts added,
// the latest of each time kept with its address.
func TestRecordOutcomes(t *testing.T) {
	t.Parallel()
	db, ids := seed(t, 1)
	s := &deltaStore{Store: db, failing: true}
	m := meter.New(s)
	a, b, c := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("198.51.100.3")
	m.Record(ids[0], pome.OutcomeValid, t0, a)
	m.Record(ids[0], pome.OutcomeValid, t0.Add(2*time.Second), b)
	m.Record(ids[0], pome.OutcomeValid, t0.Add(time.Second), c) // older: last_used_ip stays b
	m.Record(ids[0], pome.OutcomeRateLimited, t0.Add(3*time.Second), c)
	m.Record(ids[0], pome.OutcomeRevoked, t0.Add(time.Second), c)
	m.Record(ids[0], pome.Outcome("no such outcome"), t0.Add(time.Hour), c) // counts nothing
	if err := m.Flush(t.Context()); !errors.Is(err, pome.ErrUnavailable) {
		t.Fatalf("Flush() on a failing store = %v, want unavailable", err)
	}
	m.Record(ids[0], pome.OutcomeRateLimited, t0.Add(4*time.Second), a)
	s.mu.Lock()
	s.failing = false
	s.mu.Unlock()
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var want pome.OutcomeCounts
	want[pome.OutcomeValid.Index()] = 3
	want[pome.OutcomeRateLimited.Index()] = 2
	want[pome.OutcomeRevoked.Index()] = 1
	if len(s.written) != 1 {
		t.Fatalf("flushed %d deltas, want 1", len(s.written))
	}
	d := s.written[0]
	if d.KeyID != ids[0] || d.Outcomes != want || !d.At.Equal(t0.Add(4*time.Second)) ||
		!d.LastUsed.Equal(t0.Add(2*time.Second)) || d.LastIP != b {
		t.Errorf("delta = %+v, want outcomes %v, at %v, last used %v from %v", d, want, t0.Add(4*time.Second), t0.Add(2*time.Second), b)
	}
	k := usage(t, db, teamOf(t, db), ids[0])
	if k.UsageCount != 3 {
		t.Errorf("usage_count = %d, want the valid count 3", k.UsageCount)
	}

	// A key refused only since the last flush: counts, no last use.
	m.Record(ids[0], pome.OutcomeDisabled, t0.Add(5*time.Second), a)
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := s.written[1]; !d.LastUsed.IsZero() || d.LastIP.IsValid() || d.Outcomes.Of(pome.OutcomeDisabled) != 1 || d.Outcomes.Total() != 1 {
		t.Errorf("delta of a refusal only = %+v, want one disabled and no last use", d)
	}
}
