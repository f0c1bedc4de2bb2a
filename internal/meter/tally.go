package meter

import (
	"net/netip"
	"time"

	"github.com/pomehq/pome"
)

// tally is one key's counts since the last flush. A busy node holds one per
// key it saw in the second (about 20,000 at full load with keys cycling), so
// it is kept to one 64-byte allocation, a third of a pome.UsageDelta's:
// valid uses inline, the refusals, which are rare, behind a pointer, and
// times as unix nanoseconds (the peak RSS row of docs/performance.md).
type tally struct {
	valid    int64
	refused  *[len(pome.Outcomes) - 1]int64 // by Outcomes[1:]; nil until the first refusal
	at       int64                          // the latest verification of any outcome
	lastUsed int64                          // the latest valid one (0: none)
	lastIP   netip.Addr                     // the client address of lastUsed
}

// count adds one verification ending with Outcomes[i] (i ≥ 0), at at, from
// from.
func (t *tally) count(i int, at time.Time, from netip.Addr) {
	if i == 0 {
		t.valid++
	} else {
		if t.refused == nil {
			t.refused = new([len(pome.Outcomes) - 1]int64)
		}
		t.refused[i-1]++
	}
	n := at.UnixNano()
	t.at = max(t.at, n)
	if i == 0 && n > t.lastUsed {
		t.lastUsed, t.lastIP = n, from
	}
}

// merge adds d, a delta that failed to flush, to t.
func (t *tally) merge(d *pome.UsageDelta) {
	t.valid += d.Outcomes[0]
	if d.Outcomes.Total() != d.Outcomes[0] {
		if t.refused == nil {
			t.refused = new([len(pome.Outcomes) - 1]int64)
		}
		for i, n := range d.Outcomes[1:] {
			t.refused[i] += n
		}
	}
	t.at = max(t.at, d.At.UnixNano())
	if !d.LastUsed.IsZero() && d.LastUsed.UnixNano() > t.lastUsed {
		t.lastUsed, t.lastIP = d.LastUsed.UnixNano(), d.LastIP
	}
}

// delta is t as the store's record of keyID's counts.
func (t *tally) delta(keyID string) pome.UsageDelta {
	d := pome.UsageDelta{KeyID: keyID, At: time.Unix(0, t.at).UTC(), LastIP: t.lastIP}
	d.Outcomes[0] = t.valid
	if t.refused != nil {
		copy(d.Outcomes[1:], t.refused[:])
	}
	if t.lastUsed != 0 {
		d.LastUsed = time.Unix(0, t.lastUsed).UTC()
	}
	return d
}

// total is how many verifications t counts.
func (t *tally) total() int64 {
	n := t.valid
	if t.refused != nil {
		for _, r := range t.refused {
			n += r
		}
	}
	return n
}
