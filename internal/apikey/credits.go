package apikey

import (
	"time"

	"github.com/pomehq/pome"
)

// CreditsParams are a new key's credits as the caller gives them.
type CreditsParams struct {
	Remaining int64         `json:"remaining"`
	Refill    *RefillParams `json:"refill,omitempty"`
}

// RefillParams are a key's refill as the caller gives it.
type RefillParams struct {
	Interval string `json:"interval"`
	Amount   int64  `json:"amount"`
}

// CreditsChange is a change of a key's credits (PATCH's "credits"): at
// most one of Remaining (sets) and Increment (adds; may be negative, never
// below 0), and Refill (null: none).
type CreditsChange struct {
	Remaining pome.Optional[int64]        `json:"remaining"`
	Increment pome.Optional[int64]        `json:"increment"`
	Refill    pome.Optional[RefillParams] `json:"refill"`
}

// errCreditsRaise refuses a member who would give a key more credits:
// credits are what the platform sells, and only its service tokens add
// them. A member may set a budget at creation and spend or narrow it.
var errCreditsRaise = pome.InvalidParameter("'credits' may only be lowered by a team member; the platform's service tokens add credits")

// newCredits checks p and returns a new key's credits at now (nil: none).
func newCredits(p *CreditsParams, now time.Time) (*pome.Credits, error) {
	if p == nil {
		return nil, nil
	}
	c := &pome.Credits{Remaining: p.Remaining, Base: p.Remaining}
	if p.Refill != nil {
		c.Refill = &pome.CreditRefill{Interval: p.Refill.Interval, Amount: p.Refill.Amount}
		c.Period = c.Refill.PeriodStart(now)
	}
	if err := pome.CheckCredits(c); err != nil {
		return nil, pome.InvalidParameter("%s", err.Error())
	}
	return c, nil
}

// creditsChange checks p (credits: null removes them) and returns what it
// does to a key at now, read in the transaction that stores it, so that
// an increment made while nodes settle loses nothing.
func creditsChange(a actor, p pome.Optional[CreditsChange]) (func(*pome.Key, time.Time) error, error) {
	if p.Null {
		return func(k *pome.Key, _ time.Time) error {
			if a.tokenID == "" && k.Credits != nil {
				return errCreditsRaise // unlimited is the most a key can have
			}
			k.Credits = nil
			return nil
		}, nil
	}
	ch := p.Value
	switch {
	case ch.Remaining.Set && ch.Increment.Set:
		return nil, pome.InvalidParameter("'credits' takes 'remaining' (sets) or 'increment' (adds), not both")
	case ch.Remaining.Null || ch.Increment.Null:
		return nil, pome.InvalidParameter("'credits.remaining' and 'credits.increment' must be numbers")
	case !ch.Remaining.Set && !ch.Increment.Set && !ch.Refill.Set:
		return nil, pome.InvalidParameter("'credits' needs at least one of remaining, increment, refill")
	case ch.Remaining.Set && (ch.Remaining.Value < 0 || ch.Remaining.Value > pome.MaxCredits):
		return nil, pome.InvalidParameter("'credits.remaining' must be 0 to %d", int64(pome.MaxCredits))
	case ch.Increment.Set && (ch.Increment.Value < -pome.MaxCredits || ch.Increment.Value > pome.MaxCredits):
		return nil, pome.InvalidParameter("'credits.increment' must be -%d to %d", int64(pome.MaxCredits), int64(pome.MaxCredits))
	}
	var refill *pome.CreditRefill
	if ch.Refill.Set && !ch.Refill.Null {
		refill = &pome.CreditRefill{Interval: ch.Refill.Value.Interval, Amount: ch.Refill.Value.Amount}
		if err := pome.CheckCredits(&pome.Credits{Refill: refill}); err != nil {
			return nil, pome.InvalidParameter("%s", err.Error())
		}
	}
	return func(k *pome.Key, now time.Time) error {
		var base *pome.Credits
		c := &pome.Credits{}
		if k.Credits != nil {
			b := *k.Credits
			b.Refilled(now) // a change applies to the period it is made in
			base, *c = &b, b
		} else if ch.Increment.Set || !ch.Remaining.Set {
			return pome.InvalidParameter("The key has no credits: set 'credits.remaining' first")
		}
		// What is set is the new base of the low threshold; an increment
		// that lifts what is left above the base lifts the base too, so
		// that the threshold stays a tenth of the most the key was given.
		switch {
		case ch.Remaining.Set:
			c.Remaining, c.Base = ch.Remaining.Value, ch.Remaining.Value
		case ch.Increment.Set:
			c.Remaining = min(max(c.Remaining+ch.Increment.Value, 0), pome.MaxCredits)
			c.Base = max(c.Base, c.Remaining)
		}
		if ch.Refill.Set {
			c.Refill, c.Period = refill, time.Time{}
			if refill != nil {
				c.Period = refill.PeriodStart(now)
			}
		}
		if a.tokenID == "" && raises(base, c) {
			return errCreditsRaise
		}
		k.Credits = c
		return nil
	}, nil
}

// raises reports whether to gives a key more than from: more left, a refill
// it had not, or a larger or more frequent one. Any credits narrow an
// unlimited key (from nil).
func raises(from, to *pome.Credits) bool {
	if from == nil {
		return false
	}
	if to.Remaining > from.Remaining {
		return true
	}
	switch f, t := from.Refill, to.Refill; {
	case t == nil:
		return false
	case f == nil:
		return true
	default:
		return t.Amount > f.Amount || t.Interval == pome.RefillDaily && f.Interval == pome.RefillMonthly
	}
}
