package main

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// keyPolicyFlags are the flags of a key's description, expiry and policies
// (docs/api.md, "Key policies"), read once for every command that creates
// or changes a key: pome keys create and update, and any other command on
// keys (the platform's) that registers them. registerCreate and
// registerUpdate add them to a command; fillCreate and fillUpdate turn
// what was given into the API's parameters.
type keyPolicyFlags struct {
	name          string // update only: create takes NAME
	description   string
	expiresAt     string
	expiresInDays int
	environment   string // create only: fixed for the key's life
	meta          string
	scopes        []string
	rateLimit     string
	cidrs         []string
	enable        bool
	disable       bool
	credits       int64  // --credits: what is left (update: sets it)
	addCredits    int64  // update only: --add-credits, may be negative
	refill        string // --refill INTERVAL:AMOUNT
	canary        bool   // create only: fixed for the key's life
	// update only: the clears.
	clearScopes, clearRateLimit, clearCIDRs, clearMeta, noExpiry, clearRefill, unlimited bool
}

// rateLimitHelp is the format of --rate-limit, in the help of both commands.
const rateLimitHelp = "the key's own rate limit in place of its team plan's, as `N/WINDOW`: at most N requests per WINDOW, " +
	"whole seconds from 1s to 24h (100/60s, 1000/1h, 5/1s); yours may not allow more than the plan"

// registerCreate adds the flags of a new key to fs; expiry says when a key
// made without an expiry flag expires, for the help.
func (f *keyPolicyFlags) registerCreate(cmd *cobra.Command, expiry string) {
	fs := cmd.Flags()
	fs.StringVar(&f.description, "description", "", "what the key is for (up to 500 characters)")
	fs.IntVar(&f.expiresInDays, "expires-in-days", 0, "days until the key expires, 1 to 3650 (default: "+expiry+")")
	fs.StringVar(&f.expiresAt, "expires-at", "", "when the key expires, `TIME` as RFC 3339 (2027-01-31T18:00:00Z) or a UTC date (2027-01-31); not with --expires-in-days")
	fs.StringVar(&f.environment, "environment", "live", "`live` or test, for the key's life: a test key reads pme_test_...")
	fs.Int64Var(&f.credits, "credits", 0, "the key is metered: it may make `N` more requests (default: unlimited)")
	fs.BoolVar(&f.canary, "canary", false, "make a decoy to plant where a leak would show: every use is refused as an unknown key's and recorded (key.canary_used)")
	f.registerPolicies(fs)
	cmd.RegisterFlagCompletionFunc("environment", cobra.FixedCompletions([]cobra.Completion{"live", "test"}, cobra.ShellCompDirectiveNoFileComp))
	noEnvFlags(fs, "environment", "credits", "canary")
}

// registerUpdate adds the flags of a change of a key to fs: each one
// given is a change, and the --clear- ones (and --no-expiry) clear.
func (f *keyPolicyFlags) registerUpdate(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.name, "name", "", "the key's new name (1 to 100 characters)")
	fs.StringVar(&f.description, "description", "", "the key's new description (up to 500 characters; \"\" clears it)")
	fs.IntVar(&f.expiresInDays, "expires-in-days", 0, "the key expires this many days from now, 1 to 3650")
	fs.StringVar(&f.expiresAt, "expires-at", "", "the key expires at `TIME`, RFC 3339 (2027-01-31T18:00:00Z) or a UTC date (2027-01-31)")
	fs.BoolVar(&f.noExpiry, "no-expiry", false, "the key never expires")
	f.registerPolicies(fs)
	fs.BoolVar(&f.clearMeta, "clear-meta", false, "remove the key's meta")
	fs.BoolVar(&f.clearScopes, "clear-scopes", false, "remove every scope of the key")
	fs.BoolVar(&f.clearRateLimit, "clear-rate-limit", false, "remove the key's own rate limit: its team plan's applies")
	fs.BoolVar(&f.clearCIDRs, "clear-cidrs", false, "remove the key's allowed CIDRs: any address may use it")
	fs.Int64Var(&f.credits, "credits", 0, "set what the key has left to `N` requests (meters an unlimited key)")
	fs.Int64Var(&f.addCredits, "add-credits", 0, "add `N` to what the key has left (negative takes, never below 0)")
	fs.BoolVar(&f.clearRefill, "clear-refill", false, "remove the key's refill")
	fs.BoolVar(&f.unlimited, "unlimited", false, "remove the key's credits: it is no longer metered")
	noEnvFlags(fs, "name", "no-expiry", "clear-meta", "clear-scopes", "clear-rate-limit", "clear-cidrs",
		"credits", "add-credits", "clear-refill", "unlimited")
}

// registerPolicies adds the flags both commands share.
func (f *keyPolicyFlags) registerPolicies(fs *pflag.FlagSet) {
	fs.StringVar(&f.meta, "meta", "", "your own data about the key, a JSON `OBJECT` of at most 4 KiB, returned as given (update: replaces the whole object)")
	fs.StringArrayVar(&f.scopes, "scope", nil, "a scope of the key (repeatable; update: the whole list), 1 to 64 of a-z 0-9 _ . : * - (docs:read, docs:*, *)")
	fs.StringVar(&f.rateLimit, "rate-limit", "", rateLimitHelp)
	fs.StringArrayVar(&f.cidrs, "allowed-cidr", nil, "an IPv4 or IPv6 `CIDR` the key is accepted from (repeatable; update: the whole list), e.g. 10.0.0.0/8 or 2001:db8::/32")
	fs.BoolVar(&f.enable, "enable", false, "the key works (the default of a new key)")
	fs.BoolVar(&f.disable, "disable", false, "every use of the key is refused with key_disabled until --enable")
	fs.StringVar(&f.refill, "refill", "", "refill the key's credits to AMOUNT, `daily:AMOUNT` at 00:00 UTC or monthly:AMOUNT on the 1st")
	// A key's policies come from its command line only: a variable left
	// set in a shell must not change the next key made or changed there
	// (and POME_SCOPE is admin service-token create's).
	noEnvFlags(fs, "meta", "scope", "rate-limit", "allowed-cidr", "enable", "disable", "refill")
}

// fillCreate sets the expiry and policies of p from the flags given; what
// says so is a usage error, before any request.
func (f *keyPolicyFlags) fillCreate(cmd *cobra.Command, p *client.CreateKeyParams) error {
	fs, what := cmd.Flags(), commandName(cmd)
	p.Description = f.description
	if fs.Changed("expires-in-days") {
		if f.expiresInDays < 1 {
			return usagef("%s: --expires-in-days must be 1 to 3650", what)
		}
		p.ExpiresInDays = f.expiresInDays
	}
	if fs.Changed("expires-at") {
		if p.ExpiresInDays != 0 {
			return usagef("%s: give --expires-at or --expires-in-days, not both", what)
		}
		t, err := parseExpiresAt(what, f.expiresAt)
		if err != nil {
			return err
		}
		p.ExpiresAt = &t
	}
	switch f.environment {
	case "live", "test":
		p.Environment = f.environment
	default:
		return usagef("%s: --environment must be live or test, not %q", what, f.environment)
	}
	var err error
	if fs.Changed("meta") {
		if p.Meta, err = parseMeta(what, f.meta); err != nil {
			return err
		}
	}
	p.Scopes, p.AllowedCIDRs, p.Canary = f.scopes, f.cidrs, f.canary
	if fs.Changed("rate-limit") {
		rl, err := parseKeyRateLimit(what, f.rateLimit)
		if err != nil {
			return err
		}
		p.RateLimit = &rl
	}
	if fs.Changed("refill") && !fs.Changed("credits") {
		return usagef("%s: --refill needs --credits, what the key starts with", what)
	}
	if fs.Changed("credits") {
		if f.credits < 0 {
			return usagef("%s: --credits must be 0 or more", what)
		}
		p.Credits = &client.Credits{Remaining: f.credits}
		if fs.Changed("refill") {
			if p.Credits.Refill, err = parseRefill(what, f.refill); err != nil {
				return err
			}
		}
	}
	enabled, set, err := f.enabled(what)
	if set {
		p.Enabled = &enabled
	}
	return err
}

// fillCredits sets in p the change of credits the flags give.
func (f *keyPolicyFlags) fillCredits(fs *pflag.FlagSet, what string, p *client.UpdateKeyParams) error {
	for _, pair := range [][2]string{{"credits", "add-credits"}, {"refill", "clear-refill"}, {"credits", "unlimited"},
		{"add-credits", "unlimited"}, {"refill", "unlimited"}, {"clear-refill", "unlimited"}} {
		if err := conflicting(fs, what, pair[0], pair[1]); err != nil {
			return err
		}
	}
	var c client.CreditsChange
	switch {
	case f.unlimited:
		p.Credits = pome.Null[client.CreditsChange]()
		return nil
	case fs.Changed("credits"):
		if f.credits < 0 {
			return usagef("%s: --credits must be 0 or more", what)
		}
		c.Remaining = pome.Some(f.credits)
	case fs.Changed("add-credits"):
		c.Increment = pome.Some(f.addCredits)
	}
	switch {
	case fs.Changed("refill"):
		r, err := parseRefill(what, f.refill)
		if err != nil {
			return err
		}
		c.Refill = pome.Some(*r)
	case f.clearRefill:
		c.Refill = pome.Null[client.CreditRefill]()
	}
	if !reflect.ValueOf(c).IsZero() {
		p.Credits = pome.Some(c)
	}
	return nil
}

// parseRefill reads --refill: daily:AMOUNT or monthly:AMOUNT.
func parseRefill(what, s string) (*client.CreditRefill, error) {
	interval, amount, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(amount, 10, 64)
	if !ok || err != nil || n < 0 || interval != pome.RefillDaily && interval != pome.RefillMonthly {
		return nil, usagef("%s: --refill must be daily:AMOUNT or monthly:AMOUNT (daily:1000), not %q", what, s)
	}
	return &client.CreditRefill{Interval: interval, Amount: n}, nil
}

// fillUpdate sets in p each change the flags give, and refuses none or
// contradictory ones (--scope with --clear-scopes).
func (f *keyPolicyFlags) fillUpdate(cmd *cobra.Command, p *client.UpdateKeyParams) error {
	fs, what := cmd.Flags(), commandName(cmd)
	if fs.Changed("name") {
		p.Name = pome.Some(f.name)
	}
	if fs.Changed("description") {
		p.Description = pome.Some(f.description)
	}
	expiries := 0
	for _, n := range []string{"expires-at", "expires-in-days", "no-expiry"} {
		if fs.Changed(n) {
			expiries++
		}
	}
	if expiries > 1 {
		return usagef("%s: give one of --expires-at, --expires-in-days, --no-expiry", what)
	}
	switch {
	case fs.Changed("expires-at"):
		t, err := parseExpiresAt(what, f.expiresAt)
		if err != nil {
			return err
		}
		p.ExpiresAt = pome.Some(t)
	case fs.Changed("expires-in-days"):
		// A change has no expires_in_days: the days count from now, here.
		if f.expiresInDays < 1 || f.expiresInDays > 3650 {
			return usagef("%s: --expires-in-days must be 1 to 3650", what)
		}
		p.ExpiresAt = pome.Some(time.Now().UTC().AddDate(0, 0, f.expiresInDays).Truncate(time.Second))
	case f.noExpiry:
		p.ExpiresAt = pome.Null[time.Time]()
	}
	if err := conflicting(fs, what, "meta", "clear-meta"); err != nil {
		return err
	}
	switch {
	case fs.Changed("meta"):
		m, err := parseMeta(what, f.meta)
		if err != nil {
			return err
		}
		p.Meta = pome.Some(m)
	case f.clearMeta:
		p.Meta = pome.Null[json.RawMessage]()
	}
	if err := conflicting(fs, what, "scope", "clear-scopes"); err != nil {
		return err
	}
	switch {
	case fs.Changed("scope"):
		p.Scopes = pome.Some(f.scopes)
	case f.clearScopes:
		p.Scopes = pome.Null[[]string]()
	}
	if err := conflicting(fs, what, "rate-limit", "clear-rate-limit"); err != nil {
		return err
	}
	switch {
	case fs.Changed("rate-limit"):
		rl, err := parseKeyRateLimit(what, f.rateLimit)
		if err != nil {
			return err
		}
		p.RateLimit = pome.Some(rl)
	case f.clearRateLimit:
		p.RateLimit = pome.Null[client.RateLimit]()
	}
	if err := conflicting(fs, what, "allowed-cidr", "clear-cidrs"); err != nil {
		return err
	}
	switch {
	case fs.Changed("allowed-cidr"):
		p.AllowedCIDRs = pome.Some(f.cidrs)
	case f.clearCIDRs:
		p.AllowedCIDRs = pome.Null[[]string]()
	}
	enabled, set, err := f.enabled(what)
	if err != nil {
		return err
	}
	if set {
		p.Enabled = pome.Some(enabled)
	}
	if err := f.fillCredits(fs, what, p); err != nil {
		return err
	}
	if reflect.ValueOf(*p).IsZero() { // not one field set

		return usagef("%s: nothing to change: give at least one flag (pome %s --help lists them)", what, what)
	}
	return nil
}

// enabled reads --enable and --disable: set when one was given.
func (f *keyPolicyFlags) enabled(what string) (enabled, set bool, err error) {
	switch {
	case f.enable && f.disable:
		return false, false, usagef("%s: give --enable or --disable, not both", what)
	case f.disable:
		return false, true, nil
	case f.enable:
		return true, true, nil
	}
	return false, false, nil
}

// conflicting refuses a flag that sets a field with the one that clears it.
func conflicting(fs *pflag.FlagSet, what, set, clear string) error {
	if fs.Changed(set) && fs.Changed(clear) {
		return usagef("%s: give --%s or --%s, not both", what, set, clear)
	}
	return nil
}

// parseExpiresAt reads --expires-at: RFC 3339, or a date (midnight UTC).
func parseExpiresAt(what, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s: --expires-at must be an RFC 3339 time (2027-01-31T18:00:00Z) or a date (2027-01-31), not %q", what, s)
}

// parseMeta reads --meta: JSON (the server checks it is an object of at
// most 4 KiB; text that is not JSON could not even be sent).
func parseMeta(what, s string) (json.RawMessage, error) {
	if !json.Valid([]byte(s)) {
		return nil, usagef("%s: --meta must be a JSON object, e.g. '{\"customer\":\"c_42\"}'", what)
	}
	return json.RawMessage(s), nil
}

// parseKeyRateLimit reads --rate-limit: N/WINDOW, the window a duration of
// whole seconds ("60s", "1m", "1h") or a bare number of seconds. The
// server checks the bounds.
func parseKeyRateLimit(what, s string) (client.RateLimit, error) {
	bad := usagef("%s: --rate-limit must be N/WINDOW, e.g. 100/60s or 1000/1h (whole seconds), not %q", what, s)
	n, w, ok := strings.Cut(s, "/")
	limit, err := strconv.Atoi(n)
	if !ok || err != nil || limit < 1 {
		return client.RateLimit{}, bad
	}
	d, err := time.ParseDuration(w)
	if secs, aerr := strconv.Atoi(w); aerr == nil {
		d, err = time.Duration(secs)*time.Second, nil
	}
	if err != nil || d < time.Second || d%time.Second != 0 {
		return client.RateLimit{}, bad
	}
	return client.RateLimit{Limit: limit, WindowSeconds: int(d / time.Second)}, nil
}

// commandName is a command's path without "pome" ("keys update").
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// noEnvAnnotation marks a flag that the environment never sets.
const noEnvAnnotation = "pome_no_env"

// noEnvFlags marks flags of fs that only the command line sets.
func noEnvFlags(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		fs.SetAnnotation(n, noEnvAnnotation, []string{"true"})
	}
}
