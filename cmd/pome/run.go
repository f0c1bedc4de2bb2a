package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// run is the whole program; main only maps its error to an exit status. It
// reports its own error on stderr.
func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &app{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.newRoot()
	root.SetArgs(args[1:])
	cmd, err := root.ExecuteContextC(ctx)
	var u *usageError
	if err != nil && !a.started && !errors.As(err, &u) {
		// cobra's own mistakes of the command line: an unknown command, a
		// flag without its value.
		u = &usageError{msg: err.Error()}
		err = u
	}
	if !a.started && errors.As(err, &u) && !u.quiet && cmd != nil {
		u.hint = "Run '" + cmd.CommandPath() + " --help' for usage."
	}
	report(stderr, err)
	return err
}

// usageError is a mistake in how pome was called: exit status 2.
type usageError struct {
	msg string
	// quiet: a usage text has told the user already.
	quiet bool
	// hint says where to read more.
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode is 0 on success (and on --help), 2 on a usage error, 1 otherwise.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil:
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
	case err == nil:
	case errors.As(err, &u):
		if !u.quiet {
			fmt.Fprintf(w, "pome: %s\n", u.msg)
		}
		if u.hint != "" {
			fmt.Fprintln(w, u.hint)
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
