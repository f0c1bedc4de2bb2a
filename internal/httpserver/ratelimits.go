package httpserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/ratelimit"
)

// limits applies the rules of docs/api.md with one Limiter. With a nil limiter
// every wrapper is a no-op.
type limits struct {
	log     *slog.Logger
	limiter ratelimit.Limiter
	rules   ratelimit.Rules
	// onLimited is told of every request a per-user limit refuses.
	onLimited func(ctx context.Context, m pome.Member, rule string)
	// proxies say who the client of a per-IP limit is.
	proxies httpapi.TrustedProxies
}

// memberKey is the context key of the member a per-user limit resolved, so
// that the handler does not read the session a second time.
type memberKey struct{}

// perMember limits next per signed-in user under rule. It resolves the
// member (session and ?team=) first: a request without a valid session is
// answered 401 and counts against no one.
func (l *limits) perMember(rule ratelimit.Rule, sess sessions, next http.Handler) http.Handler {
	if l.limiter == nil || rule.Unlimited() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err == nil {
			err = l.takeMember(r.Context(), w.Header(), m, rule)
		}
		if err != nil {
			writeError(w, r, l.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), memberKey{}, m)))
	})
}

// takeMember takes one unit of m's quota under rule: the one per-user limit,
// of the API routes (perMember) and of the dashboard pages that read what
// they read (dashboard.spend). The response carries the rule's headers; over
// the limit the error is pome.ErrRateLimited, and onLimited is told.
func (l *limits) takeMember(ctx context.Context, h http.Header, m pome.Member, rule ratelimit.Rule) error {
	if l.limiter == nil || rule.Unlimited() {
		return nil
	}
	d, err := l.limiter.Allow(ctx, m.User.ID, rule)
	if err != nil {
		return ratelimit.Unavailable(err)
	}
	ratelimit.SetHeaders(h, rule, d)
	if !d.Allowed {
		if l.onLimited != nil {
			l.onLimited(ctx, m, rule.Name)
		}
		return pome.ErrRateLimited
	}
	return nil
}

// memberFrom returns the member perMember resolved for r, if any.
func memberFrom(r *http.Request) (pome.Member, bool) {
	m, ok := r.Context().Value(memberKey{}).(pome.Member)
	return m, ok
}

// perIP limits next per client IP under rule: every request counts.
func (l *limits) perIP(rule ratelimit.Rule, next http.Handler) http.Handler {
	if l.limiter == nil || rule.Unlimited() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := l.limiter.Allow(r.Context(), l.proxies.ClientIP(r), rule)
		if err != nil {
			writeError(w, r, l.log, ratelimit.Unavailable(err))
			return
		}
		ratelimit.SetHeaders(w.Header(), rule, d)
		if !d.Allowed {
			writeError(w, r, l.log, pome.ErrRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loginAttempt takes one unit from the login quotas of email and of the
// client IP before the password is checked, so that parallel guesses can
// never overshoot them; done(true) gives both back, for a login that
// succeeded or that failed before the password was checked. Over either
// quota the answer is 429, whatever the password, until the quota refills.
// The response carries the headers of the tighter of the two.
func (l *limits) loginAttempt(w http.ResponseWriter, r *http.Request, email string) (done func(refund bool), err error) {
	if l.limiter == nil {
		return func(bool) {}, nil
	}
	ctx := r.Context()
	type quota struct {
		rule ratelimit.Rule
		key  string
	}
	quotas := []quota{
		{l.rules.LoginEmail, emailKey(email)},
		{l.rules.LoginIP, l.proxies.ClientIP(r)},
	}
	var taken []quota
	giveBack := func() {
		for _, q := range taken {
			// A refund that fails leaves one unit spent: the safe side.
			l.limiter.Refund(context.WithoutCancel(ctx), q.key, q.rule)
		}
	}
	var tightest ratelimit.Decision
	var tightRule ratelimit.Rule
	for _, q := range quotas {
		if q.rule.Unlimited() {
			continue
		}
		d, err := l.limiter.Allow(ctx, q.key, q.rule)
		if err != nil {
			giveBack()
			return nil, ratelimit.Unavailable(err)
		}
		if tightRule.Unlimited() || !d.Allowed || tightest.Allowed && d.Remaining < tightest.Remaining {
			tightest, tightRule = d, q.rule
		}
		if !d.Allowed {
			giveBack()
			ratelimit.SetHeaders(w.Header(), tightRule, tightest)
			return nil, pome.ErrRateLimited
		}
		taken = append(taken, q)
	}
	ratelimit.SetHeaders(w.Header(), tightRule, tightest)
	return func(refund bool) {
		if refund {
			giveBack()
		}
	}, nil
}

// emailKey is the login quota key of an email: normalized as Login looks it
// up, and hashed, so that no address is kept in (or sent to) the counters.
func emailKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:16])
}
