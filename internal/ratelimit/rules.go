package ratelimit

import (
	"time"

	"github.com/pomehq/pome"
)

// Rules are the limits of docs/api.md, as one deployment sets them.
type Rules struct {
	// Per signed-in user, on the management API. Members counts member
	// changes (add, role, remove) and webhook endpoints' (add, delete),
	// and Logout the logouts, each of which writes to the append-only
	// audit log.
	ListKeys, CreateKey, RevokeKey, Members, Logout Rule
	// Invitations counts the invitations a member makes: each hands out a
	// way into the team, and an invitation is no member change, so it has
	// a quota of its own, by the hour.
	Invitations Rule
	// Plans is the per-key limit of the public API by team plan tier; a
	// tier without a rule (or with Limit 0) is unlimited.
	Plans map[string]Rule
	// LoginEmail and LoginIP count failed logins per email and per client
	// IP; SignupIP counts signups per client IP.
	LoginEmail, LoginIP, SignupIP Rule
	// AuthFailureIP counts failed API-key authentications per client IP. A
	// client over it gets 429 for any key not already verified and cached,
	// without a store read.
	AuthFailureIP Rule
	// ReportLeakIP counts leak reports (POST /v1/keys/report-leak) per
	// client IP: each well-formed token costs a store read.
	ReportLeakIP Rule
}

// Default rule values of docs/api.md, and the failed-authentication limit Pome
// adds (not in the contract: a client sending more than 100 bad keys a minute is
// guessing, not mistyping).
const (
	DefaultListKeys      = 100 // per minute
	DefaultCreateKey     = 10  // per minute
	DefaultRevokeKey     = 50  // per minute
	DefaultMembers       = 30  // per minute
	DefaultLogout        = 30  // per minute
	DefaultLoginFailures = 10  // per 15 minutes
	DefaultSignups       = 60  // per hour
	DefaultAuthFailures  = 100 // per minute
	DefaultInvitations   = 20  // per hour
	DefaultLeakReports   = 10  // per minute
)

// DefaultRules returns the limits of docs/api.md: every per-key limit off.
func DefaultRules() Rules {
	return Rules{
		ListKeys:      Rule{Name: "list_keys", Limit: DefaultListKeys, Period: time.Minute},
		CreateKey:     Rule{Name: "create_key", Limit: DefaultCreateKey, Period: time.Minute},
		RevokeKey:     Rule{Name: "revoke_key", Limit: DefaultRevokeKey, Period: time.Minute},
		Members:       Rule{Name: "manage_members", Limit: DefaultMembers, Period: time.Minute},
		Logout:        Rule{Name: "logout", Limit: DefaultLogout, Period: time.Minute},
		Invitations:   Rule{Name: "invitations", Limit: DefaultInvitations, Period: time.Hour},
		Plans:         map[string]Rule{},
		LoginEmail:    Rule{Name: "login_email", Limit: DefaultLoginFailures, Period: 15 * time.Minute},
		LoginIP:       Rule{Name: "login_ip", Limit: DefaultLoginFailures, Period: 15 * time.Minute},
		SignupIP:      Rule{Name: "signup_ip", Limit: DefaultSignups, Period: time.Hour},
		AuthFailureIP: Rule{Name: "auth_failures_ip", Limit: DefaultAuthFailures, Period: time.Minute},
		ReportLeakIP:  Rule{Name: "report_leak_ip", Limit: DefaultLeakReports, Period: time.Minute},
	}
}

// PlanRule is the per-key rule of a plan tier: named after the tier,
// limit requests per minute (0: unlimited).
func PlanRule(tier string, limit int) Rule {
	return Rule{Name: tier, Limit: limit, Period: time.Minute}
}

// PlanLimits are the plans that limit keys, as the limits a key's own may
// not exceed when a member sets it (apikey.Service.SetPlans).
func (r Rules) PlanLimits() map[string]pome.RateLimit {
	out := make(map[string]pome.RateLimit, len(r.Plans))
	for tier, rule := range r.Plans {
		if !rule.Unlimited() {
			out[tier] = pome.RateLimit{Limit: rule.Limit, Window: rule.Period}
		}
	}
	return out
}
