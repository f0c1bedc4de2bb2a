package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/ratelimit"
)

// limitFlags are the flags of the API's rate limits and of the verifier's
// negative cache.
type limitFlags struct {
	keyRate     string // free=60,pro=600,enterprise=6000
	userRate    string // list=100,create=10,revoke=50,members=30,logout=30
	loginRate   string // 10/15m
	signupRate  string // 60/1h
	authFailure string // 100/1m
	reportLeak  string // 10/1m
	negTTL      time.Duration
	negSize     int
}

// userRules names the per-user rules of --user-rate-limit, in the order
// its default lists them.
func userRules(r *ratelimit.Rules) []struct {
	name string
	rule *ratelimit.Rule
} {
	return []struct {
		name string
		rule *ratelimit.Rule
	}{{"list", &r.ListKeys}, {"create", &r.CreateKey}, {"revoke", &r.RevokeKey}, {"members", &r.Members}, {"logout", &r.Logout}}
}

// formatUserRules writes the per-user limits of r as --user-rate-limit
// reads them (valued: list=100,...; not: list=N,...).
func formatUserRules(r *ratelimit.Rules, valued bool) string {
	var items []string
	for _, u := range userRules(r) {
		v := "N"
		if valued {
			v = strconv.Itoa(u.rule.Limit)
		}
		items = append(items, u.name+"="+v)
	}
	return strings.Join(items, ",")
}

func (l *limitFlags) register(fs *pflag.FlagSet) {
	d := ratelimit.DefaultRules()
	fs.StringVar(&l.keyRate, "key-rate-limit", "", "per-key limits of the public API by plan, `PLAN=N,...` requests per minute, e.g. free=60,pro=600,enterprise=6000 (0 or absent: unlimited)")
	fs.StringVar(&l.userRate, "user-rate-limit", formatUserRules(&d, true),
		"per-user limits of the management API, requests per minute: `"+formatUserRules(&d, false)+"` (0: unlimited; a name left out keeps its default)")
	fs.StringVar(&l.loginRate, "login-rate-limit", formatRule(d.LoginIP), "failed logins allowed per email and per client IP, as `N/PERIOD` (0: unlimited)")
	fs.StringVar(&l.signupRate, "signup-rate-limit", formatRule(d.SignupIP), "signups allowed per client IP, as `N/PERIOD` (0: unlimited)")
	fs.StringVar(&l.reportLeak, "report-leak-rate-limit", formatRule(d.ReportLeakIP), "leak reports (POST /v1/keys/report-leak) allowed per client IP, as `N/PERIOD` (0: unlimited)")
	fs.StringVar(&l.authFailure, "auth-failure-rate-limit", formatRule(d.AuthFailureIP), "failed API-key authentications allowed per client IP, as `N/PERIOD` (0: unlimited)")
	fs.DurationVar(&l.negTTL, "negative-cache-ttl", apikey.DefaultNegativeTTL, "how long an unknown well-formed API key is answered from memory (0: off)")
	fs.IntVar(&l.negSize, "negative-cache-size", apikey.DefaultNegativeSize, "how many unknown API keys are remembered at most")
}

// rules returns the rules the flags set, or a usage error naming the flag.
func (l *limitFlags) rules() (ratelimit.Rules, error) {
	r := ratelimit.DefaultRules()
	plans, err := parseList(l.keyRate, func(name string) bool { return pome.ValidPlan(name) })
	if err != nil {
		return r, usagef("--key-rate-limit (POME_KEY_RATE_LIMIT): %v; want e.g. free=60,pro=600,enterprise=6000 (plans: free, pro, enterprise)", err)
	}
	for tier, n := range plans {
		r.Plans[tier] = ratelimit.PlanRule(tier, n)
	}
	byName := map[string]*ratelimit.Rule{}
	for _, u := range userRules(&r) {
		byName[u.name] = u.rule
	}
	users, err := parseList(l.userRate, func(name string) bool { return byName[name] != nil })
	if err != nil {
		d := ratelimit.DefaultRules()
		return r, usagef("--user-rate-limit (POME_USER_RATE_LIMIT): %v; want e.g. %s", err, formatUserRules(&d, true))
	}
	for name, n := range users {
		byName[name].Limit = n
	}
	for _, f := range []struct {
		flag, env, value string
		rules            []*ratelimit.Rule
	}{
		{"login-rate-limit", "POME_LOGIN_RATE_LIMIT", l.loginRate, []*ratelimit.Rule{&r.LoginEmail, &r.LoginIP}},
		{"signup-rate-limit", "POME_SIGNUP_RATE_LIMIT", l.signupRate, []*ratelimit.Rule{&r.SignupIP}},
		{"auth-failure-rate-limit", "POME_AUTH_FAILURE_RATE_LIMIT", l.authFailure, []*ratelimit.Rule{&r.AuthFailureIP}},
		{"report-leak-rate-limit", "POME_REPORT_LEAK_RATE_LIMIT", l.reportLeak, []*ratelimit.Rule{&r.ReportLeakIP}},
	} {
		n, period, err := parseRate(f.value)
		if err != nil {
			return r, usagef("--%s (%s): %v; want N/PERIOD, e.g. 10/15m, or 0", f.flag, f.env, err)
		}
		for _, rule := range f.rules {
			rule.Limit, rule.Period = n, period
		}
	}
	if l.negTTL < 0 || l.negSize < 0 {
		return r, usagef("--negative-cache-ttl and --negative-cache-size must not be negative")
	}
	return r, nil
}

// parseList parses "name=N,name=N" with names that known accepts, each once.
func parseList(s string, known func(string) bool) (map[string]int, error) {
	out := map[string]int{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		name, num, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not name=N", item)
		}
		if !known(name) {
			return nil, fmt.Errorf("unknown name %q", name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%q given twice", name)
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: the limit must be a whole number, 0 or more", item)
		}
		out[name] = n
	}
	return out, nil
}

// parseRate parses "N/PERIOD" (e.g. "10/15m"), or "0" for unlimited.
func parseRate(s string) (int, time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, 0, nil
	}
	num, per, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("%q has no /PERIOD", s)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("%q: the limit must be a whole number, 0 or more", s)
	}
	period, err := time.ParseDuration(per)
	if err != nil || period < time.Second {
		return 0, 0, fmt.Errorf("%q: the period must be a duration of 1s or more", s)
	}
	return n, period, nil
}

// formatRule writes r as parseRate reads it.
func formatRule(r ratelimit.Rule) string {
	if r.Unlimited() {
		return "0"
	}
	p := r.Period.String()
	if strings.HasSuffix(p, "m0s") { // 15m0s → 15m
		p = strings.TrimSuffix(p, "0s")
	}
	if strings.HasSuffix(p, "h0m") { // 1h0m → 1h
		p = strings.TrimSuffix(p, "0m")
	}
	return fmt.Sprintf("%d/%s", r.Limit, p)
}
