package pome

import (
	"fmt"
	"slices"
	"time"
)

// Credits are what a key may still spend (docs/api.md, "Credits"): each
// accepted request costs 1, or the cost the verify request names, and a
// key at 0 is refused with ErrQuotaExceeded. A nil *Credits is unlimited.
type Credits struct {
	// Remaining is what the key has left: what its nodes hold and have not
	// reported spent included (CreditState).
	Remaining int64
	// Refill, if not nil, sets Remaining back to its Amount at the start
	// of each of its periods.
	Refill *CreditRefill
	// Period is the start of the refill period Remaining belongs to (the
	// zero time without Refill); Remaining is stale once RefillDue.
	Period time.Time
	// Base is what the key's credits.low threshold is 10 % of (Threshold):
	// the last refill's amount, or the Remaining last set (at creation, by
	// a change), or raised to by an increment above it; a roll's old key
	// has what it keeps. Not in the API: the events name the threshold.
	Base int64
}

// CreditRefill is a key's refill: to Amount (not added to what is left),
// daily at 00:00 UTC or monthly on the 1st at 00:00 UTC.
type CreditRefill struct {
	Interval string // RefillDaily or RefillMonthly
	Amount   int64
}

// The refill intervals.
const (
	RefillDaily   = "daily"
	RefillMonthly = "monthly"
)

// MaxCredits bounds a key's credits, a refill's amount and an increment,
// so that no sum of them overflows.
const MaxCredits = 1 << 50

// CheckCredits checks what a request sets: remaining and the refill's
// amount 0 to MaxCredits, a known interval.
func CheckCredits(c *Credits) error {
	if c.Remaining < 0 || c.Remaining > MaxCredits {
		return fmt.Errorf("credits.remaining must be 0 to %d", int64(MaxCredits))
	}
	if r := c.Refill; r != nil {
		if r.Interval != RefillDaily && r.Interval != RefillMonthly {
			return fmt.Errorf(`credits.refill.interval must be "daily" or "monthly"`)
		}
		if r.Amount < 0 || r.Amount > MaxCredits {
			return fmt.Errorf("credits.refill.amount must be 0 to %d", int64(MaxCredits))
		}
	}
	return nil
}

// PeriodStart is the start of the refill period that holds t.
func (r *CreditRefill) PeriodStart(t time.Time) time.Time {
	t = t.UTC()
	if r.Interval == RefillMonthly {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Next is the start of the refill period after the one that holds t.
func (r *CreditRefill) Next(t time.Time) time.Time {
	s := r.PeriodStart(t)
	if r.Interval == RefillMonthly {
		return s.AddDate(0, 1, 0)
	}
	return s.AddDate(0, 0, 1)
}

// RefillDue reports whether a refill period began after the one Remaining
// belongs to.
func (c *Credits) RefillDue(now time.Time) bool {
	return c.Refill != nil && c.Refill.PeriodStart(now).After(c.Period)
}

// At is what the key has left at now: Remaining, or the refill's amount
// once a refill is due (the store applies it at the key's next use).
func (c *Credits) At(now time.Time) int64 {
	if c.RefillDue(now) {
		return c.Refill.Amount
	}
	return c.Remaining
}

// Refilled applies a due refill at now: Remaining set to the amount, the
// period moved to now's. It reports whether it did.
func (c *Credits) Refilled(now time.Time) bool {
	if !c.RefillDue(now) {
		return false
	}
	c.Remaining = c.Refill.Amount
	c.Base = c.Refill.Amount
	c.Period = c.Refill.PeriodStart(now)
	return true
}

// Clone returns a copy of c (nil for nil) that a change of c leaves as it
// was: what CreditAlerts compares the change with. The refill is shared:
// a change replaces it, never edits it.
func (c *Credits) Clone() *Credits {
	if c == nil {
		return nil
	}
	d := *c
	return &d
}

// Threshold is the balance at or below which a key's credits are low: 10 %
// of Base, rounded down.
func (c *Credits) Threshold() int64 { return c.Base / 10 }

// CreditAlerts returns the audit events of a change, at now, of the credits
// of key keyID of team teamID from before to after, each as of now (a due
// refill made): credits.low when what is left falls from above after's
// Threshold to it or below, credits.exhausted when it falls to 0 (both, low
// first, when one change does both). A balance that stays at or below
// records nothing more, so each is recorded once per crossing, until a
// refill, a set or an increment lifts it above again. A key without
// credits before or after records neither: making a key metered is no
// crossing. The stores append them in the change's transaction; the
// system is their actor, as no request made the crossing more than the
// others that spent before it.
func CreditAlerts(teamID, keyID string, before, after *Credits, now time.Time) []AuditEvent {
	if before == nil || after == nil {
		return nil
	}
	b, a := *before, *after
	b.Refilled(now)
	a.Refilled(now)
	var evs []AuditEvent
	alert := func(action string, details map[string]any) {
		evs = append(evs, AuditEvent{ID: NewID("evt_"), At: now.UTC(), Action: action, Result: ResultSuccess,
			ActorType: ActorSystem}.On(teamID, TargetKey, keyID).With(details))
	}
	if t := a.Threshold(); b.Remaining > t && a.Remaining <= t {
		alert(AuditCreditsLow, map[string]any{"remaining": a.Remaining, "threshold": t})
	}
	if b.Remaining > 0 && a.Remaining == 0 {
		alert(AuditCreditsExhausted, map[string]any{"remaining": 0})
	}
	return evs
}

// Split divides c at a roll at now, between the old key and its
// replacement: the replacement takes what is left and the refill; the old
// key keeps, for its grace, only what its nodes hold (held), which they may
// be spending, and no refill: a roll never adds credits. The replacement
// keeps the Base; what the old key keeps is its own, so that the split
// alerts nothing on it (the stores alert on the replacement's part).
func (c Credits) Split(held int64, now time.Time) (old, replacement *Credits) {
	if c.Refilled(now) {
		held = 0 // the leases were of the period before
	}
	held = min(held, c.Remaining)
	replacement = &Credits{Remaining: c.Remaining - held, Refill: c.Refill, Period: c.Period, Base: c.Base}
	return &Credits{Remaining: held, Base: held}, replacement
}

// SettleEach is Store.SettleCredits' loop at now, for the stores, inside
// their transaction: the keys of keyIDs and expired (those with an expired
// lease), in id order, each once, loaded, settled and saved, with the
// events of the thresholds the settle crossed (CreditAlerts) passed to
// audit; load's false passes a key that does not exist over.
func SettleEach(keyIDs, expired []string, now time.Time, load func(keyID string) (CreditState, bool, error),
	save func(*CreditState) error, audit func(AuditEvent) error, settle func(*CreditState) error) error {
	ids := append(slices.Clone(expired), keyIDs...)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		st, ok, err := load(id)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		before := st.Credits.Clone() // settle changes st.Credits in place
		if err := settle(&st); err != nil {
			return err
		}
		if err := save(&st); err != nil {
			return err
		}
		for _, ev := range CreditAlerts(st.TeamID, st.KeyID, before, st.Credits, now) {
			if err := audit(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreditState is one key's credits as the nodes share them in the store:
// the key's balance and the leases nodes hold on it (internal/credits
// settles them; the stores load and save them whole).
type CreditState struct {
	KeyID   string
	TeamID  string   // the key's team, for the events of its thresholds
	Credits *Credits // nil: the key is unlimited, and holds no lease
	Leases  []CreditLease
}

// CreditLease is what one node holds of a key's credits. Held is counted
// in the key's Remaining; the node may spend at most Armed of it before it
// next settles, so that a node that dies unannounced has spent no more than
// Armed since its last report: when the lease expires, Armed counts as
// spent and the rest of Held returns.
type CreditLease struct {
	Node      string
	Held      int64
	Armed     int64
	ExpiresAt time.Time
}
