package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// TestKeysCommands drives every pome keys command and flag against a real
// server, signed in through pome login: output for people and --json, the
// key printed once and alone on a pipe, exit statuses.
func TestKeysCommands(t *testing.T) {
	t.Parallel()
	s, env := aliceSignedIn(t)

	// create: on a pipe, stdout holds the key alone.
	r := mustRun(t, env, "", 0, "keys", "create", "ci")
	if !keyLine.MatchString(r.stdout) {
		t.Fatalf("keys create stdout = %q, want the key alone", r.stdout)
	}
	ciKey := strings.TrimSpace(r.stdout)
	// The defaults give the least privilege, to an owner too: developer, 90 days.
	ciExpiry := pometest.Epoch.AddDate(0, 0, 90).Format("2006-01-02 15:04")
	mustContain(t, "keys create stderr", r.stderr, "Created key key_", "(ci, role developer, expires "+ciExpiry+")", "only once")
	me := mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": ciKey}, "", 0, "whoami")
	mustContain(t, "whoami with the created key", me.stdout, "key   ci (", "role developer")
	ciID := keyIDOf(t, s, ciKey)

	// create: flags after the name, --json.
	r = mustRun(t, env, "", 0, "keys", "create", "reporting", "--description", "read-only dashboards",
		"--role", "viewer", "--expires-in-days", "7", "--json")
	var created client.CreatedKey
	mustDecode(t, r.stdout, &created)
	if created.Name != "reporting" || created.Description != "read-only dashboards" || created.Role != pome.RoleViewer ||
		created.ExpiresAt == nil || !created.ExpiresAt.Equal(pometest.Epoch.AddDate(0, 0, 7)) || !strings.HasPrefix(created.Key, "pme_") {
		t.Errorf("keys create --json = %+v", created)
	}

	t.Run("list", func(t *testing.T) {
		r := mustRun(t, env, "", 0, "keys", "list")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 3 {
			t.Fatalf("keys list = %q, want a header and 2 rows", r.stdout)
		}
		mustContain(t, "keys list header", lines[0], "ID", "NAME", "PREFIX", "ROLE", "LAST USED", "USAGE", "EXPIRES", "STATUS")
		mustContain(t, "keys list", r.stdout, ciID, "ci", ciKey[:12], "reporting", "viewer", "never", "active",
			pometest.Epoch.AddDate(0, 0, 7).Format("2006-01-02 15:04"), ciExpiry)
		if strings.Contains(r.stdout, ciKey) || strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("keys list printed a plaintext key or colors on a pipe: %q", r.stdout)
		}

		r = mustRun(t, env, "", 0, "keys", "list", "--json")
		var l client.KeyList
		mustDecode(t, r.stdout, &l)
		if l.Total != 2 || len(l.Keys) != 2 {
			t.Errorf("keys list --json = %+v", l)
		}
		r = mustRun(t, env, "", 0, "keys", "list", "--status", "revoked")
		if r.stdout != "No revoked keys.\n" {
			t.Errorf("keys list --status revoked = %q", r.stdout)
		}
		r = mustRun(t, env, "", 2, "keys", "list", "--status", "gone")
		mustContain(t, "stderr", r.stderr, "--status must be active, revoked, expired or all")
	})

	t.Run("usage", func(t *testing.T) {
		for range 3 {
			mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": ciKey}, "", 0, "whoami")
		}
		if err := s.Meter.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, env, "", 0, "keys", "usage", ciID, "--days", "7")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 9 || !strings.HasPrefix(lines[0], "DATE") || !strings.HasPrefix(lines[8], "total") {
			t.Fatalf("keys usage --days 7 = %q, want a header, 7 days and a total", r.stdout)
		}
		today := pometest.Epoch.Format(time.DateOnly)
		// whoami after create, keyIDOf, and these three.
		if f := strings.Fields(lines[7]); len(f) < 3 || f[0] != today || f[1] != "5" {
			t.Errorf("keys usage today = %q, want %s 5 and a bar", lines[7], today)
		}
		if f := strings.Fields(lines[8]); f[1] != "5" {
			t.Errorf("keys usage total = %q, want 5", lines[8])
		}
		r = mustRun(t, env, "", 0, "keys", "usage", "--json", ciID)
		var u client.KeyUsage
		mustDecode(t, r.stdout, &u)
		if u.KeyID != ciID || len(u.Days) != 30 || u.Total() != 5 {
			t.Errorf("keys usage --json = %+v", u)
		}
		mustRun(t, env, "", 2, "keys", "usage", ciID, "--days", "0")
		mustRun(t, env, "", 2, "keys", "usage")
	})

	t.Run("roll", func(t *testing.T) {
		old := mustRun(t, env, "", 0, "keys", "create", "deploy")
		oldKey := strings.TrimSpace(old.stdout)
		oldID := keyIDOf(t, s, oldKey)
		r := mustRun(t, env, "", 0, "keys", "roll", oldID, "--grace", "1h")
		if !keyLine.MatchString(r.stdout) || strings.TrimSpace(r.stdout) == oldKey {
			t.Fatalf("keys roll stdout = %q, want the new key alone", r.stdout)
		}
		mustContain(t, "keys roll stderr", r.stderr, "Rolled key "+oldID+" into key_",
			"keeps working until "+pometest.Epoch.Add(time.Hour).Format("2006-01-02 15:04")+" UTC")
		// Both work during the grace.
		mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": oldKey}, "", 0, "whoami")
		newKey := strings.TrimSpace(r.stdout)
		mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": newKey}, "", 0, "whoami")

		r = mustRun(t, env, "", 2, "keys", "roll", keyIDOf(t, s, newKey), "--grace", "0")
		mustContain(t, "keys roll --grace 0 on a pipe", r.stderr, "keys roll: stdin is not a terminal to confirm on: pass --yes")
		mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": newKey}, "", 0, "whoami")
		r = mustRun(t, env, "", 0, "keys", "roll", keyIDOf(t, s, newKey), "--json", "--grace", "0", "--yes")
		var rolled client.RolledKey
		mustDecode(t, r.stdout, &rolled)
		if rolled.OldKey.Status != pome.KeyExpired || rolled.Name != "deploy" {
			t.Errorf("keys roll --grace 0 --json = %+v, want the old key expired now", rolled)
		}
		r = mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": newKey}, "", 1, "whoami")
		mustContain(t, "whoami with the rolled-away key", r.stderr, "API key has expired (code key_expired, request_id req_")

		for _, g := range []string{"90m", "169h", "-1h", "soon"} {
			r := mustRun(t, env, "", 2, "keys", "roll", oldID, "--grace", g)
			mustContain(t, "stderr", r.stderr, "--grace must be whole hours")
		}
	})

	t.Run("revoke", func(t *testing.T) {
		r := mustRun(t, env, "", 2, "keys", "revoke", ciID)
		mustContain(t, "keys revoke on a pipe", r.stderr, "keys revoke: stdin is not a terminal to confirm on: pass --yes")
		mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": ciKey}, "", 0, "whoami")
		r = mustRun(t, env, "", 0, "keys", "revoke", ciID, "--yes")
		if r.stdout != "Revoked key "+ciID+".\n" {
			t.Errorf("keys revoke = %q", r.stdout)
		}
		// The revoked key is refused: exit 1, the message and request_id.
		r = mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": ciKey}, "", 1, "whoami")
		mustContain(t, "whoami with a revoked key", r.stderr, "error: API key has been revoked (code key_revoked, request_id req_")
		r = mustRun(t, env, "", 0, "keys", "revoke", ciID, "--json", "-y")
		var v client.RevokedKey
		mustDecode(t, r.stdout, &v)
		if !v.Success || v.ID != ciID {
			t.Errorf("keys revoke --json (again) = %+v", v)
		}
		r = mustRun(t, env, "", 1, "keys", "roll", ciID)
		mustContain(t, "keys roll of a revoked key", r.stderr, "code key_not_active, request_id req_")
		r = mustRun(t, env, "", 1, "keys", "revoke", "key_0000000000000000", "--yes")
		mustContain(t, "keys revoke of an unknown key", r.stderr, "error: API key not found (code key_not_found, request_id req_")
		r = mustRun(t, env, "", 0, "keys", "list", "--status", "all")
		mustContain(t, "keys list --status all", r.stdout, "revoked", "expired", "active")
	})

	t.Run("errors", func(t *testing.T) {
		r := mustRun(t, env, "", 2, "keys", "create", "x", "--role", "boss")
		mustContain(t, "stderr", r.stderr, "--role must be owner, admin, developer or viewer")
		mustRun(t, env, "", 2, "keys", "create")
		r = mustRun(t, env, "", 2, "keys", "create", "a", "b")
		mustContain(t, "stderr", r.stderr, `unexpected argument "b"`)
		r = mustRun(t, env, "", 1, "keys", "create", "x", "--expires-in-days", "5000")
		mustContain(t, "stderr", r.stderr, "code invalid_parameter, request_id req_")
		r = mustRun(t, env, "", 1, "keys", "create", strings.Repeat("n", 101))
		mustContain(t, "stderr", r.stderr, "code invalid_parameter")
		// "--" ends the flags: a name may start with a dash.
		r = mustRun(t, env, "", 0, "keys", "create", "--json", "--", "-dash")
		var k client.CreatedKey
		mustDecode(t, r.stdout, &k)
		if k.Name != "-dash" {
			t.Errorf("keys create -- -dash: name %q", k.Name)
		}
	})
}

// TestKeysTeam protects --team: the commands act on another team of the
// user's, and a team they are not in is an API error.
func TestKeysTeam(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	s.Signup(t, "bob@example.com")
	s.Clock.Advance(time.Minute) // bob's own team stays his oldest, default one
	s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
	env := userEnv(t, s.URL)
	mustLogin(t, env, "bob@example.com")

	r := mustRun(t, env, "", 0, "keys", "create", "in-alice", "--team", "alice", "--json")
	var k client.CreatedKey
	mustDecode(t, r.stdout, &k)
	if k.Role != pome.RoleDeveloper {
		t.Errorf("key created in alice's team: role %s, want developer (bob's role there)", k.Role)
	}
	r = mustRun(t, env, "", 0, "keys", "list", "--team", "alice")
	mustContain(t, "keys list --team alice", r.stdout, k.ID)
	r = mustRun(t, env, "", 0, "keys", "list")
	if r.stdout != "No active keys.\n" {
		t.Errorf("keys list in bob's own team = %q", r.stdout)
	}
	mustRun(t, env, "", 0, "keys", "usage", k.ID, "--team", "alice")
	r = mustRun(t, env, "", 1, "keys", "revoke", k.ID, "--yes") // not in bob's default team
	mustContain(t, "stderr", r.stderr, "code key_not_found")
	mustRun(t, env, "", 0, "keys", "roll", k.ID, "--team", "alice")
	mustRun(t, env, "", 0, "keys", "revoke", k.ID, "--team", "alice", "--yes")
	r = mustRun(t, env, "", 1, "keys", "list", "--team", "nope")
	mustContain(t, "stderr", r.stderr, "error: Team not found (code team_not_found, request_id req_")
	r = mustRun(t, env, "", 2, "keys", "create", "x", "--role", "owner", "--team")
	mustContain(t, "stderr", r.stderr, "flag needs an argument")
	r = mustRun(t, env, "", 1, "keys", "create", "x", "--role", "owner", "--team", "alice")
	mustContain(t, "stderr", r.stderr, "code invalid_parameter") // above bob's role
}

// TestKeysSession protects what happens without a usable session: not
// signed in (exit 2), a stored session that expired or was ended elsewhere
// (exit 1, "session expired, run pome login", and it is forgotten), and a
// server that is down or is not Pome (exit 1, plainly said).
func TestKeysSession(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	s.Signup(t, "alice@example.com")

	t.Run("not logged in", func(t *testing.T) {
		env := userEnv(t, s.URL)
		for _, args := range [][]string{{"list"}, {"create", "x"}, {"revoke", "key_x"}, {"roll", "key_x"}, {"usage", "key_x"}} {
			r := mustRun(t, env, "", 2, append([]string{"keys"}, args...)...)
			mustContain(t, "stderr", r.stderr, "not logged in to "+s.URL+": run pome login")
		}
	})

	t.Run("idle timeout", func(t *testing.T) {
		env := userEnv(t, s.URL)
		mustLogin(t, env, "alice@example.com")
		mustRun(t, env, "", 0, "keys", "list")
		s.Clock.Advance(7*24*time.Hour + time.Minute)
		r := mustRun(t, env, "", 1, "keys", "list")
		mustContain(t, "stderr", r.stderr, "error: session expired, run pome login (server "+s.URL+", request_id req_")
		if _, ok := mustStoredSessions(t, env)[s.URL]; ok {
			t.Error("the expired session is still stored")
		}
		r = mustRun(t, env, "", 2, "keys", "list")
		mustContain(t, "stderr", r.stderr, "not logged in")
		mustLogin(t, env, "alice@example.com")
		mustRun(t, env, "", 0, "keys", "create", "after")
	})

	t.Run("ended elsewhere", func(t *testing.T) {
		env := userEnv(t, s.URL)
		mustLogin(t, env, "alice@example.com")
		token := mustStoredSessions(t, env)[s.URL].Token
		if err := client.New(s.URL, client.WithSession(token)).Logout(t.Context()); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, env, "", 1, "keys", "create", "x")
		mustContain(t, "stderr", r.stderr, "session expired, run pome login")
	})

	t.Run("no server", func(t *testing.T) {
		down := "http://" + closedAddr(t)
		env := userEnv(t, down)
		st := &sessionStore{dir: filepath.Dir(sessionsPath(env))}
		if err := st.put(down, storedSession{Token: "tok"}); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, env, "", 1, "keys", "list")
		mustContain(t, "stderr", r.stderr, "error: cannot reach Pome at "+down, "refused")
	})

	t.Run("not pome", func(t *testing.T) {
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<h1>Bad Gateway</h1>"))
		}))
		defer other.Close()
		env := userEnv(t, other.URL)
		st := &sessionStore{dir: filepath.Dir(sessionsPath(env))}
		if err := st.put(other.URL, storedSession{Token: "tok"}); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, env, "", 1, "keys", "list")
		mustContain(t, "stderr", r.stderr, "GET /api/keys answered 502 Bad Gateway", "is the base URL a Pome server?")
		r = mustRun(t, map[string]string{"POME_API_URL": other.URL, "POME_API_KEY": "pme_x"}, "", 1, "whoami")
		mustContain(t, "stderr", r.stderr, "GET /v1/me answered 502 Bad Gateway")
	})
}

// TestKeysHelp protects --help on every command, and the usage
// errors of pome keys.
func TestKeysHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"keys", "--help"}, {"keys", "help"}, {"keys", "list", "--help"}, {"keys", "create", "--help"},
		{"keys", "revoke", "--help"}, {"keys", "roll", "--help"}, {"keys", "usage", "--help"},
		{"login", "--help"}, {"logout", "--help"}, {"whoami", "--help"}, {"--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := mustRun(t, nil, "", 0, args...)
			mustContain(t, "help", r.stdout+r.stderr, "Usage: pome", "Example")
		})
	}
	r := mustRun(t, nil, "", 2, "keys")
	mustContain(t, "stderr", r.stderr, "Usage: pome keys")
	r = mustRun(t, nil, "", 2, "keys", "frob")
	mustContain(t, "stderr", r.stderr, `keys: unknown command "frob"`)
	r = mustRun(t, nil, "", 2, "keys", "list", "--nope")
	mustContain(t, "stderr", r.stderr, "unknown flag: --nope")
}

// TestOutput protects the rules of what people see: colors only on a
// terminal and never with NO_COLOR; at a terminal the created key comes
// with its notice on stdout.
func TestOutput(t *testing.T) {
	t.Parallel()
	t.Run("color rules", func(t *testing.T) {
		tests := []struct {
			name string
			tty  bool
			env  map[string]string
			want bool
		}{
			{"terminal", true, nil, true},
			{"pipe", false, nil, false},
			{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false},
			{"dumb terminal", true, map[string]string{"TERM": "dumb"}, false},
		}
		for _, tt := range tests {
			if got := colorAllowed(tt.tty, mapEnv(tt.env)); got != tt.want {
				t.Errorf("%s: colorAllowed = %v, want %v", tt.name, got, tt.want)
			}
		}
		var buf bytes.Buffer
		if newOutput(&buf, mapEnv(nil)).color {
			t.Error("colors on a buffer")
		}
	})

	now := pometest.Epoch
	l := &client.KeyList{Total: 3, Keys: []client.Key{
		{ID: "key_a", Name: "tab\tname", Prefix: "pme_aaaaaaaa", Role: pome.RoleOwner, CreatedAt: now, LastUsed: &now, UsageCount: 12, Status: pome.KeyActive},
		{ID: "key_b", Name: "b", Prefix: "pme_bbbbbbbb", Role: pome.RoleViewer, CreatedAt: now, Status: pome.KeyRevoked},
		{ID: "key_c", Name: "c", Prefix: "pme_cccccccc", Role: pome.RoleViewer, CreatedAt: now, ExpiresAt: &now, Status: pome.KeyExpired},
	}}
	t.Run("table in color", func(t *testing.T) {
		var buf bytes.Buffer
		if err := printKeys(&output{w: &buf, tty: true, color: true}, l, "all", false); err != nil {
			t.Fatal(err)
		}
		mustContain(t, "table", buf.String(), ansiGreen+"active"+ansiReset, ansiRed+"revoked"+ansiReset,
			ansiYellow+"expired"+ansiReset, "tab name", "2026-11-23 10:00")
		// Colors are in the last column only: the columns before line up.
		lines := strings.Split(buf.String(), "\n")
		if strings.Index(lines[1], "pme_") != strings.Index(lines[2], "pme_") || strings.Index(lines[0], "PREFIX") != strings.Index(lines[1], "pme_") {
			t.Errorf("columns do not line up:\n%s", buf.String())
		}
	})
	t.Run("table without color", func(t *testing.T) {
		var buf bytes.Buffer
		if err := printKeys(&output{w: &buf, tty: true}, l, "all", false); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "\x1b[") {
			t.Errorf("colors with color off: %q", buf.String())
		}
	})
	t.Run("key at a terminal", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if err := showKeyOnce(&output{w: &stdout, tty: true, color: true}, &stderr, "key", "Created key key_a.", "pme_secret"); err != nil {
			t.Fatal(err)
		}
		mustContain(t, "stdout", stdout.String(), "Created key key_a.", "only once", ansiBold+"pme_secret"+ansiReset)
		if stderr.Len() != 0 {
			t.Errorf("stderr = %q, want nothing at a terminal", stderr.String())
		}
		stdout.Reset()
		showKeyOnce(&output{w: &stdout, tty: true}, &stderr, "key", "Created key key_a.", "pme_secret")
		if strings.Contains(stdout.String(), "\x1b[") || !strings.Contains(stdout.String(), "    pme_secret\n") {
			t.Errorf("key at a terminal without color = %q", stdout.String())
		}
	})
	t.Run("bar", func(t *testing.T) {
		for _, tt := range []struct {
			n, peak int64
			want    int
		}{{0, 10, 0}, {10, 10, 40}, {1, 1000, 1}, {5, 10, 20}} {
			if got := len([]rune(bar(tt.n, tt.peak, 40))); got != tt.want {
				t.Errorf("bar(%d, %d) has %d blocks, want %d", tt.n, tt.peak, got, tt.want)
			}
		}
	})
}

// TestConfigDir protects where sessions go: os.UserConfigDir's rules, read
// through the injected environment, and POME_CONFIG_DIR first.
func TestConfigDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"override", map[string]string{"POME_CONFIG_DIR": "/x/pome-conf", "HOME": "/home/a"}, "/x/pome-conf"},
		{"xdg", map[string]string{"XDG_CONFIG_HOME": "/xdg", "HOME": "/home/a"}, "/xdg/pome"},
		{"relative xdg ignored", map[string]string{"XDG_CONFIG_HOME": "xdg", "HOME": "/home/a"}, "/home/a/.config/pome"},
		{"home", map[string]string{"HOME": "/home/a"}, "/home/a/.config/pome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configDir(mapEnv(tt.env))
			if err != nil || got != tt.want {
				t.Errorf("configDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := configDir(mapEnv(nil)); err == nil {
		t.Error("configDir without HOME: no error")
	}
}

func TestParseAPIURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":          "http://127.0.0.1:8080",
		"http://127.0.0.1:8080/":         "http://127.0.0.1:8080",
		"HTTPS://Pome.Example.com/":      "https://pome.example.com",
		"https://example.com/pome/":      "https://example.com/pome",
		" https://pome.example.com  ":    "https://pome.example.com",
		"ftp://x":                        "",
		"pome.example.com":               "",
		"https://user:pw@pome.example":   "",
		"https://pome.example.com/?a=b":  "",
		"https://pome.example.com/#frag": "",
	} {
		got, err := parseAPIURL(in)
		if want == "" {
			if err == nil {
				t.Errorf("parseAPIURL(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("parseAPIURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func mustDecode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

// keyIDOf returns the id of the key whose plaintext is key, by asking the
// server who it is.
func keyIDOf(t *testing.T, s *pometest.Server, key string) string {
	t.Helper()
	me, err := client.New(s.URL, client.WithAPIKey(key)).Me(t.Context())
	if err != nil {
		t.Fatalf("Me(%s…): %v", key[:12], err)
	}
	return me.APIKey.ID
}

// TestCLIAgainstServe walks a person's whole session against `pome serve`
// run by run(): log in, create a key, use it, watch its usage (counted by
// the server's own flush loop), revoke it, log out.
func TestCLIAgainstServe(t *testing.T) {
	t.Parallel()
	srv := mustServe(t, t.TempDir())
	mustSignup(t, newBrowser(t), srv.URL, "alice@example.com", "Acme Corp")
	env := userEnv(t, srv.URL)
	mustRun(t, env, testPassword+"\n", 0, "login", "--email", "alice@example.com")

	r := mustRun(t, env, "", 0, "keys", "create", "ci-prod", "--description", "CI")
	key := strings.TrimSpace(r.stdout)
	keyEnv := map[string]string{"POME_API_URL": srv.URL, "POME_API_KEY": key}
	r = mustRun(t, keyEnv, "", 0, "whoami", "--json")
	var me client.Me
	mustDecode(t, r.stdout, &me)
	if me.Team.Slug != "acme-corp" || me.APIKey.Name != "ci-prod" {
		t.Fatalf("whoami --json = %+v", me)
	}
	waitFor(t, 10*time.Second, "usage flushed", func() bool {
		r := mustRun(t, env, "", 0, "keys", "usage", me.APIKey.ID, "--json")
		var u client.KeyUsage
		mustDecode(t, r.stdout, &u)
		return u.Total() == 1
	})
	r = mustRun(t, env, "", 0, "keys", "list")
	mustContain(t, "keys list", r.stdout, me.APIKey.ID, "ci-prod", key[:12])

	mustRun(t, env, "", 0, "keys", "revoke", me.APIKey.ID, "--yes")
	r = mustRun(t, keyEnv, "", 1, "whoami")
	mustContain(t, "whoami with the revoked key", r.stderr, "API key has been revoked (code key_revoked, request_id req_")
	mustRun(t, env, "", 0, "logout")
	r = mustRun(t, env, "", 2, "keys", "list")
	mustContain(t, "keys list after logout", r.stderr, "not logged in")
}

// keys list shows one page and says on stderr how to get the next; --all
// gets every key; a key named by its name is found on any page.
func TestKeysListPages(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	needle := s.CreateKeyWith(t, alice, `{"name":"needle"}`) // the oldest: on the last page
	for i := range 120 {
		s.Clock.Advance(time.Millisecond)
		s.CreateKeyWith(t, alice, fmt.Sprintf(`{"name":"hay-%03d"}`, i))
	}
	env := userEnv(t, s.URL)
	mustLogin(t, env, "alice@example.com")

	r := mustRun(t, env, "", 0, "keys", "list", "--status", "all")
	if n := strings.Count(r.stdout, "key_"); n != 50 {
		t.Errorf("keys list = %d keys, want a page of 50:\n%s", n, r.stdout)
	}
	m := regexp.MustCompile(`50 of 121 keys\. More: pome keys list --status all --cursor (\S+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("keys list stderr = %q, want the count and the next page's command line", r.stderr)
	}
	r = mustRun(t, env, "", 0, "keys", "list", "--status", "all", "--limit", "100", "--cursor", m[1])
	if n := strings.Count(r.stdout, "key_"); n != 71 || !strings.Contains(r.stdout, "needle") || strings.Contains(r.stderr, "More") {
		t.Errorf("keys list --cursor = %d keys, stderr %q; want the other 71 with needle, and no more", n, r.stderr)
	}
	var l client.KeyList
	r = mustRun(t, env, "", 0, "keys", "list", "--all", "--json")
	mustDecode(t, r.stdout, &l)
	if len(l.Keys) != 121 || l.Total != 121 || l.NextCursor != "" || l.Keys[120].ID != needle.ID || r.stderr != "" {
		t.Errorf("keys list --all = %d keys of %d, last %s, next %q, stderr %q; want all 121, needle last", len(l.Keys), l.Total, l.Keys[len(l.Keys)-1].ID, l.NextCursor, r.stderr)
	}
	if r := mustRun(t, env, "", 0, "keys", "get", "needle", "--json"); !strings.Contains(r.stdout, needle.ID) {
		t.Errorf("keys get needle = %s, want %s (found past the first page)", r.stdout, needle.ID)
	}
	for _, args := range [][]string{{"--limit", "0"}, {"--limit", "101"}, {"--all", "--cursor", m[1]}} {
		mustRun(t, env, "", 2, append([]string{"keys", "list"}, args...)...)
	}
}

// TestKeysCreateDefaults: pome keys create gives the least a key needs
// unless told otherwise, as the dashboard's dialog does: role developer for
// an owner too, 90 days; --no-expiry for a key that never expires, and not
// with an expiry.
func TestKeysCreateDefaults(t *testing.T) {
	t.Parallel()
	_, env := aliceSignedIn(t)

	var k client.CreatedKey
	mustDecode(t, mustRun(t, env, "", 0, "keys", "create", "plain", "--json").stdout, &k)
	if k.Role != pome.RoleDeveloper || k.ExpiresAt == nil || !k.ExpiresAt.Equal(pometest.Epoch.AddDate(0, 0, 90)) {
		t.Errorf("keys create with no flags = role %s, expires %v; want developer, in 90 days", k.Role, k.ExpiresAt)
	}
	mustDecode(t, mustRun(t, env, "", 0, "keys", "create", "forever", "--no-expiry", "--role", "owner", "--json").stdout, &k)
	if k.Role != pome.RoleOwner || k.ExpiresAt != nil {
		t.Errorf("keys create --no-expiry --role owner = role %s, expires %v", k.Role, k.ExpiresAt)
	}
	r := mustRun(t, env, "", 2, "keys", "create", "both", "--no-expiry", "--expires-in-days", "3")
	mustContain(t, "keys create --no-expiry --expires-in-days", r.stderr, "give --no-expiry or an expiry, not both")
}

// pome keys report-leak revokes an active key it is given, as an argument
// or on stdin, with no sign-in, and says the same whatever the key.
func TestKeysReportLeak(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	first, second := s.CreateKey(t, alice, "first"), s.CreateKey(t, alice, "second")
	env := map[string]string{"POME_API_URL": s.URL, "POME_CONFIG_DIR": t.TempDir()}
	r := mustRun(t, env, "", 0, "keys", "report-leak", first)
	mustContain(t, "keys report-leak", r.stdout, "Reported to "+s.URL)
	r = mustRun(t, env, second+"\n", 0, "keys", "report-leak", "-", "--json")
	mustContain(t, "keys report-leak --json", r.stdout, `{"status":"received"}`)
	mustRun(t, env, "", 0, "keys", "report-leak", "pme_notakey")
	mustRun(t, env, "", 2, "keys", "report-leak", "-")
	for _, key := range []string{first, second} {
		me := mustRun(t, map[string]string{"POME_API_URL": s.URL, "POME_API_KEY": key}, "", 1, "whoami")
		mustContain(t, "whoami with a reported key", me.stderr, "key_revoked")
	}
}
