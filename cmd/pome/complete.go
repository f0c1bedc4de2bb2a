package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// Shell completion: cobra completes commands and flags itself (pome
// completion bash|zsh|fish). These complete values: roles and statuses
// from fixed lists, and key ids and team slugs by asking the signed-in
// server, quickly, and quietly: a completion that cannot reach the server
// offers nothing rather than an error.

// completionTimeout bounds a completion's call: a person is waiting at the
// prompt.
const completionTimeout = 2 * time.Second

// completeKeys offers the ids of the team's newest keys (a page of 100),
// with their names and statuses as descriptions, for the first argument.
func (a *app) completeKeys(t *teamAPI) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		a.completeWith(cmd, t, func(ctx context.Context, c *client.Client) error {
			// The newest page only: a prompt waits, and each page spends
			// the list_keys rate limit. An older key is named by its name.
			l, err := c.ListKeys(ctx, client.KeyListOptions{Status: "all", Limit: client.MaxKeyListLimit})
			if err != nil {
				return err
			}
			for _, k := range l.Keys {
				out = append(out, cobra.CompletionWithDesc(k.ID, printable(k.Name)+", "+string(k.Status)))
			}
			return nil
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTeams offers the slugs of the signed-in user's teams.
func (a *app) completeTeams(t *teamAPI) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		a.completeWith(cmd, t, func(ctx context.Context, c *client.Client) error {
			s, err := c.Session(ctx)
			if err != nil {
				return err
			}
			for _, tm := range s.Teams {
				out = append(out, cobra.CompletionWithDesc(tm.Slug, printable(tm.Name)+", "+string(tm.Role)))
			}
			return nil
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeWith calls fn with the signed-in client of cmd's flags and
// environment; any failure leaves the completion empty.
func (a *app) completeWith(cmd *cobra.Command, t *teamAPI, fn func(context.Context, *client.Client) error) {
	if a.applyEnv(cmd) != nil {
		return
	}
	c, _, err := t.client()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	_ = fn(ctx, c) // nothing to offer; the prompt stays as typed
}

// completeRoles offers the roles of a key or a member.
func completeRoles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{string(pome.RoleOwner), string(pome.RoleAdmin), string(pome.RoleDeveloper), string(pome.RoleViewer)},
		cobra.ShellCompDirectiveNoFileComp
}
