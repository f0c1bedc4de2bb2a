package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// The invitations of `pome members`: invite, invitations, uninvite.

func (a *app) membersInviteCmd(t *teamAPI) *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "invite EMAIL",
		Short: "invite a person to the team and print the one-time link to hand over",
		Long: `Invites EMAIL to the team with --role (default developer; owners invite any
role, admins developers and viewers) and prints the invitation link: it works
once, for 7 days, for that address only, by signing up or signing in through
it. It is shown only now; a new invitation of the same address replaces it.`,
		Example: "  pome members invite bob@example.com --role viewer",
		Args:    exactArgs("EMAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := parseRole("--role", role)
			if err != nil {
				return err
			}
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				inv, err := c.Invite(ctx, args[0], r)
				if err != nil {
					return err
				}
				return t.print(inv, func(out *output, _ bool) error {
					_, err := fmt.Fprintf(out.w, "Invited %s as %s (%s), until %s. Hand over this link privately:\n%s\n",
						printable(inv.Email), inv.Role, inv.ID, timeCell(inv.ExpiresAt), printable(inv.URL))
					return err
				})
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", string(pome.RoleDeveloper), "the role they join with: owner, admin, developer or viewer")
	cmd.RegisterFlagCompletionFunc("role", completeRoles)
	return cmd
}

func (a *app) membersInvitationsCmd(t *teamAPI) *cobra.Command {
	return &cobra.Command{
		Use:     "invitations",
		Short:   "list the team's pending invitations (owners and admins)",
		Example: "  pome members invitations --team acme",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				l, err := c.Invitations(ctx)
				if err != nil {
					return err
				}
				return t.print(l, func(out *output, wide bool) error {
					tb := newTable(column{title: "ID", drop: 1}, column{title: "EMAIL", truncate: true},
						column{title: "ROLE"}, column{title: "EXPIRES", drop: 2})
					for _, inv := range l.Invitations {
						tb.add(inv.ID, inv.Email, string(inv.Role), timeCell(inv.ExpiresAt))
					}
					return tb.write(out, wide)
				})
			})
		},
	}
}

func (a *app) membersUninviteCmd(t *teamAPI) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "uninvite INVITATION",
		Short: "revoke a pending invitation: its link stops working",
		Long: `Revokes the pending invitation with id INVITATION (inv_..., from members
invitations): its link stops working. At a terminal it asks first; without
one it needs --yes.`,
		Example: "  pome members uninvite inv_4Jx9V2mQ8rT1yZ3a --yes",
		Args:    exactArgs("INVITATION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				if err := a.confirm(cmd, yes, "Revoke the invitation "+printable(args[0])+"? Its link stops working."); err != nil {
					return err
				}
				r, err := c.RevokeInvitation(ctx, args[0])
				if err != nil {
					return err
				}
				return t.print(r, func(out *output, _ bool) error {
					_, err := fmt.Fprintf(out.w, "Revoked the invitation %s.\n", printable(r.ID))
					return err
				})
			})
		},
	}
	registerYes(cmd, &yes)
	return cmd
}
