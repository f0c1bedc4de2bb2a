// Package sdk_test runs the test suites of the JavaScript and Python SDKs
// (sdk/js, sdk/python) with their own runners, against the pome binary
// built from this repository, so that `go test ./...` covers them: each
// suite starts its own `pome serve` from POME_BIN.
package sdk_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// pome is cmd/pome, built once for both suites by pomeBinary.
var pome struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pome.dir != "" {
		os.RemoveAll(pome.dir)
	}
	os.Exit(code)
}

// pomeBinary builds cmd/pome into a temporary directory, once.
func pomeBinary(t *testing.T) string {
	t.Helper()
	pome.once.Do(func() {
		if pome.dir, pome.err = os.MkdirTemp("", "pome-sdk-test-"); pome.err != nil {
			return
		}
		pome.bin = filepath.Join(pome.dir, "pome")
		if out, err := exec.Command("go", "build", "-o", pome.bin, "../cmd/pome").CombinedOutput(); err != nil {
			pome.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if pome.err != nil {
		t.Fatal(pome.err)
	}
	return pome.bin
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
