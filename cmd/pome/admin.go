package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/node"
)

const adminUsage = `Usage: pome admin [--data-dir DIR | --database-url URL] <command> [args]

Operator tasks, straight on the database: SQLite in --data-dir, or PostgreSQL
at --database-url (POME_DATABASE_URL). Running servers learn of what they
change within a few seconds (they follow the change log: at once on
PostgreSQL, within a second on SQLite).

Commands:
  user create --email E [--team-name N]   create a user and their team; the
                                          password is read from stdin
  team ban SLUG                           stop every key of a team
  team unban SLUG                         let a banned team's keys work again
  team set-plan SLUG free|pro|enterprise  change a team's plan
  service-token create NAME               make a token for POST /v1/keys/verify
                                          (shown once, on stdout)
  service-token list                      list service tokens
  service-token revoke ID                 stop a service token

Example:
  pome admin --data-dir /var/lib/pome team ban acme
  POME_DATABASE_URL=postgres://pome@db/pome pome admin team ban acme
`

const userCreateUsage = `Usage: pome admin user create --email E [--team-name N]

Creates a user and their personal team (they are its owner), whatever the
server's --signup setting. The password is read from stdin, one line: typed
at a terminal it is not echoed.

Example:
  printf '%s\n' "$PASSWORD" | pome admin user create --email alice@example.com --team-name Acme
`

const teamUsage = `Usage: pome admin team ban|unban SLUG
       pome admin team set-plan SLUG free|pro|enterprise

Bans, unbans or changes the plan of a team. A ban makes every key of the team
answer 403 team_banned; an unban restores them.

Example:
  pome admin team set-plan acme pro
`

func admin(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	var storage storageFlags
	fs := newFlagSet("admin", adminUsage, stderr)
	storage.register(fs)
	if err := parseFlags(fs, args, getenv, nil); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) < 2 {
		fs.Usage()
		return &usageError{msg: "admin: missing command", quiet: true}
	}
	if err := storage.check(); err != nil {
		return err
	}
	noun, verb, args := rest[0], rest[1], rest[2:]
	switch {
	case noun == "user" && verb == "create":
		return adminUserCreate(ctx, storage, args, getenv, stdin, stdout, stderr)
	case noun == "team" && (verb == "ban" || verb == "unban" || verb == "set-plan"):
		return adminTeam(ctx, storage, verb, args, getenv, stdout, stderr)
	case noun == "service-token" && (verb == "create" || verb == "list" || verb == "revoke"):
		return adminServiceToken(ctx, storage, verb, args, getenv, stdout, stderr)
	}
	fs.Usage()
	return usagef("admin: unknown command %q", noun+" "+verb)
}

func adminUserCreate(ctx context.Context, storage storageFlags, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	var email, teamName string
	fs := newFlagSet("user create", userCreateUsage, stderr)
	fs.StringVar(&email, "email", "", "the user's email (required)")
	fs.StringVar(&teamName, "team-name", "", "name of the user's team (default: the email's local part)")
	if err := parseFlags(fs, args, getenv, nil); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if email == "" {
		return usagef("user create: --email is required")
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	// The first user of a closed-signup deployment is made before any
	// server has run, so this command may create the database.
	store, err := node.OpenStore(ctx, storage.storage(true))
	if err != nil {
		return err
	}
	defer store.Close()
	accounts := account.New(store, account.Config{HashConcurrency: 1}, time.Now)
	u, err := accounts.CreateUser(ctx, email, password, teamName)
	if err != nil {
		return err
	}
	ms, err := accounts.Memberships(ctx, u)
	if err != nil || len(ms) == 0 {
		return fmt.Errorf("user %s created, but reading their team failed: %v", u.ID, err)
	}
	_, err = fmt.Fprintf(stdout, "created user %s (%s), owner of team %s\n", u.ID, u.Email, ms[0].Team.Slug)
	return err
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

func adminTeam(ctx context.Context, storage storageFlags, verb string, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("team "+verb, teamUsage, stderr)
	if err := parseFlags(fs, args, getenv, nil); err != nil {
		return err
	}
	want := 1
	if verb == "set-plan" {
		want = 2
	}
	if fs.NArg() != want {
		fs.Usage()
		return &usageError{msg: "team " + verb + ": wrong arguments", quiet: true}
	}
	slug := fs.Arg(0)
	var plan string
	if verb == "set-plan" {
		plan = fs.Arg(1)
		if !pome.ValidPlan(plan) {
			return usagef("team set-plan: plan must be free, pro or enterprise, not %q", plan)
		}
	}

	store, err := node.OpenStore(ctx, storage.storage(false))
	if err != nil {
		return err
	}
	defer store.Close()
	// The account service writes the change, its change-log entry (how
	// running servers learn to forget the team's cached keys) and its audit
	// event, by the system actor, in one transaction.
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
	_, err = fmt.Fprintf(stdout, "team %s: status %s, plan %s\n", t.Slug, t.Status, t.PlanTier)
	return err
}
