package main

import (
	"context"

	"github.com/pomehq/pome/client"
	"github.com/spf13/cobra"
)

// teamsCmd is `pome teams`: the signed-in user's teams and their default.
func (a *app) teamsCmd() *cobra.Command {
	t := &teamAPI{app: a}
	cmd := &cobra.Command{
		Use:   "teams",
		Short: "list your teams, your role in each, and your default team",
		Long: `Lists the teams you are a member of, with your role, their plan and
status; * marks your default team, the one commands act on without --team.`,
		Example: `  pome teams
  pome teams --json | jq -r '.teams[].slug'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				s, err := c.Session(ctx)
				if err != nil {
					return err
				}
				return t.print(s, func(out *output, wide bool) error {
					tb := newTable(column{title: ""}, column{title: "SLUG"}, column{title: "NAME", truncate: true},
						column{title: "ROLE"}, column{title: "PLAN", drop: 2}, column{title: "STATUS", drop: 1}, column{title: "ID", drop: 3})
					for _, tm := range s.Teams {
						mark := ""
						if tm.Slug == s.DefaultTeam {
							mark = "*"
						}
						tb.add(mark, tm.Slug, tm.Name, string(tm.Role), tm.PlanTier, tm.Status, tm.ID)
					}
					return tb.write(out, wide)
				})
			})
		},
	}
	t.server.register(cmd.Flags())
	t.out.register(cmd.Flags(), true)
	return cmd
}
