package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

const keysUsage = `Usage: pome keys <command> [flags]

Manages the API keys of your team through the management API, signed in
with pome login.

Commands:
  list                 list keys (active ones unless --status)
  create NAME          create a key and print it, this once
  revoke ID            revoke a key; its very next use is refused
  roll ID              replace a key; the old one works for --grace
  usage ID             daily request counts of a key

Every command takes --api-url (POME_API_URL), --team SLUG (another of your
teams than the default) and --json (JSON for scripts). Run
'pome keys <command> --help' for more.

Examples:
  pome keys list --status all
  KEY=$(pome keys create ci-deploy --role developer --expires-in-days 90)
`

const keysListUsage = `Usage: pome keys list [--status active|revoked|expired|all] [--team SLUG] [--json]

Lists the keys of the team that you may see (owners and admins: every key;
developers: their own), with their prefix, role, last use and usage count.

Examples:
  pome keys list
  pome keys list --status all --team acme
  pome keys list --json | jq -r '.keys[] | select(.usage_count == 0) | .id'
`

const keysCreateUsage = `Usage: pome keys create NAME [--description D] [--role R] [--expires-in-days N] [--team SLUG] [--json]

Creates a key and prints it. Pome shows a key once: store it now. When
stdout is not a terminal, the key alone is printed on it (the notice goes
to stderr), so that a script can capture it. --role may not be above your
own role (default: your role).

Examples:
  pome keys create laptop
  KEY=$(pome keys create ci-deploy --role developer --expires-in-days 90)
  pome keys create reporting --role viewer --description "read-only dashboards" --json
`

const keysRevokeUsage = `Usage: pome keys revoke ID [--team SLUG] [--json]

Revokes a key: its very next request is refused (403 key_revoked).
Revoking a revoked key succeeds again.

Example:
  pome keys revoke key_X5FQfLSUBaHoJ77k
`

const keysRollUsage = `Usage: pome keys roll ID [--grace 24h] [--expires-in-days N] [--team SLUG] [--json]

Replaces a key with a new one (same name, description and role) and prints
the new key, once. The old key keeps working for --grace (whole hours, 0h
to 168h; default 24h), then answers key_expired.

Examples:
  NEW=$(pome keys roll key_X5FQfLSUBaHoJ77k --grace 1h)
  pome keys roll key_X5FQfLSUBaHoJ77k --grace 0h    # the old key stops now
`

const keysUsageUsage = `Usage: pome keys usage ID [--days 30] [--team SLUG] [--json]

Shows a key's daily request counts, oldest day first, for the last --days
days (1 to 90) in UTC. Counts are written about every second.

Example:
  pome keys usage key_X5FQfLSUBaHoJ77k --days 7
`

// keysCmd is what every keys command shares: the flags, the signed-in
// client, where output goes.
type keysCmd struct {
	api    apiFlags
	team   string
	fs     *flag.FlagSet
	getenv env
	stdout io.Writer
	stderr io.Writer
}

func newKeysCmd(name, usage string, getenv env, stdout, stderr io.Writer) *keysCmd {
	k := &keysCmd{fs: newFlagSet("keys "+name, usage, stderr), getenv: getenv, stdout: stdout, stderr: stderr}
	k.api.register(k.fs)
	k.fs.StringVar(&k.team, "team", "", "slug of the team to act on (default: your default team)")
	return k
}

// parse parses args and checks that exactly want positional arguments
// (named what) were given.
func (k *keysCmd) parse(args []string, want int, what string) ([]string, error) {
	pos, err := parseInterspersed(k.fs, args, k.getenv, nil)
	if err != nil {
		return nil, err
	}
	switch {
	case len(pos) < want:
		k.fs.Usage()
		return nil, &usageError{msg: k.fs.Name() + ": missing " + what, quiet: true}
	case len(pos) > want:
		return nil, usagef("%s: unexpected argument %q", k.fs.Name(), pos[want])
	}
	return pos, nil
}

// client returns the signed-in client, bound to --team, and the
// translation of its errors.
func (k *keysCmd) client() (*client.Client, func(error) error, error) {
	base, err := k.api.base()
	if err != nil {
		return nil, nil, err
	}
	c, check, err := sessionClient(k.getenv, base)
	if err != nil {
		return nil, nil, err
	}
	if k.team != "" {
		c = c.ForTeam(k.team)
	}
	return c, check, nil
}

func keys(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return &usageError{msg: "keys: missing command", quiet: true}
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	sub, rest := args[0], args[1:]
	switch sub {
	case "list", "ls":
		return keysList(ctx, rest, getenv, stdout, stderr)
	case "create":
		return keysCreate(ctx, rest, getenv, stdout, stderr)
	case "revoke":
		return keysRevoke(ctx, rest, getenv, stdout, stderr)
	case "roll":
		return keysRoll(ctx, rest, getenv, stdout, stderr)
	case "usage":
		return keysUsageCmd(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, keysUsage)
		return nil
	}
	fmt.Fprint(stderr, keysUsage)
	return usagef("keys: unknown command %q", sub)
}

func keysList(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	k := newKeysCmd("list", keysListUsage, getenv, stdout, stderr)
	var status string
	k.fs.StringVar(&status, "status", "active", "which keys: active, revoked, expired or all")
	if _, err := k.parse(args, 0, ""); err != nil {
		return err
	}
	switch status {
	case "active", "revoked", "expired", "all":
	default:
		return usagef("keys list: --status must be active, revoked, expired or all, not %q", status)
	}
	c, check, err := k.client()
	if err != nil {
		return err
	}
	l, err := c.ListKeys(ctx, status)
	if err != nil {
		return check(err)
	}
	if k.api.json {
		return printJSON(stdout, l)
	}
	return printKeys(newOutput(stdout, getenv), l, status)
}

// printKeys writes the keys as a table for people.
func printKeys(out *output, l *client.KeyList, status string) error {
	if len(l.Keys) == 0 {
		what := status + " keys"
		if status == "all" {
			what = "keys"
		}
		_, err := fmt.Fprintf(out.w, "No %s.\n", what)
		return err
	}
	tw := newTable(out.w)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tROLE\tCREATED\tLAST USED\tUSAGE\tEXPIRES\tSTATUS")
	for _, key := range l.Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			key.ID, cell(key.Name), key.Prefix, key.Role, timeCell(key.CreatedAt),
			optTimeCell(key.LastUsed, "never"), key.UsageCount, optTimeCell(key.ExpiresAt, "never"),
			out.status(key.Status)) // last: its colors do not shift the columns
	}
	return tw.Flush()
}

// cell makes a name safe for a table cell: no tab or line break can shift
// the columns (names may not hold control characters; this is a net).
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// status colors a key status: green active, red revoked, yellow expired.
func (o *output) status(s pome.KeyStatus) string {
	switch s {
	case pome.KeyActive:
		return o.paint(ansiGreen, string(s))
	case pome.KeyRevoked:
		return o.paint(ansiRed, string(s))
	case pome.KeyExpired:
		return o.paint(ansiYellow, string(s))
	}
	return string(s)
}

func keysCreate(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	k := newKeysCmd("create", keysCreateUsage, getenv, stdout, stderr)
	var p client.CreateKeyParams
	var role string
	k.fs.StringVar(&p.Description, "description", "", "what the key is for (up to 500 characters)")
	k.fs.StringVar(&role, "role", "", "role of the key: owner, admin, developer or viewer (default: yours)")
	k.fs.IntVar(&p.ExpiresInDays, "expires-in-days", 0, "days until the key expires, 1 to 3650 (default: never)")
	pos, err := k.parse(args, 1, "NAME")
	if err != nil {
		return err
	}
	p.Name = pos[0]
	if role != "" {
		if p.Role = pome.Role(role); !p.Role.Valid() {
			return usagef("keys create: --role must be owner, admin, developer or viewer, not %q", role)
		}
	}
	if p.ExpiresInDays < 0 {
		return usagef("keys create: --expires-in-days must be 1 to 3650")
	}
	c, check, err := k.client()
	if err != nil {
		return err
	}
	created, err := c.CreateKey(ctx, p)
	if err != nil {
		return check(err)
	}
	if k.api.json {
		return printJSON(stdout, created)
	}
	expiry := "no expiry"
	if created.ExpiresAt != nil {
		expiry = "expires " + timeCell(*created.ExpiresAt)
	}
	what := fmt.Sprintf("Created key %s (%s, role %s, %s).", created.ID, cell(created.Name), created.Role, expiry)
	return showKeyOnce(newOutput(stdout, getenv), stderr, what, created.Key)
}

// showKeyOnce prints a key's plaintext, which no later command can show.
// At a terminal it comes with a notice; otherwise stdout holds the key
// alone, for `KEY=$(pome keys create ...)`, and the notice goes to stderr.
func showKeyOnce(out *output, stderr io.Writer, what, plaintext string) error {
	if !out.tty {
		fmt.Fprintf(stderr, "%s Pome shows the key only once: store it now.\n", what)
		_, err := fmt.Fprintln(out.w, plaintext)
		return err
	}
	_, err := fmt.Fprintf(out.w, "%s\n%s\n\n    %s\n\n", what,
		out.paint(ansiYellow, "Copy the key now: Pome shows it only once."), out.paint(ansiBold, plaintext))
	return err
}

func keysRevoke(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	k := newKeysCmd("revoke", keysRevokeUsage, getenv, stdout, stderr)
	pos, err := k.parse(args, 1, "ID")
	if err != nil {
		return err
	}
	c, check, err := k.client()
	if err != nil {
		return err
	}
	r, err := c.RevokeKey(ctx, pos[0])
	if err != nil {
		return check(err)
	}
	if k.api.json {
		return printJSON(stdout, r)
	}
	_, err = fmt.Fprintf(stdout, "Revoked key %s.\n", r.ID)
	return err
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

func keysRoll(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	k := newKeysCmd("roll", keysRollUsage, getenv, stdout, stderr)
	var grace string
	var p client.RollKeyParams
	k.fs.StringVar(&grace, "grace", "24h", "how long the old key keeps working, 0h to 168h")
	k.fs.IntVar(&p.ExpiresInDays, "expires-in-days", 0, "days until the new key expires, 1 to 3650 (default: never)")
	pos, err := k.parse(args, 1, "ID")
	if err != nil {
		return err
	}
	hours, err := parseGrace(grace)
	if err != nil {
		return err
	}
	p.ExpireOldInHours = &hours
	if p.ExpiresInDays < 0 {
		return usagef("keys roll: --expires-in-days must be 1 to 3650")
	}
	c, check, err := k.client()
	if err != nil {
		return err
	}
	r, err := c.RollKey(ctx, pos[0], p)
	if err != nil {
		return check(err)
	}
	if k.api.json {
		return printJSON(stdout, r)
	}
	old := "stops working now"
	if r.OldKey.Status == pome.KeyActive && r.OldKey.ExpiresAt != nil {
		old = "keeps working until " + timeCell(*r.OldKey.ExpiresAt) + " UTC"
	}
	what := fmt.Sprintf("Rolled key %s into %s (%s, role %s); the old key %s.", r.RolledFrom, r.ID, cell(r.Name), r.Role, old)
	return showKeyOnce(newOutput(stdout, getenv), stderr, what, r.Key)
}

func keysUsageCmd(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	k := newKeysCmd("usage", keysUsageUsage, getenv, stdout, stderr)
	var days int
	k.fs.IntVar(&days, "days", 30, "how many days, 1 to 90, today included")
	pos, err := k.parse(args, 1, "ID")
	if err != nil {
		return err
	}
	if days < 1 || days > 90 {
		return usagef("keys usage: --days must be 1 to 90")
	}
	c, check, err := k.client()
	if err != nil {
		return err
	}
	u, err := c.KeyUsage(ctx, pos[0], days)
	if err != nil {
		return check(err)
	}
	if k.api.json {
		return printJSON(stdout, u)
	}
	var peak int64
	for _, d := range u.Days {
		peak = max(peak, d.Count)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "DATE\tREQUESTS\t")
	for _, d := range u.Days {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", d.Date, d.Count, bar(d.Count, peak, 40))
	}
	fmt.Fprintf(tw, "total\t%d\t\n", u.Total())
	return tw.Flush()
}

// bar draws n against peak as up to width blocks; any use shows at least one.
func bar(n, peak int64, width int) string {
	if n <= 0 || peak <= 0 {
		return ""
	}
	w := max(int(n*int64(width)/peak), 1)
	return strings.Repeat("█", w)
}
