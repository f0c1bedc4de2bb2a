package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// TestTeamCommands drives the commands of a team's people and history
// against a real server: teams, members, audit, usage and keys get, with
// members and keys named by email, id or name.
func TestTeamCommands(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	s.Signup(t, "bob@example.com")
	carol := s.Signup(t, "carol@example.com")
	s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
	env := userEnv(t, s.URL)
	mustLogin(t, env, "alice@example.com")

	t.Run("teams", func(t *testing.T) {
		r := mustRun(t, env, "", 0, "teams")
		mustContain(t, "teams", r.stdout, "SLUG", "ROLE", "*  alice", "owner")
		var sess client.Session
		mustDecode(t, mustRun(t, env, "", 0, "teams", "--json").stdout, &sess)
		if sess.DefaultTeam != "alice" || len(sess.Teams) != 1 {
			t.Errorf("teams --json = %+v", sess)
		}
	})

	t.Run("members", func(t *testing.T) {
		r := mustRun(t, env, "", 0, "members", "list")
		mustContain(t, "members list", r.stdout, "alice@example.com", "bob@example.com", "developer")
		r = mustRun(t, env, "", 0, "members", "role", "bob@example.com", "admin")
		mustContain(t, "members role", r.stdout, "bob@example.com is now admin.")
		// Dan's invitation is revoked; Carol's she accepts.
		r = mustRun(t, env, "", 0, "members", "invite", "dan@example.com")
		mustContain(t, "members invite", r.stdout, "Invited dan@example.com as developer", s.URL+"/invite/")
		s.Clock.Advance(time.Second) // listed newest first
		r = mustRun(t, env, "", 0, "members", "invite", "carol@example.com", "--role", "viewer", "--json")
		var inv client.Invitation
		mustDecode(t, r.stdout, &inv)
		if inv.Email != "carol@example.com" || inv.Role != pome.RoleViewer || !strings.HasPrefix(inv.URL, s.URL+"/invite/") {
			t.Errorf("members invite --json = %+v", inv)
		}
		r = mustRun(t, env, "", 0, "members", "invitations")
		mustContain(t, "members invitations", r.stdout, "dan@example.com", "carol@example.com", "viewer")
		var l client.InvitationList
		mustDecode(t, mustRun(t, env, "", 0, "members", "invitations", "--json").stdout, &l)
		if l.Total != 2 || l.Invitations[1].Email != "dan@example.com" {
			t.Fatalf("members invitations --json = %+v", l)
		}
		r = mustRun(t, env, "", 2, "members", "uninvite", l.Invitations[1].ID)
		mustContain(t, "members uninvite on a pipe", r.stderr, "pass --yes")
		r = mustRun(t, env, "", 0, "members", "uninvite", l.Invitations[1].ID, "--yes")
		mustContain(t, "members uninvite", r.stdout, "Revoked the invitation "+l.Invitations[1].ID)
		r = mustRun(t, env, "", 1, "members", "uninvite", l.Invitations[1].ID, "--yes")
		mustContain(t, "members uninvite again", r.stderr, "invitation_not_found")
		token := inv.URL[strings.LastIndex(inv.URL, "/")+1:]
		if a := s.Do(t, carol, "POST", "/api/invitations/accept", nil, `{"token":"`+token+`"}`); a.Status != 200 {
			t.Fatalf("carol accepts = %d %s", a.Status, a.Body)
		}
		var m client.Member
		r = mustRun(t, env, "", 0, "members", "list", "--json")
		var ml client.MemberList
		mustDecode(t, r.stdout, &ml)
		for _, x := range ml.Members {
			if x.Email == "carol@example.com" {
				m = x
			}
		}
		if m.Role != pome.RoleViewer {
			t.Errorf("carol after accepting = %+v, want a viewer", m)
		}
		// By user id, flags after the arguments.
		mustRun(t, env, "", 0, "members", "role", m.UserID, "developer", "--team", "alice")
		r = mustRun(t, env, "", 2, "members", "remove", "carol@example.com")
		mustContain(t, "members remove on a pipe", r.stderr, "pass --yes")
		r = mustRun(t, env, "", 0, "members", "remove", "carol@example.com", "--yes")
		mustContain(t, "members remove", r.stdout, "Removed carol@example.com")
		r = mustRun(t, env, "", 0, "members", "list", "--json")
		if strings.Contains(r.stdout, "carol@example.com") {
			t.Errorf("carol is still a member: %s", r.stdout)
		}
		r = mustRun(t, env, "", 1, "members", "role", "nobody@example.com", "admin")
		mustContain(t, "members role of a stranger", r.stderr, `no member "nobody@example.com"`)
		r = mustRun(t, env, "", 2, "members", "role", "bob@example.com", "boss")
		mustContain(t, "members role boss", r.stderr, `ROLE must be owner, admin, developer or viewer, not "boss"`)
	})

	key := s.CreateKeyWith(t, alice, `{"name":"deploy"}`)
	t.Run("keys get", func(t *testing.T) {
		for _, ref := range []string{key.ID, "deploy"} {
			r := mustRun(t, env, "", 0, "keys", "get", ref)
			mustContain(t, "keys get "+ref, r.stdout, key.ID, "deploy", "owner", "active", "never", "0 requests")
		}
		var k client.Key
		mustDecode(t, mustRun(t, env, "", 0, "keys", "get", "deploy", "--json").stdout, &k)
		if k.ID != key.ID || k.Name != "deploy" {
			t.Errorf("keys get --json = %+v", k)
		}
		r := mustRun(t, env, "", 1, "keys", "get", "nope")
		mustContain(t, "keys get nope", r.stderr, `no key named "nope"`)
		// A roll with grace leaves two active keys of that name: the name
		// no longer says which.
		mustRun(t, env, "", 0, "keys", "roll", "deploy", "--grace", "1h")
		r = mustRun(t, env, "", 2, "keys", "revoke", "deploy", "--yes")
		mustContain(t, "keys revoke of an ambiguous name", r.stderr, `2 keys are named "deploy"`, key.ID+" (active)", "name one by its id")
		mustRun(t, env, "", 0, "keys", "revoke", key.ID, "--yes")
		// Now only the new one is active: the name picks it.
		r = mustRun(t, env, "", 0, "keys", "get", "deploy", "--json")
		mustDecode(t, r.stdout, &k)
		if k.ID == key.ID || k.Status != pome.KeyActive {
			t.Errorf("keys get deploy after the old one's revocation = %+v", k)
		}
	})

	t.Run("usage", func(t *testing.T) {
		other := s.CreateKey(t, alice, "other")
		for _, k := range []string{other, other, other} {
			if r := getMeAs(t, s.URL, k); r.status != http.StatusOK {
				t.Fatalf("GET /v1/me = %d", r.status)
			}
		}
		if err := s.Meter.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		var u client.TeamUsage
		mustDecode(t, mustRun(t, env, "", 0, "usage", "--days", "2", "--json").stdout, &u)
		if len(u.Days) != 2 || u.Total() != 3 {
			t.Errorf("usage --days 2 --json = %+v, want 2 days and 3 requests", u)
		}
		r := mustRun(t, env, "", 0, "usage", "--days", "1")
		mustContain(t, "usage", r.stdout, "DATE        VALID  TOTAL", "total       3      3")
		mustRun(t, env, "", 2, "usage", "--days", "91")
	})

	t.Run("audit", func(t *testing.T) {
		r := mustRun(t, env, "", 0, "audit", "--action", "key.created")
		mustContain(t, "audit --action key.created", r.stdout, "TIME", "ACTION", "key.created", key.ID)
		if strings.Contains(r.stdout, "member.added") {
			t.Errorf("audit --action key.created shows other actions:\n%s", r.stdout)
		}
		r = mustRun(t, env, "", 0, "audit", "--limit", "1")
		if n := strings.Count(strings.TrimSpace(r.stdout), "\n"); n != 1 {
			t.Errorf("audit --limit 1 printed %d rows:\n%s", n, r.stdout)
		}
		next, ok := strings.CutPrefix(strings.TrimSpace(r.stderr), "More: pome audit --limit 1 --cursor ")
		if !ok {
			t.Fatalf("audit --limit 1: stderr %q, want where the next page is", r.stderr)
		}
		second := mustRun(t, env, "", 0, "audit", "--limit", "1", "--cursor", next)
		if second.stdout == r.stdout {
			t.Errorf("the next page repeats the first:\n%s", r.stdout)
		}
		var all client.AuditPage
		mustDecode(t, mustRun(t, env, "", 0, "audit", "--all", "--limit", "2", "--json").stdout, &all)
		if len(all.Events) < 8 || all.NextCursor != "" {
			t.Errorf("audit --all: %d events, next %q", len(all.Events), all.NextCursor)
		}
		r = mustRun(t, env, "", 0, "audit", "--target", key.ID, "--json")
		var about client.AuditPage
		mustDecode(t, r.stdout, &about)
		if len(about.Events) < 2 {
			t.Errorf("audit --target %s: %d events, want its creation, roll and revocation", key.ID, len(about.Events))
		}
		for _, e := range about.Events {
			if e.Target == nil || e.Target.ID != key.ID {
				t.Errorf("audit --target %s shows an event about %+v", key.ID, e.Target)
			}
		}
		mustRun(t, env, "", 2, "audit", "--limit", "0")
	})
}

// TestWhoamiSession protects whoami without a key: the signed-in session,
// said so.
func TestWhoamiSession(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	s.Signup(t, "alice@example.com")
	env := userEnv(t, s.URL)
	mustLogin(t, env, "alice@example.com")
	r := mustRun(t, env, "", 0, "whoami")
	mustContain(t, "whoami stdout", r.stdout, "user  alice@example.com (usr_", "team  alice, plan free, role owner", "via   session of pome login")
	mustContain(t, "whoami stderr", r.stderr, "No API key given: this is the signed-in session of "+s.URL)
	var sess client.Session
	mustDecode(t, mustRun(t, env, "", 0, "whoami", "--json").stdout, &sess)
	if sess.User.Email != "alice@example.com" {
		t.Errorf("whoami --json = %+v", sess)
	}
	// A key, when given, wins.
	key := s.CreateKey(t, s.Login(t, "alice@example.com"), "k")
	env["POME_API_KEY"] = key
	r = mustRun(t, env, "", 0, "whoami")
	mustContain(t, "whoami with a key", r.stdout, "key   k (")
	if r.stderr != "" {
		t.Errorf("whoami with a key: stderr %q", r.stderr)
	}
}

// TestLoginRemembersServer protects the remembered server: after `login
// --api-url X`, commands without --api-url talk to X; after logging out of
// it, to the default again.
func TestLoginRemembersServer(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	s.Signup(t, "alice@example.com")
	env := map[string]string{"HOME": t.TempDir()} // no POME_API_URL
	mustRun(t, env, pometest.Password+"\n", 0, "login", "--email", "alice@example.com", "--api-url", s.URL)
	mustRun(t, env, "", 0, "keys", "create", "remembered")
	r := mustRun(t, env, "", 0, "keys", "list")
	mustContain(t, "keys list on the remembered server", r.stdout, "remembered")
	r = mustRun(t, env, "", 0, "logout")
	mustContain(t, "logout", r.stdout, "Logged out of "+s.URL)
	r = mustRun(t, env, "", 2, "keys", "list")
	mustContain(t, "keys list after logout", r.stderr, "not logged in to "+defaultAPIURL)
}

// TestFlagsAfterArguments protects flags anywhere at every level: the
// root's, a group's persistent ones, a command's own, before, between and
// after the arguments.
func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustRun(t, nil, "pw-pw-pw-pw\n", 0, "admin", "user", "create", "--email", "a@example.com", "--team-name", "acme", "--data-dir", dir)
	for _, args := range [][]string{
		{"admin", "--data-dir", dir, "team", "set-plan", "acme", "pro"},
		{"admin", "team", "--data-dir", dir, "set-plan", "acme", "pro"},
		{"admin", "team", "set-plan", "--data-dir", dir, "acme", "pro"},
		{"admin", "team", "set-plan", "acme", "--data-dir", dir, "pro"},
		{"admin", "team", "set-plan", "acme", "pro", "--data-dir", dir},
		{"admin", "team", "ban", "acme", "--data-dir", dir, "-y"},
		{"admin", "team", "unban", "acme", "--data-dir=" + dir},
	} {
		r := mustRun(t, nil, "", 0, args...)
		mustContain(t, "pome "+strings.Join(args, " "), r.stdout, "team acme: status")
	}
	r := mustRun(t, nil, "", 2, "admin", "team", "ban", "acme", "--data-dir", dir)
	mustContain(t, "admin team ban on a pipe", r.stderr, "admin team ban: stdin is not a terminal to confirm on: pass --yes")
	mustContain(t, "the team after a refused ban", mustRun(t, nil, "", 0, "admin", "team", "set-plan", "acme", "pro", "--data-dir", dir).stdout, "status active")
	r = mustRun(t, nil, "", 0, "admin", "service-token", "create", "billing", "--data-dir", dir)
	if !strings.HasPrefix(r.stdout, "pst_") {
		t.Errorf("service-token create, flag last: %q", r.stdout)
	}

	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKeyWith(t, alice, `{"name":"k"}`)
	env := map[string]string{"HOME": t.TempDir()}
	mustRun(t, env, pometest.Password+"\n", 0, "login", "--email", "alice@example.com", "--api-url", s.URL)
	for _, args := range [][]string{
		{"keys", "--team", "alice", "usage", key.ID, "--days", "2", "--api-url", s.URL},
		{"keys", "usage", "--days", "2", key.ID, "--team", "alice"},
		{"keys", "usage", key.ID, "--json", "--days", "2"},
	} {
		mustRun(t, env, "", 0, args...)
	}
	mustRun(t, map[string]string{"POME_API_KEY": key.Key}, "", 0, "whoami", "--api-url", s.URL, "--json")
}

// TestTableFitsWidth protects tables for people: at 80 columns the keys
// list drops columns, then cuts the name short; -o wide keeps them all.
func TestTableFitsWidth(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	long := strings.Repeat("a-rather-long-key-name-", 4)
	s.CreateKeyWith(t, alice, `{"name":"`+long+`"}`)
	s.CreateKeyWith(t, alice, `{"name":"short"}`)
	env := userEnv(t, s.URL)
	env["COLUMNS"] = "80"
	mustLogin(t, env, "alice@example.com")

	r := mustRun(t, env, "", 0, "keys", "list")
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("a line of %d columns at COLUMNS=80: %q", n, line)
		}
	}
	mustContain(t, "keys list at 80 columns", r.stdout, "ID", "NAME", "USAGE", "STATUS", "a-rather-long-key-name-…", "short")
	for _, gone := range []string{"CREATED", "PREFIX", long} {
		if strings.Contains(r.stdout, gone) {
			t.Errorf("keys list at 80 columns shows %q:\n%s", gone, r.stdout)
		}
	}
	r = mustRun(t, env, "", 0, "keys", "list", "-o", "wide")
	mustContain(t, "keys list -o wide", r.stdout, "CREATED", "PREFIX", "EXPIRES", long)
	var l client.KeyList
	mustDecode(t, mustRun(t, env, "", 0, "keys", "list", "-o", "json").stdout, &l)
	if l.Total != 2 {
		t.Errorf("keys list -o json = %+v", l)
	}
	mustRun(t, env, "", 2, "keys", "list", "-o", "yaml")
	// No width known (a file, no COLUMNS): every column.
	delete(env, "COLUMNS")
	mustContain(t, "keys list into a file", mustRun(t, env, "", 0, "keys", "list").stdout, "CREATED", long)
}

// TestPrintable protects the one filter every printed name and email goes
// through: no control character, no bidirectional override.
func TestPrintable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain name":       "plain name",
		"tab\tand\nline":   "tab and line",
		"esc\x1b[31mred":   "esc [31mred",
		"c1\u009bcsi":      "c1 csi",
		"rlo\u202eevil":    "rlo evil",
		"isolate\u2066x":   "isolate x",
		"ünïcödé ✓":        "ünïcödé ✓",
		"del\x7f":          "del ",
		"nul\x00":          "nul ",
		"emoji 👩‍💻 joined": "emoji 👩‍💻 joined",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	var b strings.Builder
	tb := newTable(column{title: "NAME"}, column{title: "X"})
	tb.add("evil\x1b[2J", "x")
	if err := tb.write(&output{w: &b}, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("a table printed an escape: %q", b.String())
	}
}
