// Package authz is Pome's one authorization core: whether a presented API
// key may do what it asks. Every surface that verifies a key — GET /v1/me,
// gateway mode, POST /v1/keys/verify and the pomeauth middleware — calls
// Gate.Authorize and only translates its Grant or error into headers and
// JSON, so that each check is written once (TestSurfacesAgree, in
// internal/httpserver, runs the same attempts through all four). It knows
// nothing of HTTP.
package authz

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/credits"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/servicetoken"
)

// Config is what a Gate checks with.
type Config struct {
	Verifier *apikey.Verifier
	// Meter counts each granted attempt as one use of its key.
	Meter *meter.Meter
	// Limiter counts Plans and Failures; nil turns both off.
	Limiter ratelimit.Limiter
	// Plans is the per-key limit by team plan tier; a tier without a rule
	// is unlimited.
	Plans map[string]ratelimit.Rule
	// Failures bounds failed authentications per client IP.
	Failures ratelimit.Rule
	// ServiceTokens authenticates the service tokens of the verify
	// endpoint; nil refuses every token.
	ServiceTokens *servicetoken.Service
	// Credits spends the credits of keys that have them; nil leaves every
	// key unmetered.
	Credits *credits.Ledger
	Now     func() time.Time
}

// Gate decides attempts. It is safe for concurrent use.
type Gate struct {
	verifier *apikey.Verifier
	meter    *meter.Meter
	limiter  ratelimit.Limiter
	plans    map[string]ratelimit.Rule
	failures ratelimit.Rule
	tokens   *servicetoken.Service
	credits  *credits.Ledger
	now      func() time.Time
	// outcomes counts the attempts of known keys by outcome (read-only
	// map, built in New), for /metrics.
	outcomes map[pome.Outcome]*atomic.Uint64
	valid    *atomic.Uint64
}

// New returns a Gate on cfg.
func New(cfg Config) *Gate {
	g := &Gate{verifier: cfg.Verifier, meter: cfg.Meter, limiter: cfg.Limiter,
		plans: cfg.Plans, failures: cfg.Failures, tokens: cfg.ServiceTokens, credits: cfg.Credits, now: cfg.Now,
		outcomes: make(map[pome.Outcome]*atomic.Uint64, len(pome.Outcomes))}
	for _, o := range pome.Outcomes {
		g.outcomes[o] = new(atomic.Uint64)
	}
	g.valid = g.outcomes[pome.OutcomeValid]
	if g.now == nil {
		g.now = time.Now
	}
	if g.limiter == nil {
		g.failures = ratelimit.Rule{}
		g.plans = nil
	}
	return g
}

// Attempt is a presented credential asking to do something.
type Attempt struct {
	// Key is the credential as presented.
	Key string
	// KeyErr, if not nil, is why no credential could be read
	// (pome.ErrMissingAPIKey, pome.ErrConflictingCredentials): the attempt
	// fails with it, and it counts as a failed authentication.
	KeyErr error
	// ClientIP is what failed authentications are charged to; empty
	// charges nothing (the verify endpoint, whose caller's address is
	// shared by all of its own clients).
	ClientIP string
	// Action is what the key asks to do.
	Action pome.Action
	// From is the client's address, which a key's allowed_cidrs must
	// hold; the zero Addr (unknown) is refused by any key that has them.
	From netip.Addr
	// Scopes are what the call requires of the key's scopes, all of them
	// (nil: none).
	Scopes []string
	// Cost is what a granted attempt spends of its key's credits: 0 is a
	// request's 1; the verify endpoint may name another (ZeroCost for 0).
	Cost int64
}

// ZeroCost is the Attempt.Cost of a verification that spends no credits
// (and still needs one left).
const ZeroCost = -1

// cost is what a spends of its key's credits.
func (a *Attempt) cost() int64 {
	switch {
	case a.Cost == ZeroCost:
		return 0
	case a.Cost <= 0:
		return 1
	}
	return a.Cost
}

// KeyRateLimitName names a key's own rate limit in the rate-limit headers
// and its counters, apart from the plans'.
const KeyRateLimitName = "key"

// Limit is the rate limit that applied to an attempt, granted or not, for
// the rate-limit headers. The zero Limit is none.
type Limit struct {
	Rule     ratelimit.Rule
	Decision ratelimit.Decision
}

// Grant is what Authorize learned. Owner is set once the key matched, even
// when a later check refused it (a role or a limit); Limit is set whenever a
// limit was counted; Credits whenever the key's credits were consulted.
type Grant struct {
	Owner   pome.KeyOwner
	Limit   Limit
	Credits Credits
}

// Credits is what a metered key has left after an attempt, for the verify
// response and the identity headers.
type Credits struct {
	Metered   bool  // the key has credits: the rest is set
	Remaining int64 // after the attempt
	// RetryAfter is how long until the key's next refill, when the
	// attempt was refused for want of credits and a refill comes.
	RetryAfter time.Duration
}

// Matched reports whether the key was found and usable: Owner is set.
func (g *Grant) Matched() bool { return g.Owner.Key.ID != "" }

// Authorize decides an attempt, in the order of docs/api.md's table: the
// credential read, its format and checksum, the negative cache, the failure
// limit of the client IP, the cache or the store, the key's status (revoked,
// expired, team banned), whether it is enabled, the client's address
// against its allowed_cidrs, its effective role against the action, the
// scopes the attempt requires, and its own rate limit or else its plan's.
// A granted attempt counts one use of the key. The error is a *pome.Error
// of the public API's rows; an unreachable store or limiter is
// Unavailable. A granted attempt allocates nothing (BenchmarkAuthorize,
// TestAuthorizeAllocs), whatever policies its key has.
func (g *Gate) Authorize(ctx context.Context, a Attempt) (Grant, error) {
	var grant Grant
	err := g.authorize(ctx, a, &grant)
	g.count(&grant, err)
	return grant, err
}

// count counts the outcome of an attempt of a known key: a refusal of a
// rate limit counts only when the key's own or its plan's refused it, not
// its client's failed authentications.
func (g *Gate) count(grant *Grant, err error) {
	if err == nil {
		g.valid.Add(1)
		return
	}
	o, ok := pome.OutcomeOf(err)
	if !ok || o == pome.OutcomeRateLimited && !grant.Matched() {
		return
	}
	g.outcomes[o].Add(1)
}

// OutcomeCount is how many attempts of known keys ended with o since the
// Gate was made (pome_verifications_total).
func (g *Gate) OutcomeCount(o pome.Outcome) uint64 {
	if c := g.outcomes[o]; c != nil {
		return c.Load()
	}
	return 0
}

// authorize decides a, filling in grant (the caller's: a Grant is large,
// and is copied once, on its way out of Authorize).
func (g *Gate) authorize(ctx context.Context, a Attempt, grant *Grant) error {
	f := g.account(ctx, a.ClientIP)
	err := a.KeyErr
	if err == nil {
		grant.Owner, err = g.verifier.VerifyGated(ctx, a.Key, f.charge)
	}
	if err = f.settle(err, &grant.Limit); err != nil {
		grant.Owner = pome.KeyOwner{}
		return err
	}
	o := &grant.Owner
	// The policies before the limit, so that a refused attempt spends no
	// quota.
	if err := CheckPolicies(o, a); err != nil {
		return err
	}
	if rule, ok := g.rule(o); ok {
		d, err := g.limiter.Allow(ctx, o.Key.ID, rule)
		if err != nil {
			return ratelimit.Unavailable(err)
		}
		grant.Limit = Limit{Rule: rule, Decision: d}
		if !d.Allowed {
			return pome.ErrRateLimited
		}
	}
	if c := o.Key.Credits; c != nil && g.credits != nil {
		if err := g.spend(ctx, o, c, a.cost(), &grant.Credits); err != nil {
			return err
		}
	}
	g.meter.Record(o.Key.ID, g.now())
	return nil
}

// spend spends cost of the key's credits, last: an attempt refused by any
// other check spends none.
func (g *Gate) spend(ctx context.Context, o *pome.KeyOwner, c *pome.Credits, cost int64, out *Credits) error {
	left, err := g.credits.Spend(ctx, o.Key.ID, c, cost)
	*out = Credits{Metered: true, Remaining: left}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pome.ErrQuotaExceeded):
		if c.Refill != nil {
			now := g.now()
			out.RetryAfter = c.Refill.Next(now).Sub(now)
		}
		return pome.ErrQuotaExceeded
	}
	if _, ok := err.(*pome.Error); ok {
		return err // the store's, translated
	}
	return pome.ErrUnavailable.WithCause(err)
}

// CheckPolicies applies the checks of a verified key that count nothing,
// in the order of docs/api.md's table: enabled, the client's address
// against allowed_cidrs, the effective role against the action (a key
// never does more than its creator can now), the required scopes. The
// gateway runs it again on its open requests when their key changes.
func CheckPolicies(o *pome.KeyOwner, a Attempt) error {
	k := &o.Key
	switch {
	case k.Disabled:
		return pome.ErrKeyDisabled
	case len(k.AllowedCIDRs) > 0 && !pome.CIDRsAllow(k.AllowedCIDRs, a.From):
		return pome.ErrIPNotAllowed
	case !o.Role.Can(a.Action):
		return pome.ErrInsufficientPermissions
	case !pome.ScopesCover(k.Scopes, a.Scopes):
		return pome.KeyInsufficientScope(pome.MissingScope(k.Scopes, a.Scopes))
	}
	return nil
}

// rule is the rate limit of a key: its own, else its team plan's; false
// when neither limits it.
func (g *Gate) rule(o *pome.KeyOwner) (ratelimit.Rule, bool) {
	if g.limiter == nil {
		return ratelimit.Rule{}, false
	}
	if rl := o.Key.RateLimit; rl != nil {
		return ratelimit.Rule{Name: KeyRateLimitName, Limit: rl.Limit, Period: rl.Window}, true
	}
	rule, ok := g.plans[o.Team.PlanTier]
	return rule, ok && !rule.Unlimited()
}

// AuthenticateService authenticates a service token, the platform's
// credential, under the same failure accounting as keys, and checks that it
// has scope. The error is pome.ErrInvalidServiceToken for a malformed,
// unknown or revoked token, the attempt's KeyErr, or a
// pome.InsufficientScope (after the accounting: a token that exists is no
// guess).
func (g *Gate) AuthenticateService(ctx context.Context, a Attempt, scope pome.Scope) (pome.ServiceToken, Limit, error) {
	var (
		st  pome.ServiceToken
		lim Limit
	)
	f := g.account(ctx, a.ClientIP)
	err := a.KeyErr
	switch {
	case err != nil:
	case g.tokens == nil:
		err = pome.ErrInvalidServiceToken
	default:
		st, err = g.tokens.Authenticate(ctx, a.Key, f.charge)
	}
	if err = f.settle(err, &lim); err != nil {
		return pome.ServiceToken{}, lim, err
	}
	if !st.Allows(scope) {
		return st, lim, pome.InsufficientScope(scope)
	}
	return st, lim, nil
}

// failureAccount charges the failed authentications of one attempt to the
// client IP.
//
// A unit is taken by charge, which authentication calls before a store read
// (so that parallel guesses cannot overshoot), and given back by settle if
// the credential turns out to exist or the store could not answer; failures
// answered from memory (malformed, missing, in the negative cache) are
// charged by settle. Over the limit, any credential not already verified in
// a cache is refused with pome.ErrRateLimited without a store read; a cached
// one still passes, so that a client behind the same address as an attacker
// keeps working. Failed authentications are charged to the client, never to
// the key they name.
//
// It lives on the caller's stack: the verify path allocates nothing for it
// (TestAuthorizeAllocs).
type failureAccount struct {
	g                *Gate
	ctx              context.Context
	ip               string // "": nothing is charged
	d                ratelimit.Decision
	charged, refused bool
}

func (g *Gate) account(ctx context.Context, ip string) failureAccount {
	if g.failures.Unlimited() {
		ip = ""
	}
	return failureAccount{g: g, ctx: ctx, ip: ip}
}

// charge takes a unit before a store read.
func (f *failureAccount) charge() error {
	if f.ip == "" {
		return nil
	}
	var err error
	if f.d, err = f.g.limiter.Allow(f.ctx, f.ip, f.g.failures); err != nil {
		return ratelimit.Unavailable(err)
	}
	if !f.d.Allowed {
		f.refused = true
		return pome.ErrRateLimited
	}
	f.charged = true
	return nil
}

// settle charges or refunds the attempt whose error was err, sets lim when
// the failure limit applied, and returns the attempt's error.
func (f *failureAccount) settle(err error, lim *Limit) error {
	if f.ip == "" {
		return err
	}
	switch {
	case f.refused:
		*lim = Limit{Rule: f.g.failures, Decision: f.d}
	case isAuthFailure(err):
		if !f.charged {
			var lerr error
			if f.d, lerr = f.g.limiter.Allow(f.ctx, f.ip, f.g.failures); lerr != nil {
				return ratelimit.Unavailable(lerr)
			}
		}
		*lim = Limit{Rule: f.g.failures, Decision: f.d}
		if !f.d.Allowed {
			return pome.ErrRateLimited
		}
	case f.charged:
		// The credential exists (or the store could not say): no failure.
		f.g.limiter.Refund(context.WithoutCancel(f.ctx), f.ip, f.g.failures)
	}
	return err
}

// isAuthFailure reports an error that counts as a failed authentication: no
// credential, a malformed or unknown one, or conflicting credentials. A key
// that matched (revoked, expired, banned, insufficient role) is no guess.
func isAuthFailure(err error) bool {
	return errors.Is(err, pome.ErrInvalidAPIKey) || errors.Is(err, pome.ErrMissingAPIKey) ||
		errors.Is(err, pome.ErrConflictingCredentials) ||
		errors.Is(err, pome.ErrInvalidServiceToken) || errors.Is(err, pome.ErrMissingServiceToken)
}
