// Package sdk_test runs the test suites of the JavaScript and Python SDKs
// (sdk/js, sdk/python) with their own runners, against the pome binary
// built from this repository, so that `go test ./...` covers them: each
// suite starts its own `pome serve` from POME_BIN.
package sdk_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pomeBinary builds cmd/pome into a temporary directory.
func pomeBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pome")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/pome").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runSuite runs a runner in dir with POME_BIN set, and fails with its
// output if it fails. Without the runner the suite skips, or fails in CI,
// which has both (.ci/run).
func runSuite(t *testing.T, dir, runner string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(runner); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed and CI is set: the %s SDK's tests must run in CI", runner, dir)
		}
		t.Skipf("%s is not installed: skipping the %s SDK's tests", runner, dir)
	}
	cmd := exec.Command(runner, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "POME_BIN="+pomeBinary(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v in sdk/%s: %v\n%s", runner, args, dir, err, out)
	}
	t.Logf("%s", out)
}
