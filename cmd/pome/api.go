package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// userAgent is the User-Agent of the CLI's requests (audit events show it).
const userAgent = "pome-cli"

// defaultAPIURL is the server of a command given none, when no pome login
// has remembered one.
const defaultAPIURL = "http://127.0.0.1:8080"

// serverFlag is --api-url, the server of every command that talks to one.
type serverFlag struct {
	apiURL string
}

func (s *serverFlag) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.apiURL, "api-url", "", "base `URL` of the Pome server (default: the server of the last pome login, else "+defaultAPIURL+")")
}

// base returns the server to talk to, in the form sessions are stored
// under: --api-url (or POME_API_URL) if given, else the server of the last
// pome login, as gh remembers its host, else the default.
func (s *serverFlag) base(a *app) (string, error) {
	if s.apiURL != "" {
		return parseAPIURL(s.apiURL)
	}
	store, err := openSessions(a.getenv)
	if err != nil {
		return defaultAPIURL, nil
	}
	if cur, err := store.current(); err == nil && cur != "" {
		return cur, nil
	}
	return defaultAPIURL, nil
}

// parseAPIURL checks that s is an http(s) base URL and returns it in one
// form (lower-case scheme and host, no trailing slash): the key under which
// a session is stored.
func parseAPIURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("--api-url %q must be an http:// or https:// URL", s)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// outputFlags are --json and -o: how a command prints what it got.
type outputFlags struct {
	json   bool
	format string
}

func (o *outputFlags) register(fs *pflag.FlagSet, tables bool) {
	fs.BoolVar(&o.json, "json", false, "print JSON, for scripts")
	if tables {
		fs.StringVarP(&o.format, "output", "o", "table", "`FORMAT` of the output: table (fits the terminal), wide (every column) or json")
	}
}

// mode returns table, wide or json, checked.
func (o *outputFlags) mode() (string, error) {
	if o.json {
		return "json", nil
	}
	switch o.format {
	case "", "table":
		return "table", nil
	case "wide", "json":
		return o.format, nil
	}
	return "", usagef("--output must be table, wide or json, not %q", o.format)
}

// teamAPI is what the commands that act on one team through the signed-in
// session share (keys, members, audit, usage): the server, the team, the
// output. A group registers it once as persistent flags.
type teamAPI struct {
	app    *app
	server serverFlag
	out    outputFlags
	team   string
}

// register adds the flags to fs, cmd's own or its persistent ones, and
// completes --team with the signed-in user's teams.
func (t *teamAPI) register(cmd *cobra.Command, fs *pflag.FlagSet) {
	t.server.register(fs)
	fs.StringVar(&t.team, "team", "", "`SLUG` of the team to act on (default: your default team)")
	t.out.register(fs, true)
	cmd.RegisterFlagCompletionFunc("team", t.app.completeTeams(t))
}

// client returns the signed-in client, bound to --team, and the
// translation of its errors.
func (t *teamAPI) client() (*client.Client, func(error) error, error) {
	// -o is checked before anything is asked or changed.
	if _, err := t.out.mode(); err != nil {
		return nil, nil, err
	}
	base, err := t.server.base(t.app)
	if err != nil {
		return nil, nil, err
	}
	c, check, err := sessionClient(t.app.getenv, base)
	if err != nil {
		return nil, nil, err
	}
	if t.team != "" {
		c = c.ForTeam(t.team)
	}
	return c, check, nil
}

// do runs fn with the signed-in client, within the time a command's calls
// have; its error goes through the session check.
func (t *teamAPI) do(cmd *cobra.Command, fn func(ctx context.Context, c *client.Client) error) error {
	c, check, err := t.client()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(cmd)
	defer cancel()
	return check(fn(ctx, c))
}

// withKey is do for a command on one key, named by id or name (resolveKey).
func (t *teamAPI) withKey(cmd *cobra.Command, ref string, fn func(ctx context.Context, c *client.Client, id string) error) error {
	return t.do(cmd, func(ctx context.Context, c *client.Client) error {
		id, err := resolveKey(ctx, c, ref)
		if err != nil {
			return err
		}
		return fn(ctx, c, id)
	})
}

// asJSON reports whether the output is JSON (client has checked -o).
func (t *teamAPI) asJSON() bool {
	mode, _ := t.out.mode()
	return mode == "json"
}

// print writes v as JSON, or calls table with the output for people and
// whether every column is wanted.
func (t *teamAPI) print(v any, table func(out *output, wide bool) error) error {
	mode, err := t.out.mode()
	if err != nil {
		return err
	}
	if mode == "json" {
		return printJSON(t.app.stdout, v)
	}
	return table(newOutput(t.app.stdout, t.app.getenv), mode == "wide")
}

// errNotLoggedIn is returned by the commands that need a stored session.
func errNotLoggedIn(base string) error {
	return usagef("not logged in to %s: run pome login", base)
}

// sessionClient returns a client of base holding the stored session, and a
// function that translates its errors: an expired session is removed from
// the store and reported plainly.
func sessionClient(getenv env, base string) (*client.Client, func(error) error, error) {
	store, err := openSessions(getenv)
	if err != nil {
		return nil, nil, err
	}
	ss, ok, err := store.get(base)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, errNotLoggedIn(base)
	}
	c := client.New(base, client.WithUserAgent(userAgent), client.WithSession(ss.Token))
	check := func(err error) error {
		var ce *client.Error
		if errors.As(err, &ce) && errors.Is(err, pome.ErrUnauthorized) {
			store.remove(base) // it is dead; the next login replaces it anyway
			return &sessionExpiredError{base: base, requestID: ce.RequestID}
		}
		return err
	}
	return c, check, nil
}

// sessionExpiredError is a stored session the server no longer knows: it
// timed out, or was logged out elsewhere.
type sessionExpiredError struct {
	base, requestID string
}

func (e *sessionExpiredError) Error() string {
	return fmt.Sprintf("session expired, run pome login (server %s, request_id %s)", e.base, e.requestID)
}

// teamAPIGroup is a group of team commands sharing one teamAPI's flags.
func (a *app) teamAPIGroup(t *teamAPI, use, short, long, example string, cmds ...*cobra.Command) *cobra.Command {
	g := a.group(use, short, long, example, cmds...)
	t.register(g, g.PersistentFlags())
	return g
}
