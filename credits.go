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
	c.Period = c.Refill.PeriodStart(now)
	return true
}

// Split divides c at a roll at now, between the old key and its
// replacement: the replacement takes what is left and the refill; the old
// key keeps, for its grace, only what its nodes hold (held), which they may
// be spending, and no refill: a roll never adds credits.
func (c Credits) Split(held int64, now time.Time) (old, replacement *Credits) {
	if c.Refilled(now) {
		held = 0 // the leases were of the period before
	}
	held = min(held, c.Remaining)
	replacement = &Credits{Remaining: c.Remaining - held, Refill: c.Refill, Period: c.Period}
	return &Credits{Remaining: held}, replacement
}

// SettleEach is Store.SettleCredits' loop, for the stores, inside their
// transaction: the keys of keyIDs and expired (those with an expired
// lease), in id order, each once, loaded, settled and saved; load's false
// passes a key that does not exist over.
func SettleEach(keyIDs, expired []string, load func(keyID string) (CreditState, bool, error),
	save func(*CreditState) error, settle func(*CreditState) error) error {
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
		if err := settle(&st); err != nil {
			return err
		}
		if err := save(&st); err != nil {
			return err
		}
	}
	return nil
}

// CreditState is one key's credits as the nodes share them in the store:
// the key's balance and the leases nodes hold on it (internal/credits
// settles them; the stores load and save them whole).
type CreditState struct {
	KeyID   string
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
