package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/servicetoken"
)

// serviceTokenCmd is `pome admin service-token`: the tokens that backends
// send to POST /v1/keys/verify.
func (a *app) serviceTokenCmd(st *storageFlags) *cobra.Command {
	// with opens the store and runs fn with the token service.
	with := func(cmd *cobra.Command, fn func(*servicetoken.Service) error) error {
		return withStore(cmd, st, func(store pome.Store) error { return fn(servicetoken.New(store, time.Now)) })
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
	return a.group("service-token <command>", "create, list and revoke the service tokens of platforms' backends",
		`Manages the service tokens that a platform's backends send
(Authorization: Bearer pst_...) to Pome's API: to POST /v1/keys/verify, and
to the platform API within their scopes. A token is shown once, at
creation; only its digest is stored. Creations and revocations are in the
audit log, by the system actor. See docs/api.md.`,
		`  TOKEN=$(pome admin service-token create billing-service)
  pome admin service-token revoke stk_1a2B3c4D5e6F7g8H --yes`,
		a.serviceTokenCreateCmd(with),
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
					t := newTable(column{title: "ID"}, column{title: "NAME", truncate: true}, column{title: "SCOPES", truncate: true},
						column{title: "PREFIX", drop: 1}, column{title: "CREATED", drop: 2}, column{title: "STATUS"})
					for _, tok := range list {
						status := "active"
						if tok.RevokedAt != nil {
							status = "revoked " + timeCell(*tok.RevokedAt)
						}
						t.add(tok.ID, tok.Name, pome.JoinScopes(tok.Scopes), tok.Prefix, timeCell(tok.CreatedAt), status)
					}
					return t.write(newOutput(a.stdout, a.getenv), false)
				})
			},
		},
		revoke,
	)
}

// serviceTokenCreateCmd is `pome admin service-token create`.
func (a *app) serviceTokenCreateCmd(with func(*cobra.Command, func(*servicetoken.Service) error) error) *cobra.Command {
	var scopes []string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "make a service token (shown once, on stdout)",
		Long: `Makes a service token named NAME and prints it once. --scope says what it
may do (repeatable, or comma-separated); without it, verify keys
(keys:verify) and nothing else. "all" grants every scope, later ones too.`,
		Example: `  TOKEN=$(pome admin service-token create billing-service)
  pome admin service-token create provisioning --scope keys:read,keys:write,teams:write`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := pome.ParseScopes(scopes); err != nil {
				return usagef("--scope: %s", pome.AsError(err).Message)
			}
			return with(cmd, func(tokens *servicetoken.Service) error {
				c, err := tokens.Create(cmd.Context(), args[0], scopes)
				if err != nil {
					return err
				}
				return a.showKeyOnce("token", fmt.Sprintf("Created service token %s (%s), scopes %s.",
					c.Token.ID, printable(c.Token.Name), pome.JoinScopes(c.Token.Scopes)), c.Plaintext)
			})
		},
	}
	cmd.Flags().StringSliceVar(&scopes, "scope", nil, "what the token may do (repeatable): `SCOPE` is one of "+strings.Join(pome.ScopeNames(), ", "))
	cmd.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions(pome.ScopeNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
