package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// passwordCmd is `pome password`: change your password on the server of
// your session.
func (a *app) passwordCmd() *cobra.Command {
	var server serverFlag
	cmd := &cobra.Command{
		Use:   "password",
		Short: "change your password; your other sessions are signed out",
		Long: `Changes the password of the user you are signed in as (pome login). Every
other session of yours ends (browsers, other machines); this one stays.

At a terminal it asks for your current password and the new one (twice),
without echoing them. Otherwise it reads two lines from stdin: the current
password, then the new one. Never put a password on the command line.`,
		Example: `  pome password
  printf '%s\n%s\n' "$OLD" "$NEW" | pome password`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := server.base(a)
			if err != nil {
				return err
			}
			c, check, err := sessionClient(a.getenv, base)
			if err != nil {
				return err
			}
			current, next, err := readPasswordChange(a.stdin, a.stderr)
			if err != nil {
				return err
			}
			ctx, cancel := withTimeout(cmd)
			defer cancel()
			if err := check(c.ChangePassword(ctx, current, next)); err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.stdout, "Password changed. Your other sessions are signed out; this one stays.")
			return err
		},
	}
	server.register(cmd.Flags())
	return cmd
}

// readPasswordChange asks at a terminal for the current password and the
// new one, twice, without echo; from a pipe or a file it reads the two
// first lines. The passwords go nowhere but the request.
func readPasswordChange(stdin io.Reader, stderr io.Writer) (current, next string, err error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var got [3]string
		for i, prompt := range []string{"Current password: ", "New password: ", "New password, again: "} {
			fmt.Fprint(stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stderr)
			if err != nil {
				return "", "", fmt.Errorf("read password: %w", err)
			}
			got[i] = string(b)
		}
		if got[1] != got[2] {
			return "", "", usagef("password: the new passwords differ")
		}
		current, next = got[0], got[1]
	} else if stdin != nil {
		in := bufio.NewReader(io.LimitReader(stdin, 8192))
		if current, err = readLineFrom(in); err == nil {
			next, err = readLineFrom(in)
		}
		if err != nil {
			return "", "", err
		}
	}
	if current == "" || next == "" {
		return "", "", usagef("password: give the current password and the new one on stdin, one line each")
	}
	return current, next, nil
}
