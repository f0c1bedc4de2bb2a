package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
)

// auditCmd is `pome audit`: the team's audit log, newest first.
func (a *app) auditCmd() *cobra.Command {
	t := &teamAPI{app: a}
	var p client.AuditParams
	var all bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "show the team's audit log, newest first",
		Long: `Shows the team's audit log (owners and admins), newest first, one page of
--limit events (1 to 100); the next page is --cursor, which the end of
the table gives. --all fetches every page. --action and --target filter.`,
		Example: `  pome audit
  pome audit --action key.revoked --limit 100
  pome audit --target key_X5FQfLSUBaHoJ77k --all
  pome audit --all --json | jq -r '.events[] | select(.result == "failure") | .id'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p.Limit < 1 || p.Limit > account.MaxAuditLimit {
				return usagef("audit: --limit must be 1 to %d", account.MaxAuditLimit)
			}
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				page := &client.AuditPage{}
				if all {
					for e, err := range c.AuditEvents(ctx, p) {
						if err != nil {
							return err
						}
						page.Events = append(page.Events, e)
					}
				} else {
					var err error
					if page, err = c.Audit(ctx, p); err != nil {
						return err
					}
				}
				if err := t.print(page, func(out *output, wide bool) error { return printAudit(out, page, wide) }); err != nil {
					return err
				}
				if page.NextCursor != "" {
					// The cursor is a position: the next page needs the same
					// filters again.
					fmt.Fprintf(a.stderr, "More: %s\n", nextPage(cmd, "pome audit", []string{"team", "action", "target", "limit"}, page.NextCursor))
				}
				return nil
			})
		},
	}
	t.register(cmd, cmd.Flags())
	cmd.Flags().StringVar(&p.Action, "action", "", "only events of this `ACTION` (e.g. key.created, key.revoked, member.added)")
	cmd.Flags().StringVar(&p.Target, "target", "", "only events about this `ID` (a key, user or team id)")
	cmd.Flags().IntVar(&p.Limit, "limit", 50, fmt.Sprintf("events per page, 1 to %d", account.MaxAuditLimit))
	cmd.Flags().StringVar(&p.Cursor, "cursor", "", "the page after the one that gave this cursor")
	cmd.Flags().BoolVar(&all, "all", false, "every page, not just one")
	return cmd
}

// nextPage is the command line (command, e.g. "pome audit") of the page
// after this one: the flags of names as given, and the cursor.
func nextPage(cmd *cobra.Command, command string, names []string, cursor string) string {
	line := []string{command}
	for _, name := range names {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			line = append(line, "--"+name, shellQuote(f.Value.String()))
		}
	}
	return strings.Join(append(line, "--cursor", cursor), " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/=-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printAudit writes the events as a table.
func printAudit(out *output, page *client.AuditPage, wide bool) error {
	if len(page.Events) == 0 {
		_, err := fmt.Fprintln(out.w, "No events.")
		return err
	}
	t := newTable(column{title: "TIME"}, column{title: "ACTOR", drop: 3}, column{title: "ACTION"},
		column{title: "TARGET", drop: 4}, column{title: "RESULT", drop: 5}, column{title: "IP", drop: 2},
		column{title: "REQUEST", drop: 1})
	for _, e := range page.Events {
		target := "-"
		if e.Target != nil {
			target = e.Target.ID
		}
		actor := e.Actor.ID
		if actor == "" {
			actor = e.Actor.Type
		}
		t.add(e.Time.UTC().Format("2006-01-02 15:04:05"), actor, e.Action, target, e.Result, e.IP, e.RequestID)
	}
	return t.write(out, wide)
}
