package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeCLIHeading is the section of README.md whose one code block is the
// command-line walk-through.
const readmeCLIHeading = "## The command line"

// TestREADMECommandLine runs the command-line walk-through of README.md as
// written, with bash, the built binary on PATH, against `pome serve` running
// as its own process: what a reader pastes into a shell must work. The
// environment supplies only what the README says are defaults: the server's
// URL (http://127.0.0.1:8080) and its data directory (./pome-data). Stdin is
// no terminal, as when a block is pasted and run as a script: a command
// that would ask must say --yes.
func TestREADMECommandLine(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("bash is needed to run the README's walk-through")
		}
		t.Skip("no bash: the README's walk-through is not run")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := readmeBlock(t, string(readme), readmeCLIHeading)

	bin := mustBuild(t)
	dataDir := t.TempDir()
	p := mustStartNode(t, bin, "--data-dir", dataDir)

	script := filepath.Join(t.TempDir(), "walkthrough.sh")
	if err := os.WriteFile(script, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", script)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{
		"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"POME_API_URL=" + p.URL,
		"POME_DATA_DIR=" + dataDir,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's walk-through failed: %v\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", err, block, &stdout, &stderr)
	}
	out, errOut := stdout.String(), stderr.String()
	t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)

	created := regexp.MustCompile(`Created key (key_[A-Za-z0-9]{16}) \(laptop, role developer, expires \d{4}-\d\d-\d\d \d\d:\d\d\)\. Pome shows the key only once`).FindAllStringSubmatch(errOut, -1)
	if len(created) != 1 {
		t.Fatalf("stderr shows %d creations of the key laptop, want 1:\n%s", len(created), errOut)
	}
	id := created[0][1]
	if k := regexp.MustCompile(`pme_[A-Za-z0-9]{36}`).FindString(out + errOut); k != "" {
		t.Errorf("the key %s was printed; it goes into $KEY only", k)
	}
	for _, want := range []string{
		"owner of team bob\n",
		"Logged in to " + p.URL + " as bob@example.com (default team bob).\n",
		// whoami with the key names its user, team and key.
		"user  bob@example.com (usr_",
		"team  bob, plan free\n",
		"key   laptop (pme_",
		"Revoked key " + id + ".\n",
		"Logged out of " + p.URL + ".\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not show %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^` + id + `\s+laptop\s.*\sactive$`).MatchString(out) {
		t.Errorf("keys list does not show %s, laptop, active", id)
	}
}

// readmeBlock returns the one ```sh block of the section under heading.
func readmeBlock(t *testing.T, readme, heading string) string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no section %q", heading)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	parts := strings.Split(section, "```")
	// Outside, block, outside: one block, and it is sh.
	if len(parts) != 3 || !strings.HasPrefix(parts[1], "sh\n") {
		t.Fatalf("section %q of README.md must hold exactly one ```sh block", heading)
	}
	return strings.TrimPrefix(parts[1], "sh\n")
}
