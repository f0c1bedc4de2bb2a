package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
)

// platformPortalCmd is `pome platform portal-session`: a one-time link into
// the dashboard for one of the platform's users, printed alone on a line
// (for a script to hand to a browser), or as JSON with its expiry.
func (a *app) platformPortalCmd(p *platformAPI) *cobra.Command {
	var params client.CreatePortalSessionParams
	cmd := &cobra.Command{
		Use:   "portal-session",
		Short: "print a one-time link that signs a user in to a team's dashboard (portal:write)",
		Long: `Prints a link that signs --email in to the dashboard of --team, on its
API keys, without a password: the user is made (with no password) and
added to the team with --role if needed; a member keeps a higher role.
The link works once, for 5 minutes. --return-url, on one of the server's
--portal-return-origins, is where the dashboard's "Back to …" link goes.
The server needs --public-url.`,
		Example: `  pome platform portal-session --team tm_1a2B3c4D5e6F7g8H --email dev@example.com
  pome platform portal-session --team tm_1a2B3c4D5e6F7g8H --email dev@example.com --role admin --return-url https://app.example.com/settings`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if params.Team == "" || params.Email == "" {
				return usagef("give --team and --email")
			}
			return p.do(cmd, func(ctx context.Context, c *client.Client) error {
				s, err := c.CreatePortalSession(ctx, params)
				if err != nil {
					return err
				}
				if p.asJSON() {
					return printJSON(a.stdout, s)
				}
				_, err = fmt.Fprintln(a.stdout, s.URL)
				return err
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&params.Team, "team", "", "the team's `ID` (tm_...)")
	fs.StringVar(&params.Email, "email", "", "the user's email")
	fs.StringVar(&params.Role, "role", "developer", "their role in the team if they are new to it, or to raise theirs to: owner, admin, developer or viewer")
	fs.StringVar(&params.ReturnURL, "return-url", "", "your page the dashboard links back to")
	cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions([]cobra.Completion{"owner", "admin", "developer", "viewer"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
