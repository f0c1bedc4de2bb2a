package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pomehq/pome/client"
)

// platformAPI is what every `pome platform` command shares: the server, a
// service token and the output flags.
type platformAPI struct {
	app    *app
	server serverFlag
	out    outputFlags
	token  string
}

func (p *platformAPI) register(fs *pflag.FlagSet) {
	p.server.register(fs)
	p.out.register(fs, true)
	fs.StringVar(&p.token, "service-token", "", "service token (pst_...) with the scopes the command needs; prefer $POME_SERVICE_TOKEN")
}

// do runs fn with a client authenticated by the service token.
func (p *platformAPI) do(cmd *cobra.Command, fn func(ctx context.Context, c *client.Client) error) error {
	if _, err := p.out.mode(); err != nil {
		return err
	}
	token := strings.TrimSpace(p.token)
	if token == "" {
		return usagef("no service token: set POME_SERVICE_TOKEN (or pass --service-token); make one with pome admin service-token create")
	}
	base, err := p.server.base(p.app)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(cmd)
	defer cancel()
	return fn(ctx, client.New(base, client.WithServiceToken(token), client.WithUserAgent(userAgent)))
}

// printTeam prints a team of the platform API.
func (p *platformAPI) printTeam(t *client.PlatformTeam) error {
	t2 := &teamAPI{app: p.app, out: p.out}
	return t2.print(t, func(out *output, wide bool) error {
		tb := newTable(column{title: "ID"}, column{title: "SLUG"}, column{title: "NAME", truncate: true},
			column{title: "PLAN"}, column{title: "STATUS"}, column{title: "EXTERNAL ID", truncate: true, drop: 1},
			column{title: "CREATED", drop: 2})
		ext := ""
		if t.ExternalID != nil {
			ext = *t.ExternalID
		}
		tb.add(t.ID, t.Slug, t.Name, t.PlanTier, t.Status, ext, timeCell(t.CreatedAt))
		return tb.write(out, wide)
	})
}

// platformCmd is `pome platform`: the platform API, for a platform's
// operators and scripts.
func (a *app) platformCmd() *cobra.Command {
	p := &platformAPI{app: a}
	g := a.group("platform <command>", "drive Pome as a platform's backend does, with a service token",
		`Calls the platform API (docs/api.md, "Platform API") with a service token
made by pome admin service-token create, read from POME_SERVICE_TOKEN (or
--service-token). Each command needs its scope: teams:read to read a team,
teams:write to create or change one; keys:read to read keys, keys:write
to create, change, revoke or roll one; portal:write for a portal session.`,
		`  export POME_SERVICE_TOKEN=$(pome admin service-token create provisioning --scope teams:read,teams:write)
  pome platform teams create "Acme Inc" --external-id cus_123 --plan pro`,
		a.platformTeamsCmd(p),
		a.platformKeysCmd(p),
		a.platformPortalCmd(p),
	)
	p.register(g.PersistentFlags())
	return g
}

func (a *app) platformTeamsCmd(p *platformAPI) *cobra.Command {
	create := func() *cobra.Command {
		var params client.CreateTeamParams
		cmd := &cobra.Command{
			Use:   "create NAME",
			Short: "make a team with no member (teams:write)",
			Long: `Makes a team named NAME with no member. Its slug is made from the name
unless --slug; --external-id is your own id of the customer, unique, by
which pome platform teams get --external-id finds it.`,
			Example: `  pome platform teams create "Acme Inc" --external-id cus_123 --plan pro`,
			Args:    exactArgs("NAME"),
			RunE: func(cmd *cobra.Command, args []string) error {
				params.Name = args[0]
				return p.do(cmd, func(ctx context.Context, c *client.Client) error {
					t, err := c.CreateTeam(ctx, params)
					if err != nil {
						return err
					}
					return p.printTeam(t)
				})
			},
		}
		cmd.Flags().StringVar(&params.Slug, "slug", "", "the team's slug (default: made from NAME)")
		cmd.Flags().StringVar(&params.ExternalID, "external-id", "", "your own id of the team, unique")
		cmd.Flags().StringVar(&params.PlanTier, "plan", "free", "plan tier: free, pro or enterprise")
		return cmd
	}()
	get := func() *cobra.Command {
		var external string
		cmd := &cobra.Command{
			Use:   "get [ID]",
			Short: "show a team by id, or by --external-id (teams:read)",
			Example: `  pome platform teams get tm_1a2B3c4D5e6F7g8H
  pome platform teams get --external-id cus_123 --json`,
			Args: func(cmd *cobra.Command, args []string) error {
				if (len(args) == 1) == (external != "") || len(args) > 1 {
					return usagef("give either a team ID or --external-id")
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				return p.do(cmd, func(ctx context.Context, c *client.Client) error {
					var t *client.PlatformTeam
					var err error
					if external != "" {
						t, err = c.TeamByExternalID(ctx, external)
						if err == nil && t == nil {
							return usagef("no team has the external id %q", external)
						}
					} else {
						t, err = c.Team(ctx, args[0])
					}
					if err != nil {
						return err
					}
					return p.printTeam(t)
				})
			},
		}
		cmd.Flags().StringVar(&external, "external-id", "", "find the team by your own id of it")
		return cmd
	}()
	update := func() *cobra.Command {
		var name, plan, status string
		cmd := &cobra.Command{
			Use:   "update ID",
			Short: "rename a team, change its plan, ban or unban it (teams:write)",
			Long: `Changes what the flags say and nothing else. A ban reaches every node
within a second: the team's keys then answer 403 team_banned.`,
			Example: `  pome platform teams update tm_1a2B3c4D5e6F7g8H --plan enterprise
  pome platform teams update tm_1a2B3c4D5e6F7g8H --status banned`,
			Args: exactArgs("ID"),
			RunE: func(cmd *cobra.Command, args []string) error {
				var u client.UpdateTeamParams
				for flag, field := range map[string]**string{"name": &u.Name, "plan": &u.PlanTier, "status": &u.Status} {
					if cmd.Flags().Changed(flag) {
						v, _ := cmd.Flags().GetString(flag)
						*field = &v
					}
				}
				if u == (client.UpdateTeamParams{}) {
					return usagef("nothing to change: give --name, --plan or --status")
				}
				return p.do(cmd, func(ctx context.Context, c *client.Client) error {
					t, err := c.UpdateTeam(ctx, args[0], u)
					if err != nil {
						return err
					}
					return p.printTeam(t)
				})
			},
		}
		cmd.Flags().StringVar(&name, "name", "", "new name")
		cmd.Flags().StringVar(&plan, "plan", "", "new plan tier: free, pro or enterprise")
		cmd.Flags().StringVar(&status, "status", "", "active or banned")
		cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]cobra.Completion{"active", "banned"}, cobra.ShellCompDirectiveNoFileComp))
		return cmd
	}()
	for _, c := range []*cobra.Command{create, update} {
		c.RegisterFlagCompletionFunc("plan", cobra.FixedCompletions([]cobra.Completion{"free", "pro", "enterprise"}, cobra.ShellCompDirectiveNoFileComp))
	}
	return a.group("teams <command>", "create, read and change any team, and show its keys' usage (platform API)",
		`Manages any team through the platform API: the teams a platform makes for
its customers, and those made by a signup.`,
		`  pome platform teams create "Acme Inc" --external-id cus_123
  pome platform teams get --external-id cus_123`,
		create, get, update, a.platformTeamsUsageCmd(p))
}
