package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pomehq/pome/internal/pometest"
)

// pty is a pseudo-terminal: the CLI gets tty (a real terminal), the test
// plays the person at master.
type pty struct {
	master, tty *os.File
	mu          sync.Mutex
	seen        bytes.Buffer // everything the terminal showed
	done        chan struct{}
}

func mustPTY(t *testing.T) *pty {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pty number: %v", err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty: %v", err)
	}
	p := &pty{master: master, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.seen.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		tty.Close()
		master.Close()
		<-p.done
	})
	return p
}

func (p *pty) shown() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen.String()
}

// echoOff reports whether the terminal no longer echoes what is typed.
func (p *pty) echoOff() bool {
	tio, err := unix.IoctlGetTermios(int(p.tty.Fd()), unix.TCGETS)
	return err == nil && tio.Lflag&unix.ECHO == 0
}

// TestLoginAtTerminal protects the interactive login: it asks for the
// email, then for the password without echoing it.
func TestLoginAtTerminal(t *testing.T) {
	t.Parallel()
	p := mustPTY(t)
	s := pometest.NewServer(t)
	s.Signup(t, "alice@example.com")
	env := userEnv(t, s.URL)

	done := make(chan error, 1)
	var stdout bytes.Buffer
	go func() {
		done <- run(t.Context(), []string{"pome", "login"}, mapEnv(env), p.tty, &stdout, p.tty)
	}()
	waitFor(t, 10*time.Second, "the email prompt", func() bool { return strings.Contains(p.shown(), "Email: ") })
	io.WriteString(p.master, "alice@example.com\n")
	waitFor(t, 10*time.Second, "the password prompt with echo off", func() bool {
		return strings.Contains(p.shown(), "Password: ") && p.echoOff()
	})
	io.WriteString(p.master, pometest.Password+"\n")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("login at a terminal: %v\nterminal:\n%s", err, p.shown())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("login did not return\nterminal:\n%s", p.shown())
	}
	mustContain(t, "stdout", stdout.String(), "Logged in to "+s.URL+" as alice@example.com")
	if strings.Contains(p.shown(), pometest.Password) {
		t.Errorf("the terminal echoed the password:\n%s", p.shown())
	}
	if !strings.Contains(p.shown(), "alice@example.com") {
		t.Errorf("the terminal did not echo the email:\n%s", p.shown())
	}
	if p.echoOff() {
		t.Error("login left the terminal without echo")
	}
	if mustStoredSessions(t, env)[s.URL].Token == "" {
		t.Error("no session stored")
	}

	// At a terminal, keys create shows a notice with the key, in color
	// unless NO_COLOR.
	for _, noColor := range []string{"", "1"} {
		env["NO_COLOR"] = noColor
		var stderr bytes.Buffer
		before := len(p.shown())
		if err := run(t.Context(), []string{"pome", "keys", "create", "tty-" + noColor}, mapEnv(env), nil, p.tty, &stderr); err != nil {
			t.Fatalf("keys create at a terminal: %v", err)
		}
		waitFor(t, 5*time.Second, "the key on the terminal", func() bool { return strings.Contains(p.shown()[before:], "pme_") })
		out := p.shown()[before:]
		mustContain(t, "terminal", out, "Created key key_", "only once")
		if hasColor := strings.Contains(out, "\x1b["); hasColor != (noColor == "") {
			t.Errorf("NO_COLOR=%q: colors = %v:\n%q", noColor, hasColor, out)
		}
		if stderr.Len() != 0 {
			t.Errorf("stderr = %q, want nothing at a terminal", stderr.String())
		}
	}
}

// TestConfirmAtTerminal protects the question before a destructive action
// at a terminal: anything but y or yes changes nothing (exit 2); yes goes
// on.
func TestConfirmAtTerminal(t *testing.T) {
	t.Parallel()
	p := mustPTY(t)
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKeyWith(t, alice, `{"name":"laptop"}`)
	env := userEnv(t, s.URL)
	mustLogin(t, env, "alice@example.com")

	// answer runs pome at the terminal, waits for its question, answers,
	// and returns its exit status.
	answer := func(reply string, args ...string) int {
		t.Helper()
		before := len(p.shown())
		done := make(chan error, 1)
		var stdout bytes.Buffer
		go func() {
			done <- run(t.Context(), append([]string{"pome"}, args...), mapEnv(env), p.tty, &stdout, p.tty)
		}()
		waitFor(t, 10*time.Second, "the question", func() bool { return strings.Contains(p.shown()[before:], "[y/N] ") })
		mustContain(t, "the question", p.shown()[before:], "Revoke key "+key.ID+" (laptop)?")
		io.WriteString(p.master, reply+"\n")
		select {
		case err := <-done:
			return exitCode(err)
		case <-time.After(20 * time.Second):
			t.Fatalf("pome %v did not return\nterminal:\n%s", args, p.shown())
			return -1
		}
	}
	for _, reply := range []string{"", "n", "no", "whatever"} {
		if code := answer(reply, "keys", "revoke", "laptop"); code != 2 {
			t.Errorf("reply %q: exit %d, want 2", reply, code)
		}
		if r := getMeAs(t, s.URL, key.Key); r.status != 200 {
			t.Fatalf("reply %q revoked the key: GET /v1/me = %d", reply, r.status)
		}
	}
	mustContain(t, "terminal", p.shown(), "not confirmed; nothing was changed")
	if code := answer("y", "keys", "revoke", "laptop"); code != 0 {
		t.Fatalf("reply y: exit %d\nterminal:\n%s", code, p.shown())
	}
	if r := getMeAs(t, s.URL, key.Key); r.err.Error.Code != "key_revoked" {
		t.Errorf("after yes: GET /v1/me = %d %s, want key_revoked", r.status, r.err.Error.Code)
	}
}

// TestPasswordAtTerminal protects the interactive password change: three
// prompts without echo (current, new, new again); two new passwords that
// differ change nothing (exit 2), the same twice changes it.
func TestPasswordAtTerminal(t *testing.T) {
	t.Parallel()
	p := mustPTY(t)
	s, env := aliceSignedIn(t)
	change := func(answers ...string) error {
		done := make(chan error, 1)
		before := len(p.shown())
		go func() {
			done <- run(t.Context(), []string{"pome", "password"}, mapEnv(env), p.tty, io.Discard, p.tty)
		}()
		for _, prompt := range []string{"Current password: ", "New password: ", "New password, again: "} {
			waitFor(t, 10*time.Second, "the prompt "+prompt+"with echo off", func() bool {
				return strings.Contains(p.shown()[before:], prompt) && p.echoOff()
			})
			before = len(p.shown())
			io.WriteString(p.master, answers[0]+"\n")
			answers = answers[1:]
		}
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatalf("pome password did not return\nterminal:\n%s", p.shown())
			return nil
		}
	}
	if err := change(pometest.Password, newPassword, "something else entirely"); exitCode(err) != 2 {
		t.Errorf("pome password with new passwords that differ = %v, want exit 2", err)
	}
	if err := change(pometest.Password, newPassword, newPassword); err != nil {
		t.Fatalf("pome password at a terminal: %v\nterminal:\n%s", err, p.shown())
	}
	if strings.Contains(p.shown(), newPassword) || strings.Contains(p.shown(), pometest.Password) {
		t.Errorf("the terminal echoed a password:\n%s", p.shown())
	}
	mustRun(t, userEnv(t, s.URL), newPassword+"\n", 0, "login", "--email", "alice@example.com")
}
