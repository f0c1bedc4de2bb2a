package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/webhook"
)

// webhooksCmd is `pome webhooks`: the team's own webhook endpoints, for
// its owners and admins, through the session API.
func (a *app) webhooksCmd() *cobra.Command {
	t := &teamAPI{app: a}
	return a.teamAPIGroup(t, "webhooks <command>", "list, create and delete the team's webhook endpoints, and show their deliveries",
		`Manages the webhook endpoints of your team (owners and admins): each URL
receives the team's events it subscribes to, as signed POST requests
(docs/api.md, "Webhooks of a team"). An endpoint is named by its id (whk_...).`,
		`  pome webhooks create --url https://api.example.com/pome --event key.created,key.revoked
  pome webhooks deliveries whk_X5FQfLSUBaHoJ77k`,
		&cobra.Command{
			Use:     "list",
			Aliases: []string{"ls"},
			Short:   "list the team's webhook endpoints",
			Example: "  pome webhooks list --team acme",
			Args:    noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return t.do(cmd, func(ctx context.Context, c *client.Client) error {
					l, err := c.TeamWebhooks(ctx)
					if err != nil {
						return err
					}
					return t.print(l, func(out *output, wide bool) error {
						if len(l.Webhooks) == 0 {
							_, err := fmt.Fprintln(out.w, "No webhook endpoints.")
							return err
						}
						tb := newTable(column{title: "ID"}, column{title: "URL", truncate: true}, column{title: "EVENTS", truncate: true},
							column{title: "STATUS"}, column{title: "CREATED", drop: 1})
						for _, w := range l.Webhooks {
							tb.add(w.ID, w.URL, strings.Join(w.Events, ","), webhookStatus(w.FailingSince), timeCell(w.CreatedAt))
						}
						return tb.write(out, wide)
					})
				})
			},
		},
		a.webhooksCreateCmd(t),
		a.webhooksDeleteCmd(t),
		a.webhooksDeliveriesCmd(t),
	)
}

// webhookStatus is an endpoint's status for a table: active, or since
// when it is failing.
func webhookStatus(failingSince *time.Time) string {
	if failingSince == nil {
		return "active"
	}
	return "failing since " + timeCell(*failingSince)
}

// registerWebhookFlags adds --url and --event, of both create commands.
func registerWebhookFlags(cmd *cobra.Command, url *string, events *[]string) {
	cmd.Flags().StringVar(url, "url", "", "the http or https `URL` that receives the events (required)")
	cmd.Flags().StringSliceVar(events, "event", nil, "an `EVENT` to send (repeatable, or comma-separated; required): one of "+strings.Join(pome.WebhookEventTypes, ", "))
	cmd.RegisterFlagCompletionFunc("event", cobra.FixedCompletions(pome.WebhookEventTypes, cobra.ShellCompDirectiveNoFileComp))
}

// checkWebhookFlags refuses a create without --url or --event before
// anything is asked of a server or a database.
func checkWebhookFlags(cmd *cobra.Command, url string, events []string) error {
	if url == "" || len(events) == 0 {
		return usagef("%s: --url and --event are required", commandName(cmd))
	}
	return nil
}

func (a *app) webhooksCreateCmd(t *teamAPI) *cobra.Command {
	var p client.CreateWebhookParams
	cmd := &cobra.Command{
		Use:   "create",
		Short: "register a webhook endpoint and print its signing secret, this once",
		Long: `Registers --url to receive the team's events of each --event, and prints the
endpoint's signing secret (whsec_...), with which the receiver checks each
delivery. Pome shows it once: store it now. When stdout is not a terminal,
the secret alone is printed on it (the notice goes to stderr).`,
		Example: `  pome webhooks create --url https://api.example.com/pome --event key.created --event key.revoked
  SECRET=$(pome webhooks create --url https://api.example.com/pome --event key.leaked)`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkWebhookFlags(cmd, p.URL, p.Events); err != nil {
				return err
			}
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				w, err := c.CreateTeamWebhook(ctx, p)
				if err != nil {
					return err
				}
				if t.asJSON() {
					return printJSON(a.stdout, w)
				}
				return a.showKeyOnce("secret", fmt.Sprintf("Created webhook endpoint %s for %s (%s).",
					w.ID, printable(w.URL), strings.Join(w.Events, ", ")), w.Secret)
			})
		},
	}
	registerWebhookFlags(cmd, &p.URL, &p.Events)
	return cmd
}

func (a *app) webhooksDeleteCmd(t *teamAPI) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete WEBHOOK",
		Short: "delete a webhook endpoint, its queued events and its deliveries log",
		Long: `Deletes the team's endpoint with id WEBHOOK (whk_..., from webhooks list): it
receives nothing more, and the events still queued for it are dropped. At
a terminal it asks first; without one it needs --yes.`,
		Example: "  pome webhooks delete whk_X5FQfLSUBaHoJ77k --yes",
		Args:    exactArgs("WEBHOOK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				if err := a.confirm(cmd, yes, "Delete the webhook endpoint "+printable(args[0])+"? Its queued events are dropped."); err != nil {
					return err
				}
				r, err := c.DeleteTeamWebhook(ctx, args[0])
				if err != nil {
					return err
				}
				return t.print(r, func(out *output, _ bool) error {
					_, err := fmt.Fprintf(out.w, "Deleted the webhook endpoint %s.\n", printable(r.ID))
					return err
				})
			})
		},
	}
	registerYes(cmd, &yes)
	return cmd
}

func (a *app) webhooksDeliveriesCmd(t *teamAPI) *cobra.Command {
	var cursor string
	cmd := &cobra.Command{
		Use:   "deliveries WEBHOOK",
		Short: "list an endpoint's delivery attempts, newest first, a page at a time",
		Long: `Lists the delivery attempts of the team's endpoint WEBHOOK, newest first, 50 a
page: when, the event, the attempt's number, the receiver's status, the
latency, what followed (delivered, retrying, failed) and why it failed. The
next page is --cursor, which the end of the listing gives (on stderr).`,
		Example: "  pome webhooks deliveries whk_X5FQfLSUBaHoJ77k",
		Args:    exactArgs("WEBHOOK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return t.do(cmd, func(ctx context.Context, c *client.Client) error {
				l, err := c.TeamWebhookDeliveries(ctx, args[0], cursor)
				if err != nil {
					return err
				}
				err = t.print(l, func(out *output, wide bool) error {
					if len(l.Deliveries) == 0 {
						_, err := fmt.Fprintln(out.w, "No deliveries.")
						return err
					}
					tb := newTable(column{title: "AT"}, column{title: "EVENT"}, column{title: "EVENT ID", drop: 2},
						column{title: "ATTEMPT", drop: 3}, column{title: "STATUS"}, column{title: "LATENCY", drop: 1},
						column{title: "OUTCOME"}, column{title: "ERROR", truncate: true})
					for _, d := range l.Deliveries {
						status := "-"
						if d.StatusCode != 0 {
							status = strconv.Itoa(d.StatusCode)
						}
						tb.add(timeCell(d.At), d.Type, d.EventID, strconv.Itoa(d.Attempt), status,
							strconv.FormatFloat(d.LatencyMS, 'f', 1, 64)+" ms", d.Outcome, d.Error)
					}
					return tb.write(out, wide)
				})
				if err == nil && l.NextCursor != "" {
					fmt.Fprintf(a.stderr, "More: %s\n", nextPage(cmd, "pome webhooks deliveries "+shellQuote(args[0]), []string{"team"}, l.NextCursor))
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&cursor, "cursor", "", "the page after the one that gave this cursor")
	return cmd
}

// adminWebhookCmd is `pome admin webhook`: every endpoint, straight on the
// database, as the system actor.
func (a *app) adminWebhookCmd(st *storageFlags) *cobra.Command {
	// with opens the store and runs fn with the endpoints' service.
	// allowPrivate is create's --allow-private.
	with := func(cmd *cobra.Command, allowPrivate bool, fn func(pome.Store, *webhook.Service) error) error {
		return withStore(cmd, st, func(store pome.Store) error { return fn(store, webhook.NewService(store, allowPrivate, time.Now)) })
	}
	system := webhook.Actor{Type: pome.ActorSystem}

	var url, team string
	var events []string
	var allowPrivate bool
	create := &cobra.Command{
		Use:   "create",
		Short: "register a webhook endpoint of one team or of every team (secret shown once)",
		Long: `Registers --url to receive the events of each --event: of the team --team
(its slug or id), or of every team without it. Prints the signing secret
(whsec_...) once, as pome webhooks create does. Audit-logged by the system
actor.`,
		Example: `  pome admin webhook create --url https://ops.example.com/pome --event team.banned,key.leaked
  pome admin webhook create --url https://api.example.com/pome --event key.created --team acme`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkWebhookFlags(cmd, url, events); err != nil {
				return err
			}
			return with(cmd, allowPrivate, func(store pome.Store, svc *webhook.Service) error {
				teamID := ""
				if team != "" {
					t, err := teamBySlugOrID(cmd.Context(), store, team)
					if err != nil {
						return err
					}
					teamID = t.ID
				}
				e, secret, err := svc.Create(cmd.Context(), system, webhook.NewEndpoint{URL: url, Events: events, TeamID: teamID})
				if err != nil {
					return err
				}
				of := "every team"
				if team != "" {
					of = "team " + printable(team)
				}
				return a.showKeyOnce("secret", fmt.Sprintf("Created webhook endpoint %s for %s (%s), events of %s.",
					e.ID, printable(e.URL), strings.Join(e.Events, ", "), of), secret)
			})
		},
	}
	registerWebhookFlags(create, &url, &events)
	create.Flags().StringVar(&team, "team", "", "`SLUG` or id of the one team whose events it receives (default: every team's)")
	create.Flags().BoolVar(&allowPrivate, "allow-private", false, "accept a URL on a loopback, private or link-local address (delivered only by servers started with --webhook-allow-private)")

	var yes bool
	del := &cobra.Command{
		Use:   "delete WEBHOOK",
		Short: "delete a webhook endpoint, its queued events and its deliveries log",
		Long: `Deletes the endpoint with id WEBHOOK (whk_...), of any team: it receives
nothing more. At a terminal it asks first; without one it needs --yes.`,
		Example: "  pome admin webhook delete whk_X5FQfLSUBaHoJ77k --yes",
		Args:    exactArgs("WEBHOOK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd, false, func(_ pome.Store, svc *webhook.Service) error {
				if err := a.confirm(cmd, yes, "Delete the webhook endpoint "+printable(args[0])+"? Its queued events are dropped."); err != nil {
					return err
				}
				if err := svc.Delete(cmd.Context(), system, "", args[0]); err != nil {
					if errors.Is(err, pome.ErrWebhookNotFound) {
						return fmt.Errorf("no webhook endpoint with id %q", printable(args[0]))
					}
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "Deleted the webhook endpoint %s.\n", args[0])
				return err
			})
		},
	}
	registerYes(del, &yes)

	return a.group("webhook <command>", "create, list and delete webhook endpoints, of one team or of every team",
		`Manages every webhook endpoint, the teams' own included, straight on the
database: an endpoint of one team receives that team's events, one without a
team every team's. Running servers deliver to a new endpoint at once.`,
		`  pome admin webhook create --url https://ops.example.com/pome --event team.banned
  pome admin webhook list`,
		create,
		&cobra.Command{
			Use:     "list",
			Aliases: []string{"ls"},
			Short:   "list every webhook endpoint",
			Example: "  pome admin webhook list",
			Args:    noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return with(cmd, false, func(_ pome.Store, svc *webhook.Service) error {
					es, err := svc.List(cmd.Context(), "")
					if err != nil {
						return err
					}
					if len(es) == 0 {
						_, err := fmt.Fprintln(a.stdout, "No webhook endpoints.")
						return err
					}
					tb := newTable(column{title: "ID"}, column{title: "TEAM"}, column{title: "URL", truncate: true},
						column{title: "EVENTS", truncate: true}, column{title: "STATUS"}, column{title: "CREATED", drop: 1})
					for _, e := range es {
						team := e.TeamID
						if team == "" {
							team = "(every team)"
						}
						var failing *time.Time
						if !e.FailingSince.IsZero() {
							failing = &e.FailingSince
						}
						tb.add(e.ID, team, e.URL, strings.Join(e.Events, ","), webhookStatus(failing), timeCell(e.CreatedAt))
					}
					return tb.write(newOutput(a.stdout, a.getenv), false)
				})
			},
		},
		del,
	)
}

// teamBySlugOrID finds the team an operator named by its slug or its id.
func teamBySlugOrID(ctx context.Context, store pome.Store, ref string) (pome.Team, error) {
	var t pome.Team
	var err error
	if pome.IsID(ref, "tm_") {
		t, err = store.TeamByID(ctx, ref)
	} else {
		t, err = store.TeamBySlug(ctx, ref)
	}
	if errors.Is(err, pome.ErrTeamNotFound) {
		return pome.Team{}, fmt.Errorf("no team with slug or id %q", printable(ref))
	}
	return t, err
}
