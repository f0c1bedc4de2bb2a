package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
)

// The platform API's usage: any team's key's, or any team's, daily
// verifications by outcome, printed as pome keys usage prints them.

func (a *app) platformKeysUsageCmd(p *platformAPI) *cobra.Command {
	return p.usageCmd("usage KEY_ID", "KEY_ID", "daily verifications of any team's key, by outcome (keys:read)",
		`Shows the key's daily verifications by outcome, oldest day first, for the
last --days days (1 to 90) in UTC, in the columns of pome keys usage.`,
		`  pome platform keys usage key_X5FQfLSUBaHoJ77k --days 7
  pome platform keys usage key_X5FQfLSUBaHoJ77k --json | jq '[.days[].rate_limited] | add'`,
		func(ctx context.Context, c *client.Client, id string, days int) (any, []client.UsageDay, error) {
			u, err := c.PlatformKeyUsage(ctx, id, days)
			if err != nil {
				return nil, nil, err
			}
			return u, u.Days, nil
		})
}

func (a *app) platformTeamsUsageCmd(p *platformAPI) *cobra.Command {
	return p.usageCmd("usage TEAM_ID", "TEAM_ID", "daily verifications of a team's keys, by outcome (keys:read)",
		`Shows the daily verifications by outcome of every key of the team, revoked
and expired ones included, summed, for the last --days days (1 to 90) in
UTC, in the columns of pome keys usage.`,
		`  pome platform teams usage tm_1a2B3c4D5e6F7g8H --days 7`,
		func(ctx context.Context, c *client.Client, id string, days int) (any, []client.UsageDay, error) {
			u, err := c.PlatformTeamUsage(ctx, id, days)
			if err != nil {
				return nil, nil, err
			}
			return u, u.Days, nil
		})
}

// usageCmd is a platform usage command of one argument, the id get reads
// the usage of.
func (p *platformAPI) usageCmd(use, arg, short, long, example string,
	get func(ctx context.Context, c *client.Client, id string, days int) (any, []client.UsageDay, error)) *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		Args: exactArgs(arg),
		RunE: func(cmd *cobra.Command, args []string) error {
			if days < 1 || days > 90 {
				return usagef("%s: --days must be 1 to 90", cmd.CommandPath())
			}
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				v, usage, err := get(ctx, c, args[0], days)
				if err != nil {
					return err
				}
				t := &teamAPI{app: p.app, out: p.out}
				return t.print(v, func(out *output, _ bool) error { return printUsage(out, usage) })
			})
		},
	}
	registerDays(cmd, &days)
	return cmd
}
