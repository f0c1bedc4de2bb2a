// Package credits spends keys' credits exactly, on any number of nodes,
// without a store write per request (docs/api.md, "Credits").
//
// A node takes a lease on a key's credits: it holds some of them (Held,
// still counted in the key's Remaining) and may spend Armed of those before
// it settles with the store again, in memory. Settling reports what it
// spent, renews the lease and sizes it to the key's recent rate on this
// node: about one store write per key per node per second while the key is
// used, and one more when a burst spends the armed part early. A node that
// dies unannounced has spent at most Armed since it last settled: when its
// lease expires, that much counts as spent (exactness comes first) and the
// rest of Held returns to the key.
package credits

import (
	"time"

	"github.com/pomehq/pome"
)

// request is what one node asks of one key's credits when it settles.
type request struct {
	node string
	// period is the refill period the node's lease belongs to: its spent
	// is dropped if a refill replaced the balance since.
	period time.Time
	// spent is what the node spent since it last settled, out of its
	// armed part.
	spent int64
	// hold and arm are what it wants to hold and arm from now on.
	hold, arm int64
}

// grant is the store's answer to a request.
type grant struct {
	unlimited   bool // the key has no credits
	held, armed int64
	remaining   int64     // the key's Remaining after the settle
	period      time.Time // the refill period of the balance
}

// apply settles st at now: a due refill (which voids every lease: the
// old period's spending no longer counts), the expired leases (their armed
// part counts as spent, the rest returns), then r if not nil: the node's
// spending, and its new lease, within what the other nodes leave free.
// It never lets Remaining go below 0.
func apply(st *pome.CreditState, now time.Time, ttl time.Duration, r *request) grant {
	c := st.Credits
	if c == nil {
		st.Leases = nil
		return grant{unlimited: true}
	}
	if c.Refilled(now) {
		st.Leases = nil
	}
	var own *pome.CreditLease
	live := st.Leases[:0]
	for _, l := range st.Leases {
		if !now.Before(l.ExpiresAt) {
			c.Remaining = max(c.Remaining-l.Armed, 0)
			continue
		}
		live = append(live, l)
	}
	st.Leases = live
	if r == nil {
		return grant{remaining: c.Remaining, period: c.Period}
	}
	others, held := int64(0), int64(0)
	for i := range st.Leases {
		if l := &st.Leases[i]; l.Node == r.node {
			own = l
		} else {
			others += l.Held
		}
	}
	if own != nil && r.period.Equal(c.Period) {
		spent := min(r.spent, own.Armed)
		c.Remaining = max(c.Remaining-spent, 0)
		held = own.Held - spent
	}
	free := c.Remaining - others - held
	g := grant{remaining: c.Remaining, period: c.Period}
	g.held = max(min(r.hold, held+free), 0)
	g.armed = min(r.arm, g.held)
	st.Leases = removeLease(st.Leases, r.node)
	if g.held > 0 {
		st.Leases = append(st.Leases, pome.CreditLease{Node: r.node, Held: g.held, Armed: g.armed, ExpiresAt: now.Add(ttl)})
	}
	return g
}

// removeLease drops node's lease from ls.
func removeLease(ls []pome.CreditLease, node string) []pome.CreditLease {
	out := ls[:0]
	for _, l := range ls {
		if l.Node != node {
			out = append(out, l)
		}
	}
	return out
}
