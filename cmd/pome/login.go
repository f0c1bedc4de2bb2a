package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// apiTimeout bounds one command's calls: a CLI must not hang on a dead server.
const apiTimeout = 30 * time.Second

// userAgent is the User-Agent of the CLI's requests (audit events show it).
const userAgent = "pome-cli"

const defaultAPIURL = "http://127.0.0.1:8080"

// apiFlags are the flags of every command that talks to a server.
type apiFlags struct {
	apiURL string
	json   bool
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.apiURL, "api-url", defaultAPIURL, "base URL of the Pome server")
	fs.BoolVar(&a.json, "json", false, "print JSON, for scripts")
}

// base returns the checked --api-url, the key of the stored sessions.
func (a *apiFlags) base() (string, error) { return parseAPIURL(a.apiURL) }

const loginUsage = `Usage: pome login [--email E] [--api-url URL]

Signs in to a Pome server and stores the session in your config directory
(e.g. ~/.config/pome/sessions.json, mode 0600; POME_CONFIG_DIR overrides
it), one per API URL. The pome keys commands use it.

At a terminal it asks for the email (unless --email is given) and the
password, which is not echoed. Otherwise --email is required and the
password is read from stdin, one line: never put it on the command line.

Examples:
  pome login --api-url https://pome.example.com
  printf '%s\n' "$POME_PASSWORD" | pome login --email alice@example.com
`

const logoutUsage = `Usage: pome logout [--api-url URL]

Ends the stored session of the server: on the server, and in your config
directory. Not being signed in is no error.

Example:
  pome logout --api-url https://pome.example.com
`

func login(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	var api apiFlags
	var email string
	fs := newFlagSet("login", loginUsage, stderr)
	api.register(fs)
	fs.StringVar(&email, "email", "", "your email (asked for at a terminal if not given)")
	if err := parseFlags(fs, args, getenv, nil); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	base, err := api.base()
	if err != nil {
		return err
	}
	store, err := openSessions(getenv)
	if err != nil {
		return err
	}
	email, password, err := readCredentials(stdin, stderr, strings.TrimSpace(email))
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
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
	if api.json {
		return printJSON(stdout, sess)
	}
	_, err = fmt.Fprintf(stdout, "Logged in to %s as %s (default team %s).\nSession saved in %s\n",
		base, sess.User.Email, sess.DefaultTeam, store.path())
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
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func logout(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	var api apiFlags
	fs := newFlagSet("logout", logoutUsage, stderr)
	fs.StringVar(&api.apiURL, "api-url", defaultAPIURL, "base URL of the Pome server")
	if err := parseFlags(fs, args, getenv, nil); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	base, err := api.base()
	if err != nil {
		return err
	}
	store, err := openSessions(getenv)
	if err != nil {
		return err
	}
	ss, ok, err := store.get(base)
	if err != nil {
		return err
	}
	if !ok {
		_, err := fmt.Fprintf(stdout, "Not logged in to %s.\n", base)
		return err
	}
	// The local copy goes whatever the server answers: logging out must
	// always work on this machine. A server that could not be told keeps
	// the session until it idles out; the error says so.
	if _, err := store.remove(base); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	c := client.New(base, client.WithUserAgent(userAgent), client.WithSession(ss.Token))
	if err := c.Logout(ctx); err != nil {
		return fmt.Errorf("removed the stored session, but the server was not told (it ends the session after 7 idle days): %w", err)
	}
	_, err = fmt.Fprintf(stdout, "Logged out of %s.\n", base)
	return err
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
