package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// membersCmd is `pome members`: the people of a team and their roles. A
// member is named by email or user id (resolveMember).
func (a *app) membersCmd() *cobra.Command {
	t := &teamAPI{app: a}
	var yes bool
	remove := &cobra.Command{
		Use:   "remove MEMBER",
		Short: "remove a member from the team, revoking the keys they created or rolled in it",
		Long: `Removes a member (named by email or user id) from the team; the keys they
created in it, and those of others they rolled (whose plaintext they were
given), are revoked. Your own email or id: leave the team. At a terminal it
asks first; without one it needs --yes.`,
		Example: `  pome members remove bob@example.com --yes`,
		Args:    exactArgs("MEMBER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return t.withMember(cmd, args[0], func(ctx context.Context, c *client.Client, userID string) (any, string, error) {
				if err := a.confirm(cmd, yes, "Remove "+printable(args[0])+" from the team? The keys they created or rolled in it are revoked."); err != nil {
					return nil, "", err
				}
				r, err := c.RemoveMember(ctx, userID)
				if err != nil {
					return nil, "", err
				}
				return r, fmt.Sprintf("Removed %s; revoked %d of their keys.", printable(args[0]), len(r.RevokedKeys)), nil
			})
		},
	}
	registerYes(remove, &yes)
	return a.teamAPIGroup(t, "members <command>", "list the team's members, invite them, change their roles, remove them",
		`Manages the members of your team (owners and admins change them; anyone
may list them). A member is named by email or by user id (usr_...). People
join through an invitation link (members invite), by signing up or signing
in with the invited address.`,
		`  pome members list
  pome members invite bob@example.com --role developer
  pome members role bob@example.com admin`,
		&cobra.Command{
			Use:     "list",
			Aliases: []string{"ls"},
			Short:   "list the team's members and their roles",
			Example: "  pome members list --team acme",
			Args:    noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return t.do(cmd, func(ctx context.Context, c *client.Client) error {
					l, err := c.Members(ctx)
					if err != nil {
						return err
					}
					return t.print(l, func(out *output, wide bool) error {
						tb := newTable(column{title: "USER ID", drop: 1}, column{title: "EMAIL", truncate: true},
							column{title: "ROLE"}, column{title: "JOINED", drop: 2})
						for _, m := range l.Members {
							tb.add(m.UserID, m.Email, string(m.Role), timeCell(m.JoinedAt))
						}
						return tb.write(out, wide)
					})
				})
			},
		},
		a.membersInviteCmd(t),
		a.membersInvitationsCmd(t),
		a.membersUninviteCmd(t),
		&cobra.Command{
			Use:               "role MEMBER ROLE",
			Short:             "change a member's role (their keys' effective role follows)",
			Example:           "  pome members role bob@example.com admin",
			Args:              exactArgs("MEMBER", "ROLE"),
			ValidArgsFunction: completeSecond(completeRoles),
			RunE: func(cmd *cobra.Command, args []string) error {
				role, err := parseRole("ROLE", args[1])
				if err != nil {
					return err
				}
				return t.withMember(cmd, args[0], func(ctx context.Context, c *client.Client, userID string) (any, string, error) {
					m, err := c.SetMemberRole(ctx, userID, role)
					if err != nil {
						return nil, "", err
					}
					return m, fmt.Sprintf("%s is now %s.", printable(m.Email), m.Role), nil
				})
			},
		},
		remove,
	)
}

// withMember resolves ref to a member of the team and runs fn, then prints
// what fn returned: JSON, or its sentence for people.
func (t *teamAPI) withMember(cmd *cobra.Command, ref string, fn func(ctx context.Context, c *client.Client, userID string) (any, string, error)) error {
	return t.do(cmd, func(ctx context.Context, c *client.Client) error {
		userID, err := resolveMember(ctx, c, ref)
		if err != nil {
			return err
		}
		v, sentence, err := fn(ctx, c, userID)
		if err != nil {
			return err
		}
		return t.print(v, func(out *output, _ bool) error {
			_, err := fmt.Fprintln(out.w, sentence)
			return err
		})
	})
}

// parseRole checks a role given on the command line as what (a flag, an
// argument).
func parseRole(what, s string) (pome.Role, error) {
	r := pome.Role(strings.ToLower(s))
	if !r.Valid() {
		return "", usagef("%s must be owner, admin, developer or viewer, not %q", what, s)
	}
	return r, nil
}

// completeSecond completes the second argument with fn, the first not at all.
func completeSecond(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 1 {
			return fn(cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}
