package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
)

// userSessionsCmd is `pome sessions`: where you are signed in, on the
// server (not sessions.go, this machine's stored login tokens).
func (a *app) userSessionsCmd() *cobra.Command {
	// A teamAPI without --team: sessions are the user's, not a team's.
	t := &teamAPI{app: a}
	g := a.group("sessions <command>", "list where you are signed in, end a session",
		`Lists your sessions on the server (each browser and each pome login) and ends
them. A session is named by its id (ses_...), never by its token.`,
		`  pome sessions list
  pome sessions end ses_3bH9pL6wS2dY5aQe`,
		&cobra.Command{
			Use:     "list",
			Aliases: []string{"ls"},
			Short:   "list your sessions, newest first; * marks this one",
			Example: "  pome sessions list -o wide",
			Args:    noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return t.do(cmd, func(ctx context.Context, c *client.Client) error {
					l, err := c.ListSessions(ctx)
					if err != nil {
						return err
					}
					return t.print(l, func(out *output, wide bool) error {
						tb := newTable(column{title: "ID"}, column{title: "SIGNED IN"}, column{title: "LAST SEEN", drop: 2},
							column{title: "IP", drop: 1}, column{title: "USER AGENT", drop: 3, truncate: true}, column{title: "THIS"})
						for _, s := range l.Sessions {
							this := ""
							if s.Current {
								this = "*"
							}
							tb.add(s.ID, timeCell(s.CreatedAt), timeCell(s.LastSeen), s.IP, s.UserAgent, this)
						}
						return tb.write(out, wide)
					})
				})
			},
		},
		&cobra.Command{
			Use:   "end ID",
			Short: "end one of your sessions (ses_...), at once",
			Long: `Ends one of your sessions, named by its id from pome sessions list: the
browser or machine it belongs to is signed out at its next request. Ending
this session signs this machine out of the server.`,
			Example: "  pome sessions end ses_3bH9pL6wS2dY5aQe",
			Args:    exactArgs("ID"),
			RunE: func(cmd *cobra.Command, args []string) error {
				return t.do(cmd, func(ctx context.Context, c *client.Client) error {
					if err := c.EndSession(ctx, args[0]); err != nil {
						return err
					}
					return t.print(client.Success{Success: true}, func(out *output, _ bool) error {
						_, err := fmt.Fprintf(out.w, "Ended session %s.\n", printable(args[0]))
						return err
					})
				})
			},
		},
	)
	t.server.register(g.PersistentFlags())
	t.out.register(g.PersistentFlags(), true)
	return g
}
