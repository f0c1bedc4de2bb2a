package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
)

// asJSON reports whether the output is JSON (do has checked -o).
func (p *platformAPI) asJSON() bool {
	mode, _ := p.out.mode()
	return mode == "json"
}

// printKey prints a key of the platform API, every field and policy.
func (p *platformAPI) printKey(k *client.Key) error {
	t := &teamAPI{app: p.app, out: p.out}
	return t.print(k, func(out *output, _ bool) error {
		tb := newTable(column{title: "FIELD"}, column{title: "VALUE", truncate: true})
		rl := "the plan's"
		if k.RateLimit != nil {
			rl = fmt.Sprintf("%d per %ds", k.RateLimit.Limit, k.RateLimit.WindowSeconds)
		}
		orNone := func(s []string) string {
			if len(s) == 0 {
				return "-"
			}
			return strings.Join(s, ", ")
		}
		for _, f := range [][2]string{
			{"id", k.ID}, {"name", k.Name}, {"description", k.Description}, {"team", k.TeamID}, {"prefix", k.Prefix},
			{"role", string(k.Role)}, {"environment", k.Environment}, {"status", string(k.Status)},
			{"enabled", strconv.FormatBool(k.Enabled)},
			{"created", timeCell(k.CreatedAt) + " by " + k.CreatedBy},
			{"last used", optTimeCell(k.LastUsed, "never")}, {"expires", optTimeCell(k.ExpiresAt, "never")},
			{"usage", strconv.FormatInt(k.UsageCount, 10) + " requests"},
			{"scopes", orNone(k.Scopes)}, {"rate limit", rl}, {"allowed cidrs", orNone(k.AllowedCIDRs)},
			{"meta", string(k.Meta)}, {"credits", creditsCell(k.Credits)},
		} {
			tb.add(f[0], f[1])
		}
		return tb.write(out, false)
	})
}

func (a *app) platformKeysCmd(p *platformAPI) *cobra.Command {
	return a.group("keys <command>", "create, read, change, revoke and roll any team's keys, and show their usage (platform API)",
		`Manages the API keys of any team through the platform API, with every
policy: keys:read to read them, keys:write to create, change, revoke or
roll one. A key made here is created by the service token (created_by is
its stk_ id) and its role defaults to developer.`,
		`  KEY=$(pome platform keys create tm_1a2B3c4D5e6F7g8H acme-prod --scope docs:read --rate-limit 100/60s)
  pome platform keys list tm_1a2B3c4D5e6F7g8H --status all`,
		a.platformKeysCreateCmd(p), a.platformKeysGetCmd(p), a.platformKeysListCmd(p),
		a.platformKeysUpdateCmd(p), a.platformKeysRevokeCmd(p), a.platformKeysRollCmd(p), a.platformKeysUsageCmd(p))
}

func (a *app) platformKeysCreateCmd(p *platformAPI) *cobra.Command {
	var f keyPolicyFlags
	var role string
	cmd := &cobra.Command{
		Use:   "create TEAM_ID NAME",
		Short: "create a key for a team and print it, this once (keys:write)",
		Long: `Creates a key named NAME for the team TEAM_ID and prints it. Pome shows a
key once: store it now. When stdout is not a terminal, the key alone is
printed on it (the notice goes to stderr). --role defaults to developer.
--rate-limit is N/WINDOW: 100/60s is 100 requests per 60 seconds.`,
		Example: `  KEY=$(pome platform keys create tm_1a2B3c4D5e6F7g8H acme-prod --expires-in-days 90)
  pome platform keys create tm_1a2B3c4D5e6F7g8H acme-ci --environment test --scope docs:read --scope docs:write \
    --rate-limit 100/60s --allowed-cidr 10.0.0.0/8 --meta '{"customer":"cus_123"}' --json`,
		Args: exactArgs("TEAM_ID", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			params := client.CreateKeyParams{Name: args[1]}
			if err := f.fillCreate(cmd, &params); err != nil {
				return err
			}
			if role != "" {
				var err error
				if params.Role, err = parseRole("--role", role); err != nil {
					return err
				}
			}
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				k, err := c.CreatePlatformKey(ctx, args[0], params)
				if err != nil {
					return err
				}
				if p.asJSON() {
					return printJSON(a.stdout, k)
				}
				what := fmt.Sprintf("Created key %s (%s, role %s, %s) for team %s.", k.ID, printable(k.Name), k.Role, k.Environment, k.TeamID)
				return a.showKeyOnce("key", what, k.Key)
			})
		},
	}
	f.registerCreate(cmd, "never")
	cmd.Flags().StringVar(&role, "role", "", "role of the key: owner, admin, developer or viewer (default developer)")
	cmd.RegisterFlagCompletionFunc("role", completeRoles)
	return cmd
}

func (a *app) platformKeysGetCmd(p *platformAPI) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY_ID",
		Short: "show any team's key, every field and policy (keys:read)",
		Example: `  pome platform keys get key_X5FQfLSUBaHoJ77k
  pome platform keys get key_X5FQfLSUBaHoJ77k --json | jq .scopes`,
		Args: exactArgs("KEY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				k, err := c.PlatformKey(ctx, args[0])
				if err != nil {
					return err
				}
				return p.printKey(k)
			})
		},
	}
}

func (a *app) platformKeysListCmd(p *platformAPI) *cobra.Command {
	var o client.KeyListOptions
	var all bool
	cmd := &cobra.Command{
		Use:     "list TEAM_ID",
		Aliases: []string{"ls"},
		Short:   "list a team's keys (active ones unless --status), a page at a time (keys:read)",
		Long: `Lists the keys of the team TEAM_ID, newest first: one page of --limit keys
(1 to 100); the next page is --cursor, which the end of the listing gives
(on stderr). --all fetches every page.`,
		Example: `  pome platform keys list tm_1a2B3c4D5e6F7g8H
  pome platform keys list tm_1a2B3c4D5e6F7g8H --all --status all --json | jq -r '.keys[].id'`,
		Args: exactArgs("TEAM_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkKeyListFlags("platform keys list", o, all); err != nil {
				return err
			}
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				l, err := listPlatformKeys(ctx, c, args[0], o, all)
				if err != nil {
					return err
				}
				t := &teamAPI{app: a, out: p.out}
				err = t.print(l, func(out *output, wide bool) error {
					return printKeys(out, &client.KeyList{Keys: l.Keys}, o.Status, wide)
				})
				if err == nil && l.NextCursor != "" {
					fmt.Fprintf(a.stderr, "%d keys. More: %s\n", len(l.Keys),
						nextPage(cmd, "pome platform keys list "+args[0], []string{"status", "search", "limit"}, l.NextCursor))
				}
				return err
			})
		},
	}
	registerKeyListFlags(cmd, &o, &all)
	return cmd
}

// listPlatformKeys is one page of the team's keys as o asks, or with all
// every key of o.Status in one list.
func listPlatformKeys(ctx context.Context, c *client.Client, teamID string, o client.KeyListOptions, all bool) (*client.PlatformKeyList, error) {
	if !all {
		return c.PlatformKeys(ctx, teamID, o)
	}
	l := &client.PlatformKeyList{Keys: []client.Key{}}
	for k, err := range c.AllPlatformKeys(ctx, teamID, o.Status) {
		if err != nil {
			return nil, err
		}
		l.Keys = append(l.Keys, k)
	}
	return l, nil
}

func (a *app) platformKeysUpdateCmd(p *platformAPI) *cobra.Command {
	var f keyPolicyFlags
	cmd := &cobra.Command{
		Use:   "update KEY_ID",
		Short: "change a key's name, description, expiry or policies (keys:write)",
		Long: `Changes what the flags say and nothing else. --scope and --allowed-cidr
replace the whole list (repeat them for several); --clear-meta,
--clear-scopes, --clear-rate-limit and --clear-cidrs remove the field (no
rate limit of its own: the plan's), --no-expiry the expiry. --disable
refuses every use of the key until --enable. A change reaches every node
within a second.`,
		Example: `  pome platform keys update key_X5FQfLSUBaHoJ77k --rate-limit 1000/1h --scope docs:read --scope docs:write
  pome platform keys update key_X5FQfLSUBaHoJ77k --clear-rate-limit --disable`,
		Args: exactArgs("KEY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var u client.UpdateKeyParams
			if err := f.fillUpdate(cmd, &u); err != nil {
				return err
			}
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				k, err := c.UpdatePlatformKey(ctx, args[0], u)
				if err != nil {
					return err
				}
				return p.printKey(k)
			})
		},
	}
	f.registerUpdate(cmd)
	return cmd
}

func (a *app) platformKeysRevokeCmd(p *platformAPI) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "revoke any team's key; its very next use is refused (keys:write)",
		Long: `Revokes a key: its very next request is refused (403 key_revoked).
Revoking a revoked key succeeds again. At a terminal it asks first; --yes
skips the question, and without a terminal --yes is required.`,
		Example: `  pome platform keys revoke key_X5FQfLSUBaHoJ77k --yes`,
		Args:    exactArgs("KEY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				if err := a.confirm(cmd, yes, "Revoke key "+args[0]+"? Its next request is refused."); err != nil {
					return err
				}
				r, err := c.RevokePlatformKey(ctx, args[0])
				if err != nil {
					return err
				}
				if p.asJSON() {
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

func (a *app) platformKeysRollCmd(p *platformAPI) *cobra.Command {
	var grace, expiresAt string
	var yes bool
	var params client.RollKeyParams
	cmd := &cobra.Command{
		Use:   "roll KEY_ID",
		Short: "replace any team's key; the old one works for --grace (keys:write)",
		Long: `Replaces a key with a new one, which has every field and policy of the
old one, and its lifetime from now unless --expires-in-days or
--expires-at; prints the new key, once. The old key keeps working for
--grace (whole hours, 0h to 168h; default 24h). With --grace 0h the old
key stops at once: at a terminal that asks first, and without a terminal
it needs --yes.`,
		Example: `  NEW=$(pome platform keys roll key_X5FQfLSUBaHoJ77k --grace 1h)
  pome platform keys roll key_X5FQfLSUBaHoJ77k --grace 0h --yes --json`,
		Args: exactArgs("KEY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			hours, err := parseGrace(grace)
			if err != nil {
				return err
			}
			params.ExpireOldInHours = &hours
			if params.ExpiresInDays < 0 {
				return usagef("platform keys roll: --expires-in-days must be 1 to 3650")
			}
			if expiresAt != "" {
				t, err := parseExpiresAt("platform keys roll", expiresAt)
				if err != nil {
					return err
				}
				params.ExpiresAt = &t
			}
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				if hours == 0 {
					if err := a.confirm(cmd, yes, "Roll key "+args[0]+" with no grace? The old key stops now."); err != nil {
						return err
					}
				}
				r, err := c.RollPlatformKey(ctx, args[0], params)
				if err != nil {
					return err
				}
				return a.showRolled(r, p.asJSON())
			})
		},
	}
	registerRollFlags(cmd, &grace, &params)
	cmd.Flags().StringVar(&expiresAt, "expires-at", "", "when the new key expires, RFC 3339 (instead of --expires-in-days)")
	registerYes(cmd, &yes)
	return cmd
}
