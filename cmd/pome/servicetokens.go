package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/node"
	"github.com/pomehq/pome/internal/servicetoken"
)

// serviceTokenCmd is `pome admin service-token`: the tokens that backends
// send to POST /v1/keys/verify.
func (a *app) serviceTokenCmd(st *storageFlags) *cobra.Command {
	// with opens the store and runs fn with the token service.
	with := func(cmd *cobra.Command, fn func(*servicetoken.Service) error) error {
		if err := st.check(); err != nil {
			return err
		}
		store, err := node.OpenStore(cmd.Context(), st.storage(false))
		if err != nil {
			return err
		}
		defer store.Close()
		return fn(servicetoken.New(store, time.Now))
	}
	var yes bool
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "stop a service token",
		Long: `Revokes a service token: every running server refuses it within a second.
At a terminal it asks first; without one it needs --yes.`,
		Example: "  pome admin service-token revoke stk_1a2B3c4D5e6F7g8H --yes",
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd, func(tokens *servicetoken.Service) error {
				if err := a.confirm(cmd, yes, "Revoke service token "+args[0]+"? Backends that send it are refused."); err != nil {
					return err
				}
				tok, err := tokens.Revoke(cmd.Context(), args[0])
				if errors.Is(err, pome.ErrServiceTokenNotFound) {
					return fmt.Errorf("no service token with id %q", args[0])
				}
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "Revoked service token %s (%s).\n", tok.ID, printable(tok.Name))
				return err
			})
		},
	}
	registerYes(revoke, &yes)
	return a.group("service-token <command>", "create, list and revoke the service tokens of the verify endpoint",
		`Manages the service tokens that backends send (Authorization: Bearer
pst_...) to POST /v1/keys/verify. A token is shown once, at creation; only
its digest is stored. Creations and revocations are in the audit log, by
the system actor. See docs/protect.md.`,
		`  TOKEN=$(pome admin service-token create billing-service)
  pome admin service-token revoke stk_1a2B3c4D5e6F7g8H --yes`,
		&cobra.Command{
			Use:     "create NAME",
			Short:   "make a token for POST /v1/keys/verify (shown once, on stdout)",
			Example: "  TOKEN=$(pome admin service-token create billing-service)",
			Args:    exactArgs("NAME"),
			RunE: func(cmd *cobra.Command, args []string) error {
				return with(cmd, func(tokens *servicetoken.Service) error {
					c, err := tokens.Create(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					return a.showKeyOnce("token", fmt.Sprintf("Created service token %s (%s).", c.Token.ID, printable(c.Token.Name)), c.Plaintext)
				})
			},
		},
		&cobra.Command{
			Use:     "list",
			Aliases: []string{"ls"},
			Short:   "list service tokens",
			Example: "  pome admin service-token list",
			Args:    noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return with(cmd, func(tokens *servicetoken.Service) error {
					list, err := tokens.List(cmd.Context())
					if err != nil {
						return err
					}
					if len(list) == 0 {
						_, err := fmt.Fprintln(a.stdout, "No service tokens.")
						return err
					}
					t := newTable(column{title: "ID"}, column{title: "NAME", truncate: true}, column{title: "PREFIX", drop: 1},
						column{title: "CREATED", drop: 2}, column{title: "STATUS"})
					for _, tok := range list {
						status := "active"
						if tok.RevokedAt != nil {
							status = "revoked " + timeCell(*tok.RevokedAt)
						}
						t.add(tok.ID, tok.Name, tok.Prefix, timeCell(tok.CreatedAt), status)
					}
					return t.write(newOutput(a.stdout, a.getenv), false)
				})
			},
		},
		revoke,
	)
}
