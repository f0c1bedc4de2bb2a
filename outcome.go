package pome

// Outcome is how a verification of a known key ended (docs/api.md, "Usage
// accounting"): valid, or the row of the policy table that refused it.
type Outcome string

// The outcomes, in the order of the policy table.
const (
	OutcomeValid                   Outcome = "valid"
	OutcomeRevoked                 Outcome = "revoked"
	OutcomeExpired                 Outcome = "expired"
	OutcomeTeamBanned              Outcome = "team_banned"
	OutcomeDisabled                Outcome = "disabled"
	OutcomeIPNotAllowed            Outcome = "ip_not_allowed"
	OutcomeInsufficientPermissions Outcome = "insufficient_permissions"
	OutcomeInsufficientScope       Outcome = "insufficient_scope"
	OutcomeRateLimited             Outcome = "rate_limited"
	OutcomeQuotaExceeded           Outcome = "quota_exceeded"
)

// Outcomes lists every outcome, in the table's order.
// OutcomeCounts and the stores' columns are indexed in this order.
var Outcomes = [...]Outcome{OutcomeValid, OutcomeRevoked, OutcomeExpired, OutcomeTeamBanned, OutcomeDisabled,
	OutcomeIPNotAllowed, OutcomeInsufficientPermissions, OutcomeInsufficientScope, OutcomeRateLimited,
	OutcomeQuotaExceeded}

// OutcomeCounts counts verifications by outcome, indexed as Outcomes.
type OutcomeCounts [len(Outcomes)]int64

// Index is o's position in Outcomes; -1 for no outcome. It does not
// allocate.
func (o Outcome) Index() int {
	for i, x := range Outcomes {
		if x == o {
			return i
		}
	}
	return -1
}

// Of is the count of o.
func (c *OutcomeCounts) Of(o Outcome) int64 {
	if i := o.Index(); i >= 0 {
		return c[i]
	}
	return 0
}

// Add adds the counts of d.
func (c *OutcomeCounts) Add(d *OutcomeCounts) {
	for i := range c {
		c[i] += d[i]
	}
}

// Total is the sum over every outcome.
func (c *OutcomeCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// outcomeOfCode pairs each refusal of a known key with its outcome.
var outcomeOfCode = map[string]Outcome{
	ErrKeyRevoked.Code:              OutcomeRevoked,
	ErrKeyExpired.Code:              OutcomeExpired,
	ErrTeamBanned.Code:              OutcomeTeamBanned,
	ErrKeyDisabled.Code:             OutcomeDisabled,
	ErrIPNotAllowed.Code:            OutcomeIPNotAllowed,
	ErrInsufficientPermissions.Code: OutcomeInsufficientPermissions,
	ErrKeyInsufficientScope.Code:    OutcomeInsufficientScope,
	ErrRateLimited.Code:             OutcomeRateLimited,
	ErrQuotaExceeded.Code:           OutcomeQuotaExceeded,
}

// OutcomeOf is the outcome of a verification that ended with err (nil:
// valid); false for an error that says nothing of a known key (an unknown
// or malformed key, an unreachable store). The caller knows whether a rate
// limit refused the key or its client's failed authentications: only the
// first is an outcome of the key. It does not allocate.
func OutcomeOf(err error) (Outcome, bool) {
	if err == nil {
		return OutcomeValid, true
	}
	e, ok := err.(*Error)
	if !ok {
		return "", false
	}
	o, ok := outcomeOfCode[e.Code]
	return o, ok
}
