package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// keyFlags are the flags of a key's fields and policies, shared by
// pome platform keys create and update. The server checks every value
// again; these checks only catch what cannot be sent.
type keyFlags struct {
	name, description, role, expiresAt, environment, meta, rateLimit string
	expiresInDays                                                    int
	scopes, cidrs                                                    []string
	enabled, disabled                                                bool
}

// register adds the flags both commands have; create adds the rest.
func (f *keyFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.description, "description", "", "what the key is for (up to 500 characters)")
	fs.StringVar(&f.expiresAt, "expires-at", "", "when the key expires, RFC 3339 (`2027-01-31T00:00:00Z`)")
	fs.StringVar(&f.meta, "meta", "", "your own data about the key, a `JSON` object of at most 4 KiB")
	fs.StringSliceVar(&f.scopes, "scope", nil, "what the key may do (repeatable, or comma-separated): `SCOPE` of a-z 0-9 _ . : * -")
	fs.StringVar(&f.rateLimit, "rate-limit", "", "the key's own rate limit instead of its plan's, as `N/WINDOW`: 100/60s, 1000/1h (window 1s to 24h)")
	fs.StringSliceVar(&f.cidrs, "allowed-cidr", nil, "the only client addresses the key is accepted from (repeatable): `CIDR` 10.0.0.0/8, 2001:db8::/32, or one address")
	fs.BoolVar(&f.disabled, "disabled", false, "refuse every use of the key (key_disabled) until it is enabled")
}

// parseRateLimit reads --rate-limit: N requests per WINDOW, a duration in
// whole seconds (60s, 1m, 1h) or a bare number of seconds.
func parseRateLimit(s string) (client.RateLimit, error) {
	n, window, ok := strings.Cut(s, "/")
	limit, err := strconv.Atoi(n)
	if !ok || err != nil || limit < 1 {
		return client.RateLimit{}, usagef("--rate-limit must be N/WINDOW with N at least 1, e.g. 100/60s, not %q", s)
	}
	d, err := time.ParseDuration(window)
	if secs, aerr := strconv.Atoi(window); aerr == nil {
		d, err = time.Duration(secs)*time.Second, nil
	}
	if err != nil || d < time.Second || d > pome.MaxKeyRateWindow || d%time.Second != 0 {
		return client.RateLimit{}, usagef("--rate-limit: the window must be whole seconds from 1s to 24h, e.g. 100/60s, not %q", s)
	}
	return client.RateLimit{Limit: limit, WindowSeconds: int(d / time.Second)}, nil
}

// parseExpiresAt reads --expires-at, an RFC 3339 time.
func parseExpiresAt(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--expires-at must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z, not %q", s)
	}
	return t, nil
}

// parseMeta reads --meta: JSON (that it is an object the server checks).
func parseMeta(s string) (json.RawMessage, error) {
	if !json.Valid([]byte(s)) {
		return nil, usagef("--meta must be a JSON object, e.g. '{\"customer\":\"cus_123\"}'")
	}
	return json.RawMessage(s), nil
}

// createParams are the flags as a new key named name.
func (f *keyFlags) createParams(name string) (client.CreateKeyParams, error) {
	p := client.CreateKeyParams{Name: name, Description: f.description, ExpiresInDays: f.expiresInDays,
		Environment: f.environment, Scopes: f.scopes, AllowedCIDRs: f.cidrs}
	var err error
	if f.role != "" {
		if p.Role, err = parseRole("--role", f.role); err != nil {
			return p, err
		}
	}
	if f.expiresInDays < 0 {
		return p, usagef("--expires-in-days must be 1 to 3650")
	}
	if f.expiresAt != "" {
		if f.expiresInDays != 0 {
			return p, usagef("give --expires-at or --expires-in-days, not both")
		}
		t, err := parseExpiresAt(f.expiresAt)
		if err != nil {
			return p, err
		}
		p.ExpiresAt = &t
	}
	if f.meta != "" {
		if p.Meta, err = parseMeta(f.meta); err != nil {
			return p, err
		}
	}
	if f.rateLimit != "" {
		rl, err := parseRateLimit(f.rateLimit)
		if err != nil {
			return p, err
		}
		p.RateLimit = &rl
	}
	if f.disabled {
		p.Enabled = new(false)
	}
	return p, nil
}

// updateParams are the flags given to update: each set flag sets its
// field, each --clear-X clears X; giving both for one field, or nothing,
// is a usage error.
func (f *keyFlags) updateParams(cmd *cobra.Command) (client.UpdateKeyParams, error) {
	var u client.UpdateKeyParams
	fs := cmd.Flags()
	set := func(flag string) bool { return fs.Changed(flag) }
	given := false
	for _, pair := range [][2]string{{"name", ""}, {"description", ""}, {"meta", "clear-meta"}, {"scope", "clear-scopes"},
		{"rate-limit", "clear-rate-limit"}, {"allowed-cidr", "clear-allowed-cidrs"}, {"expires-at", "clear-expires-at"}, {"enabled", "disabled"}} {
		if pair[1] != "" && set(pair[0]) && set(pair[1]) {
			return u, usagef("give --%s or --%s, not both", pair[0], pair[1])
		}
		given = given || set(pair[0]) || (pair[1] != "" && set(pair[1]))
	}
	if !given {
		return u, usagef("nothing to change: give --name, --description, --meta, --scope, --rate-limit, --allowed-cidr, --expires-at, --enabled or --disabled, or a --clear-... flag")
	}
	if set("name") {
		u.Name = pome.Some(f.name)
	}
	if set("description") {
		u.Description = pome.Some(f.description)
	}
	switch {
	case set("meta"):
		m, err := parseMeta(f.meta)
		if err != nil {
			return u, err
		}
		u.Meta = pome.Some(m)
	case set("clear-meta"):
		u.Meta = pome.Null[json.RawMessage]()
	}
	switch {
	case set("scope"):
		u.Scopes = pome.Some(f.scopes)
	case set("clear-scopes"):
		u.Scopes = pome.Null[[]string]()
	}
	switch {
	case set("rate-limit"):
		rl, err := parseRateLimit(f.rateLimit)
		if err != nil {
			return u, err
		}
		u.RateLimit = pome.Some(rl)
	case set("clear-rate-limit"):
		u.RateLimit = pome.Null[client.RateLimit]()
	}
	switch {
	case set("allowed-cidr"):
		u.AllowedCIDRs = pome.Some(f.cidrs)
	case set("clear-allowed-cidrs"):
		u.AllowedCIDRs = pome.Null[[]string]()
	}
	switch {
	case set("expires-at"):
		t, err := parseExpiresAt(f.expiresAt)
		if err != nil {
			return u, err
		}
		u.ExpiresAt = pome.Some(t)
	case set("clear-expires-at"):
		u.ExpiresAt = pome.Null[time.Time]()
	}
	switch {
	case set("enabled"):
		u.Enabled = pome.Some(f.enabled)
	case set("disabled"):
		u.Enabled = pome.Some(!f.disabled)
	}
	return u, nil
}
