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

	"github.com/pomehq/pome/client"
)

func (a *app) loginCmd() *cobra.Command {
	var server serverFlag
	var out outputFlags
	var email string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "sign in to a server; the session is stored for the commands that need one",
		Long: `Signs in to a Pome server and stores the session in your config directory
(e.g. ~/.config/pome/sessions.json, mode 0600; POME_CONFIG_DIR overrides
it), one per API URL. The server becomes the default of every later
command (keys, members, whoami, ...) until another login.

At a terminal it asks for the email (unless --email is given) and the
password, which is not echoed. Otherwise --email is required and the
password is read from stdin, one line: never put it on the command line.`,
		Example: `  pome login --api-url https://pome.example.com
  printf '%s\n' "$POME_PASSWORD" | pome login --email alice@example.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := server.base(a)
			if err != nil {
				return err
			}
			return a.login(cmd, base, strings.TrimSpace(email), out.json)
		},
	}
	server.register(cmd.Flags())
	out.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&email, "email", "", "your email (asked for at a terminal if not given)")
	return cmd
}

func (a *app) login(cmd *cobra.Command, base, email string, asJSON bool) error {
	store, err := openSessions(a.getenv)
	if err != nil {
		return err
	}
	email, password, err := readCredentials(a.stdin, a.stderr, email)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(cmd)
	defer cancel()
	c := client.New(base, client.WithUserAgent(userAgent))
	sess, err := c.Login(ctx, email, password)
	if err != nil {
		return err
	}
	if err := store.put(base, storedSession{
		Token: c.SessionToken(), Email: sess.User.Email, UserID: sess.User.ID, CreatedAt: time.Now().UTC(),
	}); err != nil {
		return err
	}
	if asJSON {
		return printJSON(a.stdout, sess)
	}
	_, err = fmt.Fprintf(a.stdout, "Logged in to %s as %s (default team %s).\nSession saved in %s\n",
		base, printable(sess.User.Email), sess.DefaultTeam, store.path())
	return err
}

// readCredentials asks for the email and password at a terminal, or reads
// the password from stdin, one line, when stdin is a pipe or a file.
func readCredentials(stdin io.Reader, stderr io.Writer, email string) (string, string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		in := bufio.NewReader(f)
		if email == "" {
			fmt.Fprint(stderr, "Email: ")
			line, err := in.ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return "", "", fmt.Errorf("read email: %w", err)
			}
			email = strings.TrimSpace(line)
			if email == "" {
				return "", "", usagef("login: no email given")
			}
		}
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", "", fmt.Errorf("read password: %w", err)
		}
		if len(b) == 0 {
			return "", "", usagef("login: no password given")
		}
		return email, string(b), nil
	}
	if email == "" {
		return "", "", usagef("login: --email is required when stdin is not a terminal (the password is read from stdin)")
	}
	password, err := readLine(stdin)
	if err != nil {
		return "", "", err
	}
	if password == "" {
		return "", "", usagef("login: give the password on stdin, one line")
	}
	return email, password, nil
}

// readLine reads the first line of r, without its line ending.
func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	return readLineFrom(bufio.NewReader(io.LimitReader(r, 4096)))
}

// readLineFrom reads the next line of in, without its line ending.
func readLineFrom(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (a *app) logoutCmd() *cobra.Command {
	var server serverFlag
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "end the stored session",
		Long: `Ends the stored session of the server: on the server, and in your config
directory. Not being signed in is no error.`,
		Example: `  pome logout
  pome logout --api-url https://pome.example.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := server.base(a)
			if err != nil {
				return err
			}
			return a.logout(cmd, base)
		},
	}
	server.register(cmd.Flags())
	return cmd
}

func (a *app) logout(cmd *cobra.Command, base string) error {
	store, err := openSessions(a.getenv)
	if err != nil {
		return err
	}
	ss, ok, err := store.get(base)
	if err != nil {
		return err
	}
	if !ok {
		_, err := fmt.Fprintf(a.stdout, "Not logged in to %s.\n", base)
		return err
	}
	// The local copy goes whatever the server answers: logging out must
	// always work on this machine. A server that could not be told keeps
	// the session until it idles out; the error says so.
	if _, err := store.remove(base); err != nil {
		return err
	}
	ctx, cancel := withTimeout(cmd)
	defer cancel()
	c := client.New(base, client.WithUserAgent(userAgent), client.WithSession(ss.Token))
	if err := c.Logout(ctx); err != nil {
		return fmt.Errorf("removed the stored session, but the server was not told (it ends the session after 7 idle days): %w", err)
	}
	_, err = fmt.Fprintf(a.stdout, "Logged out of %s.\n", base)
	return err
}
