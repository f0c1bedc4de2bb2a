package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/pomehq/pome/internal/ratelimit"
)

// Bad rate-limit flags, from the command line or the environment, are usage
// errors (exit 2) that name the flag.
func TestServeLimitFlagErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown plan", nil, []string{"--key-rate-limit", "gold=5"}, "--key-rate-limit"},
		{"not a number", nil, []string{"--key-rate-limit", "free=lots"}, "--key-rate-limit"},
		{"negative", nil, []string{"--key-rate-limit", "free=-1"}, "--key-rate-limit"},
		{"no equals", nil, []string{"--key-rate-limit", "free"}, "--key-rate-limit"},
		{"twice", nil, []string{"--key-rate-limit", "free=1,free=2"}, "given twice"},
		{"from env", map[string]string{"POME_KEY_RATE_LIMIT": "pro:600"}, nil, "--key-rate-limit (POME_KEY_RATE_LIMIT)"},
		{"user limit name", nil, []string{"--user-rate-limit", "delete=5"}, "--user-rate-limit"},
		{"user limit value", nil, []string{"--user-rate-limit", "members=many"}, "--user-rate-limit"},
		{"login without period", nil, []string{"--login-rate-limit", "10"}, "--login-rate-limit"},
		{"login bad period", nil, []string{"--login-rate-limit", "10/soon"}, "--login-rate-limit"},
		{"signup sub-second period", nil, []string{"--signup-rate-limit", "10/1ms"}, "--signup-rate-limit"},
		{"auth failures", nil, []string{"--auth-failure-rate-limit", "x/1m"}, "--auth-failure-rate-limit"},
		{"negative cache ttl", nil, []string{"--negative-cache-ttl", "-1s"}, "--negative-cache-ttl"},
		{"negative cache size", nil, []string{"--negative-cache-size", "-1"}, "--negative-cache-size"},
		{"upstream timeout", nil, []string{"--upstream-timeout", "soon"}, `invalid argument "soon" for "--upstream-timeout"`},
		{"stale if unavailable", nil, []string{"--stale-if-unavailable", "-1s"}, "--stale-if-unavailable (POME_STALE_IF_UNAVAILABLE) must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.env, "", append([]string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, c.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("serve %v: exit %d, stderr %q; want exit 2 naming %q", c.args, r.code, r.stderr, c.want)
			}
		})
	}
}

// The flags set the rules; what they leave out keeps the API's defaults.
func TestLimitFlagsRules(t *testing.T) {
	t.Parallel()
	l := limitFlags{}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	l.register(fs)
	if err := fs.Parse([]string{"--key-rate-limit", " free=60, pro=0 ,enterprise=6000", "--user-rate-limit", "create=3,members=7,logout=0",
		"--login-rate-limit", "5/10m", "--signup-rate-limit", "0", "--auth-failure-rate-limit", "30/30s"}); err != nil {
		t.Fatal(err)
	}
	r, err := l.rules()
	if err != nil {
		t.Fatalf("rules() = %v", err)
	}
	d := ratelimit.DefaultRules()
	for _, c := range []struct {
		name string
		got  ratelimit.Rule
		want ratelimit.Rule
	}{
		{"free", r.Plans["free"], ratelimit.PlanRule("free", 60)},
		{"pro (0: unlimited)", r.Plans["pro"], ratelimit.PlanRule("pro", 0)},
		{"enterprise", r.Plans["enterprise"], ratelimit.PlanRule("enterprise", 6000)},
		{"create", r.CreateKey, ratelimit.Rule{Name: "create_key", Limit: 3, Period: time.Minute}},
		{"list (default)", r.ListKeys, d.ListKeys},
		{"revoke (default)", r.RevokeKey, d.RevokeKey},
		{"members", r.Members, ratelimit.Rule{Name: "manage_members", Limit: 7, Period: time.Minute}},
		{"logout (0: unlimited)", r.Logout, ratelimit.Rule{Name: "logout", Period: time.Minute}},
		{"login email", r.LoginEmail, ratelimit.Rule{Name: "login_email", Limit: 5, Period: 10 * time.Minute}},
		{"login ip", r.LoginIP, ratelimit.Rule{Name: "login_ip", Limit: 5, Period: 10 * time.Minute}},
		{"signup off", r.SignupIP, ratelimit.Rule{Name: "signup_ip"}},
		{"auth failures", r.AuthFailureIP, ratelimit.Rule{Name: "auth_failures_ip", Limit: 30, Period: 30 * time.Second}},
	} {
		if c.got != c.want {
			t.Errorf("%s rule = %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if !r.Plans["pro"].Unlimited() {
		t.Errorf("pro=0 is not unlimited")
	}
}

// With no flags, the rules are docs/api.md's, and every plan is unlimited.
func TestLimitFlagsDefaults(t *testing.T) {
	t.Parallel()
	l := limitFlags{}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	l.register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	r, err := l.rules()
	if err != nil {
		t.Fatal(err)
	}
	d := ratelimit.DefaultRules()
	if r.ListKeys != d.ListKeys || r.CreateKey != d.CreateKey || r.RevokeKey != d.RevokeKey ||
		r.LoginEmail != d.LoginEmail || r.LoginIP != d.LoginIP || r.SignupIP != d.SignupIP || r.AuthFailureIP != d.AuthFailureIP {
		t.Errorf("rules without flags = %+v, want the defaults %+v", r, d)
	}
	if len(r.Plans) != 0 {
		t.Errorf("plans without flags = %v, want none (unlimited)", r.Plans)
	}
	for _, want := range []struct {
		rule ratelimit.Rule
		n    int
		p    time.Duration
	}{{d.ListKeys, 100, time.Minute}, {d.CreateKey, 10, time.Minute}, {d.RevokeKey, 50, time.Minute},
		{d.LoginEmail, 10, 15 * time.Minute}, {d.LoginIP, 10, 15 * time.Minute}, {d.SignupIP, 60, time.Hour}} {
		if want.rule.Limit != want.n || want.rule.Period != want.p {
			t.Errorf("default %s = %d per %v, want the API's %d per %v", want.rule.Name, want.rule.Limit, want.rule.Period, want.n, want.p)
		}
	}
}

// A running server enforces --key-rate-limit: the CLI sees the 429.
func TestServeKeyRateLimit(t *testing.T) {
	t.Parallel()
	s := mustServe(t, t.TempDir(), "--key-rate-limit", "free=2")
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "alice@example.com", "Acme")
	key := mustCreateKey(t, b, s.URL, "ci")
	env := map[string]string{"POME_API_KEY": key.Key, "POME_API_URL": s.URL}
	for i := range 2 {
		if r := runCLI(t, env, "", "whoami"); r.code != 0 {
			t.Fatalf("whoami #%d: exit %d, stderr %s", i+1, r.code, r.stderr)
		}
	}
	r := runCLI(t, env, "", "whoami")
	if r.code != 1 || !strings.Contains(r.stderr, "code rate_limit_exceeded") {
		t.Errorf("whoami over the limit: exit %d, stderr %q; want exit 1 with rate_limit_exceeded", r.code, r.stderr)
	}
}
