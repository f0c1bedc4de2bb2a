package meter

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/pomehq/pome"
)

// TestTallySize holds tally to one 64-byte allocation: a node at full load
// keeps one per key of the second (see tally).
func TestTallySize(t *testing.T) {
	if n := unsafe.Sizeof(tally{}); n > 64 {
		t.Errorf("tally is %d bytes, want at most 64", n)
	}
}

// TestTallyRoundTrip: a delta that failed to flush, merged back into an
// empty tally, is the same delta again; merged into a tally with counts,
// the counts add and the later uses win.
func TestTallyRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::2")
	var x tally
	x.count(0, at, a)
	x.count(pome.OutcomeRateLimited.Index(), at.Add(2*time.Second), b)
	x.count(0, at.Add(time.Second), b)
	d := x.delta("key_1")
	var want pome.OutcomeCounts
	want[0], want[pome.OutcomeRateLimited.Index()] = 2, 1
	if d.KeyID != "key_1" || d.Outcomes != want || !d.At.Equal(at.Add(2*time.Second)) ||
		!d.LastUsed.Equal(at.Add(time.Second)) || d.LastIP != b || x.total() != 3 {
		t.Fatalf("delta = %+v (total %d)", d, x.total())
	}
	var y tally
	y.merge(&d)
	if got := y.delta("key_1"); got != d {
		t.Errorf("merged into an empty tally: %+v, want %+v", got, d)
	}
	y.count(0, at.Add(3*time.Second), a)
	y.merge(&d)
	got := y.delta("key_1")
	want[0], want[pome.OutcomeRateLimited.Index()] = 5, 2
	if got.Outcomes != want || !got.LastUsed.Equal(at.Add(3*time.Second)) || got.LastIP != a {
		t.Errorf("merged into a tally with counts: %+v", got)
	}
	var refusals tally
	refusals.count(pome.OutcomeRevoked.Index(), at, a)
	if d := refusals.delta("key_2"); !d.LastUsed.IsZero() || d.LastIP.IsValid() || d.Outcomes.Total() != 1 {
		t.Errorf("refusals only: %+v", d)
	}
}
