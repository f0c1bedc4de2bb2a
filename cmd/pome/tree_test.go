package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pomehq/pome/internal/buildinfo"
	"github.com/pomehq/pome/internal/pometest"
)

// commandPaths returns the words that name every command of the tree but
// the root, e.g. ["keys", "create"]; hidden ones (cobra's __complete) left
// out.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	root := (&app{getenv: mapEnv(nil)}).newRoot()
	var paths [][]string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			paths = append(paths, strings.Fields(sub.CommandPath())[1:])
			walk(sub)
		}
	}
	walk(root)
	if len(paths) < 30 {
		t.Fatalf("the tree has %d commands: %v", len(paths), paths)
	}
	return paths
}

// TestHelpEverywhere protects --help on every command and group: on stdout,
// exit 0, starting with its usage line, through --help, -h, `pome help
// PATH` and, for a group, `pome GROUP help`.
func TestHelpEverywhere(t *testing.T) {
	t.Parallel()
	paths := append(commandPaths(t), nil) // nil: the root
	for _, path := range paths {
		name := "pome " + strings.Join(path, " ")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			usage := "Usage: " + strings.TrimSpace(name)
			for _, args := range [][]string{
				append(append([]string(nil), path...), "--help"),
				append(append([]string(nil), path...), "-h"),
				append([]string{"help"}, path...),
			} {
				r := mustRun(t, nil, "", 0, args...)
				if !strings.HasPrefix(r.stdout, usage) || r.stderr != "" {
					t.Errorf("pome %s: stdout starts %.60q, stderr %q; want %q on stdout only", strings.Join(args, " "), r.stdout, r.stderr, usage)
				}
				if !strings.Contains(r.stdout, "Examples:") && len(path) > 0 && path[0] != "completion" {
					t.Errorf("pome %s: no Examples:\n%s", strings.Join(args, " "), r.stdout)
				}
			}
		})
	}
	r := mustRun(t, nil, "", 0, "keys", "help", "create")
	mustContain(t, "pome keys help create", r.stdout, "Usage: pome keys create NAME")
}

// TestCompletionScripts protects `pome completion`: a script for each
// shell, on stdout; bash's parses.
func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	for shell, want := range map[string]string{"bash": "__start_pome", "zsh": "#compdef pome", "fish": "complete -c pome", "powershell": "Register-ArgumentCompleter"} {
		r := mustRun(t, nil, "", 0, "completion", shell)
		mustContain(t, "pome completion "+shell, r.stdout, want)
		if shell != "bash" {
			continue
		}
		if _, err := exec.LookPath("bash"); err != nil {
			t.Skip("no bash here to check the script with")
		}
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(r.stdout)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bash -n rejects the completion script: %v\n%s", err, out)
		}
	}
	mustRun(t, nil, "", 2, "completion", "tcsh")
}

// TestCompletionOfCommandsAndFlags: cobra's __complete, as the scripts call
// it, offers subcommands, flags and fixed values.
func TestCompletionOfCommandsAndFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"ke"}, []string{"keys"}},
		{[]string{"keys", ""}, []string{"create", "get", "list", "revoke", "roll", "usage"}},
		{[]string{"keys", "roll", "x", "--gr"}, []string{"--grace"}},
		{[]string{"keys", "create", "x", "--role", ""}, []string{"owner", "admin", "developer", "viewer"}},
		{[]string{"keys", "list", "--status", ""}, []string{"active", "revoked", "expired", "all"}},
		{[]string{"admin", "team", "set-plan", "acme", ""}, []string{"free", "pro", "enterprise"}},
		{[]string{"serve", "--signup", ""}, []string{"open", "closed"}},
	} {
		r := mustRun(t, nil, "", 0, append([]string{"__complete"}, tt.args...)...)
		mustContain(t, "completions of "+strings.Join(tt.args, " "), r.stdout, tt.want...)
	}
}

// TestVersion protects pome version, --version and version --json: the
// same build information.
func TestVersion(t *testing.T) {
	t.Parallel()
	want := buildinfo.Read().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		if r := mustRun(t, nil, "", 0, args...); r.stdout != want {
			t.Errorf("pome %s = %q, want %q", args[0], r.stdout, want)
		}
	}
	r := mustRun(t, nil, "", 0, "version", "--json")
	var got buildinfo.Info
	mustDecode(t, r.stdout, &got)
	if b, _ := json.Marshal(got); got != buildinfo.Read() {
		t.Errorf("pome version --json = %s", b)
	}
}

// TestCompletionFromServer protects the completions that ask the
// signed-in server: key ids (with names) and team slugs; signed out, none
// and no error.
func TestCompletionFromServer(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKeyWith(t, alice, `{"name":"laptop"}`)
	env := userEnv(t, s.URL)
	mustLogin(t, env, "alice@example.com")
	r := mustRun(t, env, "", 0, "__complete", "keys", "revoke", "")
	mustContain(t, "completion of keys revoke", r.stdout, key.ID+"\tlaptop, active")
	r = mustRun(t, env, "", 0, "__complete", "keys", "list", "--team", "")
	mustContain(t, "completion of --team", r.stdout, "alice\t")
	r = mustRun(t, env, "", 0, "__complete", "usage", "--team", "")
	mustContain(t, "completion of usage --team", r.stdout, "alice\t")

	signedOut := userEnv(t, s.URL)
	r = mustRun(t, signedOut, "", 0, "__complete", "keys", "revoke", "")
	if strings.Contains(r.stdout, "key_") {
		t.Errorf("signed out, completion offers keys: %q", r.stdout)
	}
}
