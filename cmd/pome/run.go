package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// env reads an environment variable; tests pass a map's lookup instead of
// os.Getenv.
type env func(string) string

const topUsage = `Usage: pome <command> [flags]

Commands:
  serve    run the Pome server
  whoami   show who an API key belongs to (GET /v1/me)
  login    sign in to a server; the session is stored for pome keys
  logout   end the stored session
  keys     list, create, revoke, roll API keys and show their usage
  admin    operator tasks straight on the database

Every flag can also be set as POME_<FLAG> (e.g. --data-dir as POME_DATA_DIR);
a flag given on the command line wins. Run 'pome <command> --help' for more.

Examples:
  pome serve --addr 127.0.0.1:8080 --data-dir ./pome-data
  pome login --api-url http://127.0.0.1:8080
  KEY=$(pome keys create ci-deploy)
`

// run is the whole program; main only maps its error to an exit status. It
// reports its own error on stderr.
func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	report(stderr, err)
	return err
}

func dispatch(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, topUsage)
		return &usageError{msg: "no command given", quiet: true}
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "whoami":
		return whoami(ctx, rest, getenv, stdout, stderr)
	case "login":
		return login(ctx, rest, getenv, stdin, stdout, stderr)
	case "logout":
		return logout(ctx, rest, getenv, stdout, stderr)
	case "keys":
		return keys(ctx, rest, getenv, stdout, stderr)
	case "admin":
		return admin(ctx, rest, getenv, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return nil
	}
	fmt.Fprint(stderr, topUsage)
	return usagef("unknown command %q", cmd)
}

// usageError is a mistake in how pome was called: exit status 2.
type usageError struct {
	msg string
	// quiet: the flag package, or a usage text, has told the user already.
	quiet bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode is 0 on success (and on --help), 2 on a usage error, 1 otherwise.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// report prints err for a person. A server's answer shows its message,
// code and request_id (to quote to the operator); a *pome.Error the user
// can act on shows its caller-safe message and code; anything else (a
// database that cannot be opened, an unreachable server) its whole text,
// for the operator.
func report(w io.Writer, err error) {
	var u *usageError
	var ce *client.Error
	var p *pome.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &u):
		if !u.quiet {
			fmt.Fprintf(w, "pome: %s\n", u.msg)
		}
	case errors.As(err, &ce):
		fmt.Fprintf(w, "error: %v\n", err)
		if ce.RetryAfter > 0 {
			fmt.Fprintf(w, "retry in %v\n", ce.RetryAfter)
		}
	case errors.As(err, &p) && p.Kind != pome.Internal && p.Kind != pome.Unavailable:
		fmt.Fprintf(w, "error: %s (code %s)\n", p.Message, p.Code)
	default:
		fmt.Fprintf(w, "error: %v\n", err)
	}
}
