package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

const newPassword = "a whole new passphrase"

// TestPasswordCommand: pome password reads the current and the new password
// from stdin, keeps this session and ends the user's others; a wrong
// current password is the server's refusal (exit 1), and a missing line a
// usage error (exit 2).
func TestPasswordCommand(t *testing.T) {
	t.Parallel()
	s, env := aliceSignedIn(t)
	laptop := userEnv(t, s.URL)
	mustLogin(t, laptop, "alice@example.com")

	r := mustRun(t, env, "not my password\n"+newPassword+"\n", 1, "password")
	mustContain(t, "pome password, wrong current password", r.stderr, "wrong_password")
	r = mustRun(t, env, pometest.Password+"\n", 2, "password")
	mustContain(t, "pome password, one line", r.stderr, "give the current password and the new one on stdin")
	mustRun(t, laptop, "", 0, "sessions", "list") // the refusals ended nothing

	r = mustRun(t, env, pometest.Password+"\n"+newPassword+"\n", 0, "password")
	mustContain(t, "pome password", r.stdout, "Password changed")
	mustRun(t, env, "", 0, "sessions", "list")
	r = mustRun(t, laptop, "", 1, "sessions", "list")
	mustContain(t, "the other session after the change", r.stderr, "session expired, run pome login")
	mustRun(t, userEnv(t, s.URL), newPassword+"\n", 0, "login", "--email", "alice@example.com")
}

// TestSessionsCommands: pome sessions list shows the user's sessions, this
// one marked, and never a token; pome sessions end ends one of them, and
// another user's id is not found.
func TestSessionsCommands(t *testing.T) {
	t.Parallel()
	s, env := aliceSignedIn(t)
	laptop := userEnv(t, s.URL)
	mustLogin(t, laptop, "alice@example.com")
	bob := newBrowser(t)
	if code := call(t, bob, "POST", s.URL+"/api/auth/signup", map[string]string{"email": "bob@example.com", "password": pometest.Password}, nil); code != 201 {
		t.Fatalf("bob's signup = %d", code)
	}

	// current lists the sessions through the CLI of e and returns the id of
	// its own.
	current := func(e map[string]string) (string, int) {
		t.Helper()
		var l client.UserSessionList
		r := mustRun(t, e, "", 0, "sessions", "list", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &l); err != nil {
			t.Fatalf("sessions list --json: %v", err)
		}
		for _, x := range l.Sessions {
			if x.Current {
				return x.ID, len(l.Sessions)
			}
		}
		t.Fatalf("sessions list --json = %+v, none current", l.Sessions)
		return "", 0
	}
	// aliceSignedIn's signup, her CLI and her laptop.
	mine, n := current(env)
	theirs, _ := current(laptop)
	if n != 3 || mine == theirs {
		t.Fatalf("sessions list: %d sessions, this one %s, the laptop's %s; want alice's 3, two of them these", n, mine, theirs)
	}
	table := mustRun(t, env, "", 0, "sessions", "list", "-o", "wide").stdout
	mustContain(t, "sessions list", table, "ID", "THIS", mine, theirs)
	for _, stored := range []map[string]string{env, laptop} {
		for _, sess := range mustStoredSessions(t, stored) {
			if strings.Contains(table, sess.Token) {
				t.Error("sessions list shows a session token")
			}
		}
	}

	var bobs client.UserSessionList
	if code := call(t, bob, "GET", s.URL+"/api/auth/sessions", nil, &bobs); code != 200 || len(bobs.Sessions) != 1 {
		t.Fatalf("bob's sessions = %d %+v", code, bobs)
	}
	r := mustRun(t, env, "", 1, "sessions", "end", bobs.Sessions[0].ID)
	mustContain(t, "sessions end of another user's session", r.stderr, "session_not_found")
	if code := call(t, bob, "GET", s.URL+"/api/session", nil, nil); code != 200 {
		t.Errorf("bob after alice tried to end his session: %d, want 200", code)
	}

	r = mustRun(t, env, "", 0, "sessions", "end", theirs)
	mustContain(t, "sessions end", r.stdout, "Ended session "+theirs)
	r = mustRun(t, laptop, "", 1, "sessions", "list")
	mustContain(t, "the ended session", r.stderr, "session expired, run pome login")
	mustRun(t, env, "", 2, "sessions", "end")
}

// TestAdminResetPassword: pome admin user reset-password prints a one-time
// link, whole with --public-url and as a path without; the link sets the
// password once, through the server of the same database.
func TestAdminResetPassword(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustRun(t, nil, pometest.Password+"\n", 0, "admin", "user", "create", "--email", "alice@example.com", "--data-dir", dir)

	r := mustRun(t, nil, "", 1, "admin", "user", "reset-password", "nobody@example.com", "--data-dir", dir)
	mustContain(t, "reset-password of an unknown email", r.stderr, "user_not_found")
	r = mustRun(t, nil, "", 2, "admin", "user", "reset-password", "alice@example.com", "--data-dir", dir, "--public-url", "keys.example.com")
	mustContain(t, "reset-password with a bad --public-url", r.stderr, "--public-url")

	path := mustRun(t, nil, "", 0, "admin", "user", "reset-password", "alice@example.com", "--data-dir", dir)
	if !strings.HasPrefix(path.stdout, "/reset/") || strings.Count(path.stdout, "\n") != 1 {
		t.Errorf("reset-password without --public-url stdout = %q, want the path alone", path.stdout)
	}
	mustContain(t, "reset-password stderr", path.stderr, "works once", "Put the server's URL before it")
	r = mustRun(t, map[string]string{"POME_PUBLIC_URL": "https://keys.example.com/"}, "", 0,
		"admin", "user", "reset-password", "Alice@Example.com", "--data-dir", dir)
	const prefix = "https://keys.example.com/reset/"
	if !strings.HasPrefix(r.stdout, prefix) || len(strings.TrimSpace(r.stdout)) != len(prefix)+43 {
		t.Fatalf("reset-password with POME_PUBLIC_URL stdout = %q, want %s<43 characters>", r.stdout, prefix)
	}
	token := strings.TrimSpace(strings.TrimPrefix(r.stdout, prefix))

	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "pome.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := pometest.NewServer(t, pometest.WithDB(db))
	c := client.New(s.URL)
	old := strings.TrimSpace(strings.TrimPrefix(path.stdout, "/reset/"))
	if err := c.ResetPassword(t.Context(), old, newPassword); err == nil || !strings.Contains(err.Error(), "invalid_reset_token") {
		t.Errorf("ResetPassword(the replaced link) = %v, want invalid_reset_token", err)
	}
	if err := c.ResetPassword(t.Context(), token, newPassword); err != nil {
		t.Fatalf("ResetPassword(the newest link) = %v, want nil", err)
	}
	mustRun(t, userEnv(t, s.URL), newPassword+"\n", 0, "login", "--email", "alice@example.com")
}
