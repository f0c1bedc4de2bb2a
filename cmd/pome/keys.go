package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/apikey"
)

// keysCmd is `pome keys`: the team's API keys, through the management API
// with the session of pome login. A key is named by its id or by its name
// (resolveKey).
func (a *app) keysCmd() *cobra.Command {
	t := &teamAPI{app: a}
	return a.teamAPIGroup(t, "keys <command>", "list, create, show, change, revoke and roll API keys, show their usage, report leaked ones",
		`Manages the API keys of your team through the management API, signed in
with pome login. A key is named by its id (key_...) or by its name, when
one key of the team has it.`,
		`  pome keys list --status all
  KEY=$(pome keys create ci-deploy --role developer --expires-in-days 90)
  pome keys get ci-deploy`,
		a.keysListCmd(t),
		a.keysCreateCmd(t),
		a.keysGetCmd(t),
		a.keysUpdateCmd(t),
		a.keysRevokeCmd(t),
		a.keysRollCmd(t),
		a.keysUsageCmd(t),
		a.keysReportLeakCmd(t),
	)
}

func (a *app) keysListCmd(t *teamAPI) *cobra.Command {
	var o client.KeyListOptions
	var all bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "list keys (active ones unless --status), a page at a time",
		Long: `Lists the keys of the team that you may see (owners and admins: every key;
developers: their own), newest first, with their prefix, role, last use and
usage count: one page of --limit keys (1 to 100); the next page is
--cursor, which the end of the listing gives (on stderr). --all fetches
every page (100 keys a request). At a terminal the table fits its width (-o wide: every column).`,
		Example: `  pome keys list
  pome keys list --status all --team acme -o wide
  pome keys list --all --json | jq -r '.keys[] | select(.usage_count == 0) | .id'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkKeyListFlags("keys list", o, all); err != nil {
				return err
			}
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				l, err := listKeys(ctx, c, o, all)
				if err != nil {
					return err
				}
				if err := t.print(l, func(out *output, wide bool) error { return printKeys(out, l, o.Status, wide) }); err != nil {
					return err
				}
				if l.NextCursor != "" {
					// The cursor is a position: the next page needs the same
					// status again.
					fmt.Fprintf(a.stderr, "%d of %d keys. More: %s\n", len(l.Keys), l.Total,
						nextPage(cmd, "pome keys list", []string{"team", "status", "search", "limit"}, l.NextCursor))
				}
				return nil
			})
		},
	}
	registerKeyListFlags(cmd, &o, &all)
	return cmd
}

// registerKeyListFlags adds the flags of a page of keys, on keys list and
// platform keys list.
func registerKeyListFlags(cmd *cobra.Command, o *client.KeyListOptions, all *bool) {
	cmd.Flags().StringVar(&o.Status, "status", "active", "which keys: active, revoked, expired or all")
	cmd.Flags().StringVar(&o.Search, "search", "", "only keys whose name holds this (any case) or whose prefix starts with it; one page (not with --all)")
	cmd.Flags().IntVar(&o.Limit, "limit", apikey.DefaultListLimit, fmt.Sprintf("keys per page, 1 to %d", apikey.MaxListLimit))
	cmd.Flags().StringVar(&o.Cursor, "cursor", "", "the page after the one that gave this cursor")
	cmd.Flags().BoolVar(all, "all", false, "every page, not just one")
	cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]cobra.Completion{"active", "revoked", "expired", "all"}, cobra.ShellCompDirectiveNoFileComp))
}

// checkKeyListFlags refuses the flags of a page of keys that no server
// would take.
func checkKeyListFlags(what string, o client.KeyListOptions, all bool) error {
	switch o.Status {
	case "active", "revoked", "expired", "all":
	default:
		return usagef("%s: --status must be active, revoked, expired or all, not %q", what, o.Status)
	}
	if o.Limit < 1 || o.Limit > apikey.MaxListLimit {
		return usagef("%s: --limit must be 1 to %d", what, apikey.MaxListLimit)
	}
	if all && o.Cursor != "" {
		return usagef("%s: --all starts at the newest key: give it or --cursor, not both", what)
	}
	if all && o.Search != "" {
		return usagef("%s: --search lists a page at a time: give it or --all, not both", what)
	}
	return nil
}

// listKeys is one page of keys as o asks, or with all every key of
// o.Status, in one list whose total is what it holds.
func listKeys(ctx context.Context, c *client.Client, o client.KeyListOptions, all bool) (*client.KeyList, error) {
	if !all {
		return c.ListKeys(ctx, o)
	}
	l := &client.KeyList{Keys: []client.Key{}}
	for k, err := range c.AllKeys(ctx, o.Status) {
		if err != nil {
			return nil, err
		}
		l.Keys = append(l.Keys, k)
	}
	l.Total = len(l.Keys)
	return l, nil
}

// printKeys writes the keys as a table for people.
func printKeys(out *output, l *client.KeyList, status string, wide bool) error {
	if len(l.Keys) == 0 {
		what := status + " keys"
		if status == "all" {
			what = "keys"
		}
		_, err := fmt.Fprintf(out.w, "No %s.\n", what)
		return err
	}
	t := newTable(
		column{title: "ID"},
		column{title: "NAME", truncate: true},
		column{title: "PREFIX", drop: 2},
		column{title: "ROLE", drop: 4},
		column{title: "CREATED", drop: 1},
		column{title: "LAST USED", drop: 5},
		column{title: "USAGE"},
		column{title: "EXPIRES", drop: 3},
		column{title: "STATUS", paint: out.status},
	)
	for _, key := range l.Keys {
		t.add(key.ID, key.Name, key.Prefix, string(key.Role), timeCell(key.CreatedAt),
			optTimeCell(key.LastUsed, "never"), strconv.FormatInt(key.UsageCount, 10),
			optTimeCell(key.ExpiresAt, "never"), string(key.Status))
	}
	return t.write(out, wide)
}

// status colors a key status: green active, red revoked, yellow expired.
func (o *output) status(s string) string {
	switch pome.KeyStatus(s) {
	case pome.KeyActive:
		return o.paint(ansiGreen, s)
	case pome.KeyRevoked:
		return o.paint(ansiRed, s)
	case pome.KeyExpired:
		return o.paint(ansiYellow, s)
	}
	return s
}

func (a *app) keysCreateCmd(t *teamAPI) *cobra.Command {
	var f keyPolicyFlags
	var role string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "create a key and print it, this once",
		Long: `Creates a key and prints it. Pome shows a key once: store it now. When
stdout is not a terminal, the key alone is printed on it (the notice goes
to stderr), so that a script can capture it. The defaults give a key the
least it needs, as the dashboard does: role developer (viewer: read-only
requests; developer: any request; admin and owner: the same, with the
higher role told to your API in Pome-Key-Role; never above your own
role) and an expiry in 90 days (--no-expiry: never).

A key may carry policies (docs/api.md, "Key policies"): --environment test
makes a test key (pme_test_...), for its whole life; --scope (repeatable)
what it may do; --rate-limit N/WINDOW its own limit, in place of the team
plan's and no looser; --allowed-cidr (repeatable) the only addresses it
works from; --meta your own JSON about it; --disable makes it refused
until pome keys update --enable. --canary makes a decoy to plant where a
leak would show (a repository, a config file): every use of it is refused
as an unknown key's, and recorded in the audit log as key.canary_used.`,
		Example: `  pome keys create laptop
  KEY=$(pome keys create ci-deploy --expires-in-days 30)
  pome keys create reporting --role viewer --no-expiry --description "read-only dashboards" --json
  pome keys create sandbox --environment test --scope docs:read --scope billing:* \
    --rate-limit 100/60s --allowed-cidr 10.0.0.0/8 --meta '{"customer":"c_42"}'`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := client.CreateKeyParams{Name: args[0]}
			r, err := parseRole("--role", role)
			if err != nil {
				return err
			}
			p.Role = r
			if err := f.fillCreate(cmd, &p); err != nil {
				return err
			}
			switch dated := p.ExpiresInDays != 0 || p.ExpiresAt != nil; {
			case f.noExpiry && dated:
				return usagef("%s: give --no-expiry or an expiry, not both", commandName(cmd))
			case !f.noExpiry && !dated:
				p.ExpiresInDays = defaultKeyDays
			}
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				created, err := c.CreateKey(ctx, p)
				if err != nil {
					return err
				}
				if t.asJSON() {
					return printJSON(a.stdout, created)
				}
				expiry := "no expiry"
				if created.ExpiresAt != nil {
					expiry = "expires " + timeCell(*created.ExpiresAt)
				}
				what := fmt.Sprintf("Created key %s (%s, role %s, %s).", created.ID, printable(created.Name), created.Role, expiry)
				return a.showKeyOnce("key", what, created.Key)
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", string(pome.RoleDeveloper), "role of the key: owner, admin, developer or viewer, at most yours")
	cmd.RegisterFlagCompletionFunc("role", completeRoles)
	f.registerCreate(cmd, fmt.Sprint(defaultKeyDays))
	cmd.Flags().BoolVar(&f.noExpiry, "no-expiry", false, "the key never expires")
	noEnvFlags(cmd.Flags(), "no-expiry")
	return cmd
}

// defaultKeyDays is the lifetime of a key pome keys create makes without
// an expiry flag, the one the dashboard's create dialog preselects: the
// least privilege by default (TestKeysCreateDefaults).
const defaultKeyDays = 90

func (a *app) keysUpdateCmd(t *teamAPI) *cobra.Command {
	var f keyPolicyFlags
	cmd := &cobra.Command{
		Use:   "update KEY",
		Short: "change a key's name, description, expiry or policies",
		Long: `Changes a key, named by its id or its name (owners and admins only): each
flag given is a change, the others are left as they are. --scope and
--allowed-cidr (repeatable) replace the whole list, --meta the whole object;
--clear-scopes, --clear-cidrs, --clear-meta, --clear-rate-limit and
--no-expiry remove them. --disable refuses every use of the key (403
key_disabled) until --enable. A key's environment is fixed: no flag changes
it. The change takes effect on the very next request. Prints the key as
changed.

` + "--rate-limit is N/WINDOW: " + rateLimitHelp + ".",
		Example: `  pome keys update ci-deploy --disable
  pome keys update key_X5FQfLSUBaHoJ77k --scope docs:read --scope docs:write --rate-limit 1000/1h
  pome keys update ci-deploy --clear-cidrs --no-expiry --json`,
		Args:              exactArgs("KEY"),
		ValidArgsFunction: a.completeKeys(t),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p client.UpdateKeyParams
			if err := f.fillUpdate(cmd, &p); err != nil {
				return err
			}
			return t.withKey(cmd, args[0], func(ctx context.Context, c *client.Client, id string) error {
				k, err := c.UpdateKey(ctx, id, p)
				if err != nil {
					return err
				}
				if !t.asJSON() {
					fmt.Fprintf(a.stderr, "Updated key %s.\n", k.ID)
				}
				return t.print(k, func(out *output, _ bool) error { return printKey(out, k) })
			})
		},
	}
	f.registerUpdate(cmd)
	return cmd
}

// showKeyOnce prints a key's plaintext, which no later command can show.
// At a terminal it comes with a notice; otherwise stdout holds the key
// alone, for `KEY=$(pome keys create ...)`, and the notice goes to stderr.
// noun is what the secret is ("key", "token").
func (a *app) showKeyOnce(noun, what, plaintext string) error {
	return showKeyOnce(newOutput(a.stdout, a.getenv), a.stderr, noun, what, plaintext)
}

func showKeyOnce(out *output, stderr io.Writer, noun, what, plaintext string) error {
	if !out.tty {
		fmt.Fprintf(stderr, "%s Pome shows the %s only once: store it now.\n", what, noun)
		_, err := fmt.Fprintln(out.w, plaintext)
		return err
	}
	_, err := fmt.Fprintf(out.w, "%s\n%s\n\n    %s\n\n", what,
		out.paint(ansiYellow, "Copy the "+noun+" now: Pome shows it only once."), out.paint(ansiBold, plaintext))
	return err
}

func (a *app) keysGetCmd(t *teamAPI) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY",
		Short: "show one key, every field",
		Long: `Shows one key of the team, by its id or its name: every field the API
returns (never its plaintext, which only its creation showed).`,
		Example: `  pome keys get key_X5FQfLSUBaHoJ77k
  pome keys get ci-deploy --json | jq .usage_count`,
		Args:              exactArgs("KEY"),
		ValidArgsFunction: a.completeKeys(t),
		RunE: func(cmd *cobra.Command, args []string) error {
			return t.withKey(cmd, args[0], func(ctx context.Context, c *client.Client, id string) error {
				k, err := c.GetKey(ctx, id)
				if err != nil {
					return err
				}
				return t.print(k, func(out *output, _ bool) error { return printKey(out, k) })
			})
		},
	}
}

// orDash is s, or "-" for none.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// rateLimitCell is a key's own rate limit as --rate-limit reads it, or
// the plan's.
func rateLimitCell(rl *client.RateLimit) string {
	if rl == nil {
		return "the team plan's"
	}
	return strconv.Itoa(rl.Limit) + "/" + strconv.Itoa(rl.WindowSeconds) + "s"
}

// creditsCell is what a key has left, and its refill; "unlimited" for a
// key without credits.
func creditsCell(c *client.Credits) string {
	if c == nil {
		return "unlimited"
	}
	s := strconv.FormatInt(c.Remaining, 10) + " left"
	if r := c.Refill; r != nil {
		s += ", refilled " + r.Interval + " to " + strconv.FormatInt(r.Amount, 10)
	}
	return s
}

// metaCell is a key's meta, "-" for none.
func metaCell(m json.RawMessage) string {
	if len(m) == 0 || string(m) == "{}" {
		return "-"
	}
	return printable(string(m)) // a platform's data: no escape reaches the terminal
}

// printKey writes one key as "field  value" lines.
func printKey(out *output, k *client.Key) error {
	description := k.Description
	if description == "" {
		description = "-"
	}
	t := newTable(column{title: "FIELD"}, column{title: "VALUE", truncate: true})
	for _, f := range [][2]string{
		{"id", k.ID}, {"name", k.Name}, {"description", description}, {"prefix", k.Prefix},
		{"role", string(k.Role)}, {"status", string(k.Status)},
		{"created", timeCell(k.CreatedAt) + " by " + k.CreatedBy},
		{"last used", optTimeCell(k.LastUsed, "never")}, {"expires", optTimeCell(k.ExpiresAt, "never")},
		{"usage", strconv.FormatInt(k.UsageCount, 10) + " requests"},
		{"environment", k.Environment}, {"enabled", strconv.FormatBool(k.Enabled)},
		{"scopes", orDash(strings.Join(k.Scopes, " "))}, {"rate limit", rateLimitCell(k.RateLimit)},
		{"allowed cidrs", orDash(strings.Join(k.AllowedCIDRs, " "))}, {"meta", metaCell(k.Meta)},
		{"credits", creditsCell(k.Credits)}, {"canary", strconv.FormatBool(k.Canary)},
	} {
		t.add(f[0], f[1])
	}
	return t.write(out, false)
}

func (a *app) keysRevokeCmd(t *teamAPI) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "revoke KEY",
		Short: "revoke a key; its very next use is refused",
		Long: `Revokes a key, named by its id or its name: its very next request is
refused (403 key_revoked). Revoking a revoked key succeeds again. At a
terminal it asks first; --yes skips the question, and without a terminal
--yes is required.`,
		Example: `  pome keys revoke key_X5FQfLSUBaHoJ77k
  pome keys revoke ci-deploy --yes`,
		Args:              exactArgs("KEY"),
		ValidArgsFunction: a.completeKeys(t),
		RunE: func(cmd *cobra.Command, args []string) error {
			return t.withKey(cmd, args[0], func(ctx context.Context, c *client.Client, id string) error {
				if err := a.confirm(cmd, yes, "Revoke key "+describeRef(id, args[0])+"? Its next request is refused."); err != nil {
					return err
				}
				r, err := c.RevokeKey(ctx, id)
				if err != nil {
					return err
				}
				if t.asJSON() {
					return printJSON(a.stdout, r)
				}
				_, err = fmt.Fprintf(a.stdout, "Revoked key %s.\n", r.ID)
				return err
			})
		},
	}
	registerYes(cmd, &yes)
	return cmd
}

// maxGrace is the longest grace of a roll (docs/api.md: 0 to 168 hours).
const maxGrace = 168 * time.Hour

// parseGrace reads --grace: a duration in whole hours ("24h", "90m" is
// refused), or a bare number of hours.
func parseGrace(s string) (int, error) {
	d, err := time.ParseDuration(s)
	if n, aerr := strconv.Atoi(s); aerr == nil {
		d, err = time.Duration(n)*time.Hour, nil
	}
	if err != nil || d < 0 || d > maxGrace || d%time.Hour != 0 {
		return 0, usagef("keys roll: --grace must be whole hours from 0h to 168h, not %q", s)
	}
	return int(d / time.Hour), nil
}

func (a *app) keysRollCmd(t *teamAPI) *cobra.Command {
	var grace string
	var yes bool
	var p client.RollKeyParams
	cmd := &cobra.Command{
		Use:   "roll KEY",
		Short: "replace a key; the old one works for --grace",
		Long: `Replaces a key (named by its id or its name) with a new one (same name,
description and role) and prints the new key, once. The old key keeps
working for --grace (whole hours, 0h to 168h; default 24h), then answers
key_expired. With --grace 0h the old key stops at once: at a terminal
that asks first, and without a terminal it needs --yes.`,
		Example: `  NEW=$(pome keys roll key_X5FQfLSUBaHoJ77k --grace 1h)
  pome keys roll ci-deploy --grace 0h --yes    # the old key stops now`,
		Args:              exactArgs("KEY"),
		ValidArgsFunction: a.completeKeys(t),
		RunE: func(cmd *cobra.Command, args []string) error {
			hours, err := parseGrace(grace)
			if err != nil {
				return err
			}
			p.ExpireOldInHours = &hours
			if p.ExpiresInDays < 0 {
				return usagef("keys roll: --expires-in-days must be 1 to 3650")
			}
			return t.withKey(cmd, args[0], func(ctx context.Context, c *client.Client, id string) error {
				if hours == 0 {
					if err := a.confirm(cmd, yes, "Roll key "+describeRef(id, args[0])+" with no grace? The old key stops now."); err != nil {
						return err
					}
				}
				r, err := c.RollKey(ctx, id, p)
				if err != nil {
					return err
				}
				return a.showRolled(r, t.asJSON())
			})
		},
	}
	registerRollFlags(cmd, &grace, &p)
	registerYes(cmd, &yes)
	return cmd
}

// registerRollFlags adds the flags of a roll, on keys roll and platform
// keys roll.
func registerRollFlags(cmd *cobra.Command, grace *string, p *client.RollKeyParams) {
	cmd.Flags().StringVar(grace, "grace", "24h", "how long the old key keeps working, 0h to 168h")
	cmd.Flags().IntVar(&p.ExpiresInDays, "expires-in-days", 0, "days until the new key expires, 1 to 3650 (default: the old key's lifetime, from now)")
}

// showRolled prints a roll's outcome: the new key, this once, and until
// when the old one works.
func (a *app) showRolled(r *client.RolledKey, asJSON bool) error {
	if asJSON {
		return printJSON(a.stdout, r)
	}
	old := "stops working now"
	if r.OldKey.Status == pome.KeyActive && r.OldKey.ExpiresAt != nil {
		old = "keeps working until " + timeCell(*r.OldKey.ExpiresAt) + " UTC"
	}
	what := fmt.Sprintf("Rolled key %s into %s (%s, role %s); the old key %s.", r.RolledFrom, r.ID, printable(r.Name), r.Role, old)
	return a.showKeyOnce("key", what, r.Key)
}

func (a *app) keysUsageCmd(t *teamAPI) *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "usage KEY",
		Short: "daily verifications of a key, by outcome",
		Long: `Shows a key's daily verifications by outcome, oldest day first, for the
last --days days (1 to 90) in UTC: VALID (its usage), a column for each
refusal that happened in the range (RATE_LIMITED, REVOKED, ...), and
TOTAL. --json has every outcome. Counts are written about every second.`,
		Example:           `  pome keys usage key_X5FQfLSUBaHoJ77k --days 7`,
		Args:              exactArgs("KEY"),
		ValidArgsFunction: a.completeKeys(t),
		RunE: func(cmd *cobra.Command, args []string) error {
			if days < 1 || days > 90 {
				return usagef("keys usage: --days must be 1 to 90")
			}
			return t.withKey(cmd, args[0], func(ctx context.Context, c *client.Client, id string) error {
				u, err := c.KeyUsage(ctx, id, days)
				if err != nil {
					return err
				}
				return t.print(u, func(out *output, _ bool) error { return printUsage(out, u.Days) })
			})
		},
	}
	registerDays(cmd, &days)
	return cmd
}

// registerDays adds --days, the span of a usage command.
func registerDays(cmd *cobra.Command, days *int) {
	cmd.Flags().IntVar(days, "days", 30, "how many days, 1 to 90, today included")
}

// printUsage writes daily verifications by outcome, a row a day with a bar
// of its total, and their sums: DATE, VALID, a column for each refusal that
// happened in the range (a key only ever used validly reads DATE, VALID,
// TOTAL), TOTAL (docs/cli.md, "Usage by outcome").
func printUsage(out *output, days []client.UsageDay) error {
	counts := make([]pome.OutcomeCounts, len(days))
	var sum pome.OutcomeCounts
	var peak int64
	for i := range days {
		counts[i] = days[i].Outcomes()
		sum.Add(&counts[i])
		peak = max(peak, counts[i].Total())
	}
	shown := []int{pome.OutcomeValid.Index()}
	cols := []column{{title: "DATE"}, {title: "VALID"}}
	for i, o := range pome.Outcomes {
		if o != pome.OutcomeValid && sum[i] != 0 {
			shown = append(shown, i)
			cols = append(cols, column{title: strings.ToUpper(string(o))})
		}
	}
	t := newTable(append(cols, column{title: "TOTAL"}, column{title: "", drop: 1})...)
	row := func(date string, c *pome.OutcomeCounts, bar string) {
		cells := []string{date}
		for _, i := range shown {
			cells = append(cells, strconv.FormatInt(c[i], 10))
		}
		t.add(append(cells, strconv.FormatInt(c.Total(), 10), bar)...)
	}
	for i := range days {
		row(days[i].Date, &counts[i], bar(counts[i].Total(), peak, 40))
	}
	row("total", &sum, "")
	return t.write(out, false)
}

// bar draws n against peak as up to width blocks; any use shows at least one.
func bar(n, peak int64, width int) string {
	if n <= 0 || peak <= 0 {
		return ""
	}
	w := max(int(n*int64(width)/peak), 1)
	return strings.Repeat("█", w)
}
