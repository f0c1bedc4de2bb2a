package main

import (
	"context"

	"github.com/pomehq/pome/client"
	"github.com/spf13/cobra"
)

// usageCmd is `pome usage`: the team's daily verifications by outcome.
func (a *app) usageCmd() *cobra.Command {
	t := &teamAPI{app: a}
	var days int
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "daily verifications of the team's keys, by outcome",
		Long: `Shows the team's daily verifications by outcome, summed over its keys
(owners and admins: every key; developers: their own; viewers see no keys,
so no usage), oldest day first, for the last --days days (1 to 90) in UTC,
in the columns of pome keys usage KEY, which shows one key's. Counts are
written about every second.`,
		Example: `  pome usage --days 7
  pome usage --team acme --json | jq '[.days[].rate_limited] | add'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 90 {
				return usagef("usage: --days must be 1 to 90")
			}
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				u, err := c.TeamUsage(ctx, days)
				if err != nil {
					return err
				}
				return t.print(u, func(out *output, _ bool) error { return printUsage(out, u.Days) })
			})
		},
	}
	t.register(cmd, cmd.Flags())
	registerDays(cmd, &days)
	return cmd
}
