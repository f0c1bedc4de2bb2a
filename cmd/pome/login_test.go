package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

var keyLine = regexp.MustCompile(`^pme_[A-Za-z0-9]{36}\n$`)

// userEnv is the environment of a person using the CLI against base: a
// home of their own (never the real one), so the session goes to
// $HOME/.config/pome as os.UserConfigDir would put it.
func userEnv(t *testing.T, base string) map[string]string {
	t.Helper()
	return map[string]string{"POME_API_URL": base, "HOME": t.TempDir()}
}

// sessionsPath is where the CLI stores sessions in env's home.
func sessionsPath(env map[string]string) string {
	return filepath.Join(env["HOME"], ".config", "pome", "sessions.json")
}

// mustRun runs the CLI and fails the test unless it exits with code.
func mustRun(t *testing.T, env map[string]string, stdin string, code int, args ...string) cliResult {
	t.Helper()
	r := runCLI(t, env, stdin, args...)
	if r.code != code {
		t.Fatalf("pome %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}

// mustLogin signs email in through `pome login`, the password on stdin.
func mustLogin(t *testing.T, env map[string]string, email string) {
	t.Helper()
	mustRun(t, env, pometest.Password+"\n", 0, "login", "--email", email)
}

// aliceSignedIn is a server without rate limits where alice has signed up,
// and the environment of her CLI, logged in to it.
func aliceSignedIn(t *testing.T) (*pometest.Server, map[string]string) {
	t.Helper()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	s.Signup(t, "alice@example.com")
	env := userEnv(t, s.URL)
	mustLogin(t, env, "alice@example.com")
	return s, env
}

// mustStoredSessions reads the sessions file, checking its mode and its
// directory's.
func mustStoredSessions(t *testing.T, env map[string]string) map[string]storedSession {
	t.Helper()
	path := sessionsPath(env)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("sessions file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode = %v, want 0600", path, fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("%s mode = %v, want 0700", filepath.Dir(path), di.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Sessions map[string]storedSession `json:"sessions"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("sessions file %s: %v", b, err)
	}
	return f.Sessions
}

// TestLoginLogout drives pome login and logout against a real server: the
// session stored per API URL with mode 0600, and ended on logout.
func TestLoginLogout(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	s.Signup(t, "alice@example.com")
	down := "http://" + closedAddr(t)

	t.Run("login", func(t *testing.T) {
		env := userEnv(t, s.URL)
		r := mustRun(t, env, pometest.Password+"\n", 0, "login", "--email", "alice@example.com")
		mustContain(t, "stdout", r.stdout, "Logged in to "+s.URL+" as alice@example.com (default team alice)", sessionsPath(env))
		if strings.Contains(r.stdout+r.stderr, pometest.Password) {
			t.Error("login printed the password")
		}
		ss := mustStoredSessions(t, env)[s.URL]
		if ss.Token == "" || ss.Email != "alice@example.com" || !strings.HasPrefix(ss.UserID, "usr_") {
			t.Fatalf("stored session = %+v", ss)
		}
		if strings.Contains(r.stdout+r.stderr, ss.Token) {
			t.Error("login printed the session token")
		}
		// The stored token is a live session.
		if _, err := client.New(s.URL, client.WithSession(ss.Token)).Session(t.Context()); err != nil {
			t.Errorf("the stored session: %v", err)
		}

		r = mustRun(t, env, "", 0, "logout")
		mustContain(t, "stdout", r.stdout, "Logged out of "+s.URL)
		if _, ok := mustStoredSessions(t, env)[s.URL]; ok {
			t.Error("logout left the session in the file")
		}
		_, err := client.New(s.URL, client.WithSession(ss.Token)).Session(t.Context())
		if !errors.Is(err, pome.ErrUnauthorized) {
			t.Errorf("the session after logout: %v, want unauthorized", err)
		}
		r = mustRun(t, env, "", 0, "logout")
		mustContain(t, "stdout", r.stdout, "Not logged in to "+s.URL)
	})

	t.Run("json and config dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "conf")
		env := map[string]string{"POME_API_URL": s.URL, "POME_CONFIG_DIR": dir}
		r := mustRun(t, env, pometest.Password+"\r\n", 0, "login", "--email", "alice@example.com", "--json")
		var sess client.Session
		if err := json.Unmarshal([]byte(r.stdout), &sess); err != nil || sess.User.Email != "alice@example.com" || sess.DefaultTeam != "alice" {
			t.Errorf("login --json = %q (%v)", r.stdout, err)
		}
		fi, err := os.Stat(filepath.Join(dir, "sessions.json"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("POME_CONFIG_DIR/sessions.json: %v, %v", fi, err)
		}
	})

	t.Run("one session per server", func(t *testing.T) {
		s2 := pometest.NewServer(t)
		s2.Signup(t, "alice@example.com")
		env := userEnv(t, s.URL)
		mustLogin(t, env, "alice@example.com")
		mustRun(t, env, pometest.Password+"\n", 0, "login", "--email", "alice@example.com", "--api-url", s2.URL+"/")
		got := mustStoredSessions(t, env)
		if len(got) != 2 || got[s.URL].Token == "" || got[s2.URL].Token == "" {
			t.Fatalf("stored sessions = %v, want one for each server", got)
		}
		mustRun(t, env, "", 0, "logout", "--api-url", s2.URL)
		if got := mustStoredSessions(t, env); len(got) != 1 || got[s.URL].Token == "" {
			t.Errorf("after logout of the second server: %v", got)
		}
		mustRun(t, env, "", 0, "keys", "list")
	})

	tests := []struct {
		name   string
		env    map[string]string
		stdin  string
		args   []string
		code   int
		stderr []string
	}{
		{"wrong password", map[string]string{"POME_API_URL": s.URL}, "not the password\n",
			[]string{"--email", "alice@example.com"}, 1, []string{"error: Invalid email or password (code invalid_credentials, request_id req_"}},
		{"email from env", map[string]string{"POME_API_URL": s.URL, "POME_EMAIL": "alice@example.com"}, pometest.Password, nil, 0, nil},
		{"no email from a pipe", map[string]string{"POME_API_URL": s.URL}, pometest.Password + "\n", nil, 2, []string{"--email is required when stdin is not a terminal"}},
		{"no password", map[string]string{"POME_API_URL": s.URL}, "", []string{"--email", "alice@example.com"}, 2, []string{"give the password on stdin"}},
		{"no server", map[string]string{"POME_API_URL": down}, "pw\n", []string{"--email", "alice@example.com"}, 1, []string{"error: cannot reach Pome at " + down}},
		{"bad url", nil, "pw\n", []string{"--email", "a@example.com", "--api-url", "pome.example.com"}, 2, []string{"must be an http:// or https:// URL"}},
		{"stray argument", nil, "", []string{"alice"}, 2, []string{`unexpected argument "alice"`}},
		{"help", nil, "", []string{"--help"}, 0, []string{"Examples:", "password is read from stdin"}},
		{"no home", map[string]string{"POME_API_URL": s.URL, "HOME": ""}, "pw\n", []string{"--email", "a@example.com"}, 1, []string{"cannot find a config directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HOME": t.TempDir()}
			for k, v := range tt.env {
				env[k] = v
			}
			r := mustRun(t, env, tt.stdin, tt.code, append([]string{"login"}, tt.args...)...)
			mustContain(t, "output", r.stdout+r.stderr, tt.stderr...)
			if tt.code != 0 {
				if _, err := os.Stat(sessionsPath(env)); err == nil {
					t.Errorf("a failed login stored a session")
				}
			}
		})
	}

	t.Run("logout with the server down", func(t *testing.T) {
		env := userEnv(t, s.URL)
		mustLogin(t, env, "alice@example.com")
		ss := mustStoredSessions(t, env)[s.URL]
		// The same session, stored for an address where nothing listens.
		st := &sessionStore{dir: filepath.Dir(sessionsPath(env))}
		if err := st.put(down, ss); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, env, "", 1, "logout", "--api-url", down)
		mustContain(t, "stderr", r.stderr, "removed the stored session, but the server was not told", "cannot reach Pome")
		if _, ok := mustStoredSessions(t, env)[down]; ok {
			t.Error("logout kept the session of the server it could not reach")
		}
	})
}
