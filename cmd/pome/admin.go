package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/node"
)

// adminCmd is `pome admin`: operator tasks straight on the database.
func (a *app) adminCmd() *cobra.Command {
	st := &storageFlags{}
	g := a.group("admin <command>", "operator tasks straight on the database (users, teams, service tokens, webhooks, backups)",
		`Operator tasks, straight on the database: SQLite in --data-dir, or PostgreSQL
at --database-url (POME_DATABASE_URL). Running servers learn of what they
change within a few seconds (they follow the change log: at once on
PostgreSQL, within a second on SQLite).`,
		`  pome admin team ban acme --data-dir /var/lib/pome
  POME_DATABASE_URL=postgres://pome@db/pome pome admin team ban acme`,
		a.adminBackupCmd(st),
		a.group("user <command>", "create users, make password reset links", "", `  printf '%s\n' "$PASSWORD" | pome admin user create --email alice@example.com
  pome admin user reset-password alice@example.com --public-url https://keys.example.com`,
			a.adminUserCreateCmd(st), a.adminResetPasswordCmd(st)),
		a.group("team <command>", "ban, unban a team, or change its plan",
			`A ban makes every key of the team answer 403 team_banned; an unban
restores them. A change reaches every running server within a second.`,
			`  pome admin team ban acme --yes
  pome admin team set-plan acme pro`,
			a.adminTeamCmd(st, "ban"), a.adminTeamCmd(st, "unban"), a.adminTeamCmd(st, "set-plan")),
		a.serviceTokenCmd(st),
		a.adminWebhookCmd(st),
	)
	st.register(g.PersistentFlags())
	return g
}

func (a *app) adminUserCreateCmd(st *storageFlags) *cobra.Command {
	var email, teamName string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "create a user and their team; the password is read from stdin",
		Long: `Creates a user and their personal team (they are its owner), whatever the
server's --signup setting. The password is read from stdin, one line: typed
at a terminal it is not echoed.`,
		Example: `  printf '%s\n' "$PASSWORD" | pome admin user create --email alice@example.com --team-name Acme`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := st.check(); err != nil {
				return err
			}
			if email == "" {
				return usagef("admin user create: --email is required")
			}
			password, err := readPassword(a.stdin, a.stderr)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			// The first user of a closed-signup deployment is made before any
			// server has run, so this command may create the database.
			accounts, closeStore, err := openAccounts(cmd, st, true)
			if err != nil {
				return err
			}
			defer closeStore()
			u, err := accounts.CreateUser(ctx, email, password, teamName)
			if err != nil {
				return err
			}
			ms, err := accounts.Memberships(ctx, u)
			if err != nil || len(ms) == 0 {
				return fmt.Errorf("user %s created, but reading their team failed: %v", u.ID, err)
			}
			_, err = fmt.Fprintf(a.stdout, "created user %s (%s), owner of team %s\n", u.ID, printable(u.Email), ms[0].Team.Slug)
			return err
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the user's email (required)")
	cmd.Flags().StringVar(&teamName, "team-name", "", "name of the user's team (default: the email's local part)")
	return cmd
}

// openAccounts opens the storage of st (creating a SQLite database if
// create) and the account service over it; closeStore closes the storage.
func openAccounts(cmd *cobra.Command, st *storageFlags, create bool) (accounts *account.Service, closeStore func(), err error) {
	store, err := node.OpenStore(cmd.Context(), st.storage(create))
	if err != nil {
		return nil, nil, err
	}
	return account.New(store, account.Config{HashConcurrency: 1}, time.Now), func() { store.Close() }, nil
}

// withStore checks st, opens its storage (never creating a database: a
// mistyped path must not look like an empty one) and runs fn on it.
func withStore(cmd *cobra.Command, st *storageFlags, fn func(pome.Store) error) error {
	if err := st.check(); err != nil {
		return err
	}
	store, err := node.OpenStore(cmd.Context(), st.storage(false))
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(store)
}

// adminBackupCmd is `pome admin backup`: a copy of the SQLite database
// that servers may go on writing while it is made.
func (a *app) adminBackupCmd(st *storageFlags) *cobra.Command {
	var to string
	var force bool
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "copy the SQLite database, consistent, also while servers run",
		Long: `Writes a consistent copy of the SQLite database of --data-dir to the file
--to, also while servers run and write to it: one snapshot, compacted
(SQLite's VACUUM INTO). The file is created 0600, and appears only once
complete; an existing file is refused unless --force. To restore, stop the
server and put the copy in place as pome.db (docs/operations.md). A
PostgreSQL database is copied with pg_dump (docs/deploy.md).`,
		Example: `  pome admin backup --to /backups/pome-$(date +%F).db --data-dir /var/lib/pome`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := st.check(); err != nil {
				return err
			}
			if to == "" {
				return usagef("admin backup: --to is required")
			}
			if !force {
				// Checked first, not at the rename: a copy of a large
				// database is not made only to be thrown away.
				if _, err := os.Lstat(to); err == nil {
					return fmt.Errorf("%s exists: pass --force to replace it", to)
				}
			}
			err := node.Backup(cmd.Context(), st.storage(false), to)
			if errors.Is(err, node.ErrBackupPostgres) {
				return usagef("admin backup copies a SQLite database; back up PostgreSQL with pg_dump: pg_dump --format=custom --file=FILE \"$POME_DATABASE_URL\" (docs/deploy.md)")
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "backed up %s to %s\n", st.storage(false), to)
			return err
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the `FILE` to write the copy to (required)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the file --to if it exists")
	cmd.MarkFlagFilename("to")
	return cmd
}

// readPassword reads one line from stdin. At a terminal it prompts on stderr
// and turns echo off; from a pipe it reads the first line as is. The
// password goes nowhere but the hasher.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	if stdin == nil {
		return "", usagef("user create: give the password on stdin, one line")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("user create: give the password on stdin, one line")
	}
	return line, nil
}

func (a *app) adminTeamCmd(st *storageFlags, verb string) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   verb + " SLUG",
		Short: map[string]string{"ban": "stop every key of a team", "unban": "let a banned team's keys work again", "set-plan": "change a team's plan"}[verb],
		Args:  exactArgs("SLUG"),
		RunE: func(cmd *cobra.Command, args []string) error {
			slug := args[0]
			var plan string
			if verb == "set-plan" {
				plan = args[1]
				if !pome.ValidPlan(plan) {
					return usagef("admin team set-plan: the plan must be free, pro or enterprise, not %q", plan)
				}
			}
			if err := st.check(); err != nil {
				return err
			}
			ctx := cmd.Context()
			store, err := node.OpenStore(ctx, st.storage(false))
			if err != nil {
				return err
			}
			defer store.Close()
			if verb == "ban" {
				if err := a.confirm(cmd, yes, "Ban team "+slug+"? Every key of the team is refused until an unban."); err != nil {
					return err
				}
			}
			// The account service writes the change, its change-log entry (how
			// running servers learn to forget the team's cached keys) and its
			// audit event, by the system actor, in one transaction.
			accounts := account.New(store, account.Config{HashConcurrency: 1}, time.Now)
			var t pome.Team
			switch verb {
			case "ban":
				t, err = accounts.SetTeamStatus(ctx, slug, pome.TeamBanned)
			case "unban":
				t, err = accounts.SetTeamStatus(ctx, slug, pome.TeamActive)
			case "set-plan":
				t, err = accounts.SetTeamPlan(ctx, slug, plan)
			}
			if errors.Is(err, pome.ErrTeamNotFound) {
				return fmt.Errorf("no team with slug %q", slug)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "team %s: status %s, plan %s\n", t.Slug, t.Status, t.PlanTier)
			return err
		},
	}
	switch verb {
	case "ban":
		cmd.Example = "  pome admin team ban acme --yes"
		registerYes(cmd, &yes)
	case "unban":
		cmd.Example = "  pome admin team unban acme"
	case "set-plan":
		cmd.Use = "set-plan SLUG PLAN"
		cmd.Args = exactArgs("SLUG", "PLAN")
		cmd.Long = "Sets the team's plan: free, pro or enterprise (the plan's rate limit applies at once)."
		cmd.Example = "  pome admin team set-plan acme pro"
		cmd.ValidArgsFunction = completeSecond(cobra.FixedCompletions([]cobra.Completion{"free", "pro", "enterprise"}, cobra.ShellCompDirectiveNoFileComp))
	}
	return cmd
}
