package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// TestWhoami drives `pome whoami` against a real server: the docs/api.md exit
// statuses, and an API error's message and request_id on stderr.
func TestWhoami(t *testing.T) {
	t.Parallel()
	s := mustServe(t, t.TempDir())
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "alice@example.com", "Acme Corp")
	key := mustCreateKey(t, b, s.URL, "ci-prod")
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	down := closedAddr(t)

	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		code       int
		wantStdout []string
		wantStderr []string
	}{
		{"key from env", map[string]string{"POME_API_KEY": key.Key, "POME_API_URL": s.URL}, nil, 0,
			[]string{"alice@example.com", "acme-corp", "plan free", "ci-prod", key.Key[:12], "role owner"}, nil},
		{"key from flag", nil, []string{"--token", key.Key, "--api-url", s.URL + "/"}, 0,
			[]string{"alice@example.com"}, nil},
		{"flag wins over env", map[string]string{"POME_API_KEY": unknown}, []string{"--token", key.Key, "--api-url", s.URL}, 0,
			[]string{"alice@example.com"}, nil},
		{"json", map[string]string{"POME_API_KEY": key.Key, "POME_API_URL": s.URL}, []string{"--json"}, 0,
			[]string{`"email":"alice@example.com"`, `"plan_tier":"free"`}, nil},
		{"unknown key", map[string]string{"POME_API_KEY": unknown, "POME_API_URL": s.URL}, nil, 1,
			nil, []string{"error: ", "(code invalid_api_key, request_id req_"}},
		{"malformed key", map[string]string{"POME_API_KEY": "pme_nope", "POME_API_URL": s.URL}, nil, 1,
			nil, []string{"code invalid_api_key", "request_id req_"}},
		{"no key", map[string]string{"POME_API_URL": s.URL}, nil, 2,
			nil, []string{"no API key (set POME_API_KEY or pass --token), and not logged in to " + s.URL}},
		{"server down", map[string]string{"POME_API_KEY": key.Key, "POME_API_URL": "http://" + down}, nil, 1,
			nil, []string{"error: cannot reach Pome at http://" + down}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", append([]string{"whoami"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("whoami: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("whoami stdout = %q, want it to contain %q", r.stdout, w)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("whoami stderr = %q, want it to contain %q", r.stderr, w)
				}
			}
			if strings.Contains(r.stdout+r.stderr, key.Key) {
				t.Errorf("whoami printed the plaintext key")
			}
		})
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestAdminReachesRunningServer protects docs/api.md: what `pome admin` changes
// straight on the database reaches a running server within 5 s — a ban stops
// the team's keys, an unban restores them, a new plan shows in /v1/me.
func TestAdminReachesRunningServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustServe(t, dir)
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "bob@example.com", "Bob Team")
	key := mustCreateKey(t, b, s.URL, "k")
	first := getMeAs(t, s.URL, key.Key)
	if first.status != http.StatusOK {
		t.Fatalf("GET /v1/me = %d, want 200", first.status)
	}
	slug := first.me.Team.Slug
	admin := func(t *testing.T, args ...string) cliResult {
		t.Helper()
		r := runCLI(t, nil, "", append([]string{"admin", "--data-dir", dir}, args...)...)
		if r.code != 0 {
			t.Fatalf("pome admin %v: exit %d\nstderr:\n%s", args, r.code, r.stderr)
		}
		return r
	}
	// Each step depends on the one before: sequential subtests.
	t.Run("ban", func(t *testing.T) {
		admin(t, "team", "ban", slug, "--yes")
		waitFor(t, 5*time.Second, "key answers 403 team_banned", func() bool {
			r := getMeAs(t, s.URL, key.Key)
			return r.status == http.StatusForbidden && r.err.Error.Code == "team_banned"
		})
	})
	t.Run("unban", func(t *testing.T) {
		admin(t, "team", "unban", slug)
		waitFor(t, 5*time.Second, "key answers 200 again", func() bool {
			return getMeAs(t, s.URL, key.Key).status == http.StatusOK
		})
	})
	t.Run("set-plan", func(t *testing.T) {
		r := admin(t, "team", "set-plan", slug, "pro")
		if !strings.Contains(r.stdout, "plan pro") {
			t.Errorf("set-plan stdout = %q, want it to say plan pro", r.stdout)
		}
		waitFor(t, 5*time.Second, "/v1/me shows plan_tier pro", func() bool {
			r := getMeAs(t, s.URL, key.Key)
			return r.status == http.StatusOK && r.me.Team.PlanTier == "pro"
		})
	})
	t.Run("unknown team", func(t *testing.T) {
		r := runCLI(t, nil, "", "admin", "--data-dir", dir, "team", "ban", "no-such-team", "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, `no team with slug "no-such-team"`) {
			t.Errorf("ban unknown team: exit %d, stderr %q; want 1 and a clear message", r.code, r.stderr)
		}
	})
	t.Run("no database", func(t *testing.T) {
		r := runCLI(t, nil, "", "admin", "--data-dir", t.TempDir(), "team", "ban", slug, "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, "no Pome database at") {
			t.Errorf("ban in empty dir: exit %d, stderr %q; want 1 and a clear message", r.code, r.stderr)
		}
	})
	t.Run("user create", func(t *testing.T) {
		const pw = "s3cret-passw0rd"
		r := runCLI(t, nil, pw+"\n", "admin", "--data-dir", dir, "user", "create", "--email", "carol@example.com", "--team-name", "Carol Co")
		if r.code != 0 {
			t.Fatalf("user create: exit %d\nstderr:\n%s", r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "created user usr_") || !strings.Contains(r.stdout, "team carol-co") {
			t.Errorf("user create stdout = %q, want the user id and team slug", r.stdout)
		}
		if strings.Contains(r.stdout+r.stderr, pw) {
			t.Errorf("user create printed the password")
		}
		in := map[string]string{"email": "carol@example.com", "password": pw}
		if got := call(t, newBrowser(t), "POST", s.URL+"/api/auth/login", in, nil); got != http.StatusOK {
			t.Errorf("login as the created user = %d, want 200", got)
		}
	})
	t.Run("user create taken email", func(t *testing.T) {
		r := runCLI(t, nil, "another-passw0rd\n", "admin", "--data-dir", dir, "user", "create", "--email", "bob@example.com")
		if r.code != 1 || !strings.Contains(r.stderr, "code email_taken") {
			t.Errorf("user create taken email: exit %d, stderr %q; want 1 and email_taken", r.code, r.stderr)
		}
	})
	t.Run("user create no password", func(t *testing.T) {
		r := runCLI(t, nil, "", "admin", "--data-dir", dir, "user", "create", "--email", "dave@example.com")
		if r.code != 2 || !strings.Contains(r.stderr, "password on stdin") {
			t.Errorf("user create without password: exit %d, stderr %q; want 2", r.code, r.stderr)
		}
	})
	if strings.Contains(s.stderr.String(), key.Key) {
		t.Errorf("server log holds a plaintext key")
	}
}

// TestServeShutdownFlushesUsage protects docs/api.md in-process: when
// serve's context ends, every counted request is written before run returns.
func TestServeShutdownFlushesUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustServe(t, dir)
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "erin@example.com", "")
	key := mustCreateKey(t, b, s.URL, "k")
	const n = 25
	for i := range n {
		if r := getMeAs(t, s.URL, key.Key); r.status != http.StatusOK {
			t.Fatalf("call %d: GET /v1/me = %d, want 200", i, r.status)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve returned %v after cancel, want nil\nstderr:\n%s", err, s.stderr)
	}
	if log := s.stderr.String(); strings.Contains(log, key.Key) || strings.Contains(log, testPassword) {
		t.Errorf("server log holds a key or password:\n%s", log)
	}

	s2 := mustServe(t, dir)
	got := mustListKeys(t, b, s2.URL)[key.ID]
	if got.UsageCount != n || got.LastUsed == nil {
		t.Errorf("after restart usage_count = %d, last_used = %v; want %d and set", got.UsageCount, got.LastUsed, n)
	}
}

// TestServeSecureCookies protects --secure-cookies: the session cookie is
// __Host- prefixed and Secure.
func TestServeSecureCookies(t *testing.T) {
	t.Parallel()
	s := mustServe(t, t.TempDir(), "--secure-cookies")
	b, _ := json.Marshal(map[string]string{"email": "sam@example.com", "password": testPassword})
	resp, err := http.Post(s.URL+"/api/auth/signup", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "__Host-pome_session=") || !strings.Contains(c, "; Secure") {
		t.Errorf("signup with --secure-cookies: Set-Cookie %q", c)
	}
}

// TestServeSignupClosed protects --signup closed: nobody signs up through
// the API, and the operator's `pome admin user create` still makes users who
// can sign in.
func TestServeSignupClosed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustServe(t, dir, "--signup", "closed")
	in := map[string]string{"email": "gina@example.com", "password": testPassword}
	var e errorBody
	if got := call(t, newBrowser(t), "POST", s.URL+"/api/auth/signup", in, &e); got != http.StatusForbidden || e.Error.Code != "signup_closed" {
		t.Errorf("POST /api/auth/signup = %d %s, want 403 signup_closed", got, e.Error.Code)
	}
	r := runCLI(t, nil, testPassword+"\n", "admin", "--data-dir", dir, "user", "create", "--email", "gina@example.com")
	if r.code != 0 {
		t.Fatalf("user create: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	if got := call(t, newBrowser(t), "POST", s.URL+"/api/auth/login", in, nil); got != http.StatusOK {
		t.Errorf("login as the created user = %d, want 200", got)
	}
}

// TestServeOneServerPerDataDir protects docs/operations.md: a second
// `pome serve` on a data directory in use is refused, naming the process
// that uses it, and exits 1; the first serves on.
func TestServeOneServerPerDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustServe(t, dir)
	r := runCLI(t, nil, "", "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	want := fmt.Sprintf("error: another pome serve is using %s (pid %d)", dir, os.Getpid())
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("second serve: exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
	mustBeHealthy(t, s.URL)
}

// TestServeAddrTaken protects docs/operations.md: serve listens before it
// touches the data directory, so an address in use (exit 1) leaves no
// database created, or migrated, behind.
func TestServeAddrTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	r := runCLI(t, nil, "", "serve", "--addr", ln.Addr().String(), "--data-dir", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "listen on "+ln.Addr().String()) {
		t.Errorf("serve on a taken address: exit %d, stderr %q; want 1 and the address", r.code, r.stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("data dir after a failed listen: %v, want none", err)
	}
}
