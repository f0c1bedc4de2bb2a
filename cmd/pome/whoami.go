package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/client"
)

func (a *app) whoamiCmd() *cobra.Command {
	var token string
	var server serverFlag
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "show who an API key belongs to, or who you are signed in as",
		Long: `Shows the user, team and key an API key belongs to, by calling GET /v1/me.
The key is read from --token, else POME_API_KEY (or POME_TOKEN); prefer the
environment, since a flag shows in the process list and shell history.

With no key, it shows who you are signed in as with pome login (GET
/api/session), and says so: --json then prints the session's shape.`,
		Example: `  POME_API_KEY=pme_... pome whoami --api-url https://pome.example.com
  pome whoami --json | jq -r .team.slug
  pome whoami          # no key: the signed-in session`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := server.base(a)
			if err != nil {
				return err
			}
			ctx, cancel := withTimeout(cmd)
			defer cancel()
			token = strings.TrimSpace(token)
			if token == "" {
				return a.whoamiSession(cmd, base, out.json)
			}
			c := client.New(base, client.WithAPIKey(token), client.WithUserAgent(userAgent))
			m, err := c.Me(ctx)
			if err != nil {
				return err
			}
			if out.json {
				return printJSON(a.stdout, m)
			}
			_, err = fmt.Fprintf(a.stdout, "user  %s (%s)\nteam  %s, plan %s\nkey   %s (%s…), role %s\n",
				printable(m.User.Email), m.User.ID, m.Team.Slug, m.Team.PlanTier, printable(m.APIKey.Name), m.APIKey.Prefix, m.APIKey.Role)
			return err
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "API key to use (default $POME_API_KEY)")
	cmd.Flags().SetAnnotation("token", envAnnotation, []string{"POME_API_KEY"})
	server.register(cmd.Flags())
	out.register(cmd.Flags(), false)
	return cmd
}

// whoamiSession shows who the stored session of base is, when whoami was
// given no key.
func (a *app) whoamiSession(cmd *cobra.Command, base string, asJSON bool) error {
	c, check, err := sessionClient(a.getenv, base)
	if _, dirErr := configDir(a.getenv); errors.As(err, new(*usageError)) || dirErr != nil {
		return usagef("no API key (set POME_API_KEY or pass --token), and not logged in to %s (pome login)", base)
	}
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(cmd)
	defer cancel()
	s, err := c.Session(ctx)
	if err != nil {
		return check(err)
	}
	fmt.Fprintf(a.stderr, "No API key given: this is the signed-in session of %s.\n", base)
	if asJSON {
		return printJSON(a.stdout, s)
	}
	team := s.DefaultTeam
	for _, t := range s.Teams {
		if t.Slug == s.DefaultTeam {
			team = fmt.Sprintf("%s, plan %s, role %s", t.Slug, t.PlanTier, t.Role)
		}
	}
	_, err = fmt.Fprintf(a.stdout, "user  %s (%s)\nteam  %s (your default; teams in all: %d)\nvia   session of pome login\n",
		printable(s.User.Email), s.User.ID, team, len(s.Teams))
	return err
}
