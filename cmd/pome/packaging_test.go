package main

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

// needTools skips the test when one of tools is not on the PATH, and fails
// it instead under CI, where nothing may be skipped by accident.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed: %v", tool, err)
			}
			t.Skipf("no %s: not run", tool)
		}
	}
}

// gitOut runs git in the repository and returns its output, trimmed.
func gitOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", "../.."}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestMakeRelease protects `make release`: a static binary named
// pome_<version>_<os>_<arch>, stamped with git's version, the commit and
// its date, and a SHA256SUMS that sha256sum -c accepts. It builds for this
// machine only, through the Makefile's PLATFORMS and DIST: seconds once the
// build cache holds the packages compiled with -trimpath (the very first
// run compiles each of them once).
func TestMakeRelease(t *testing.T) {
	t.Parallel()
	needTools(t, "make", "git", "sha256sum")
	version := gitOut(t, "describe", "--tags", "--always", "--dirty")
	commit := gitOut(t, "rev-parse", "HEAD")
	committed, err := time.Parse(time.RFC3339, gitOut(t, "log", "-1", "--format=%cI"))
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	build := exec.Command("make", "-C", "../..", "release", "PLATFORMS="+platform, "DIST="+dist)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}

	name := fmt.Sprintf("pome_%s_%s_%s", version, runtime.GOOS, runtime.GOARCH)
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"SHA256SUMS", name}; !slices.Equal(names, want) {
		t.Fatalf("dist holds %q, want %q", names, want)
	}
	bin := filepath.Join(dist, name)

	t.Run("SHA256SUMS", func(t *testing.T) {
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%x  %s\n", sha256.Sum256(b), name); string(sums) != want {
			t.Errorf("SHA256SUMS = %q, want %q", sums, want)
		}
		check := exec.Command("sha256sum", "--check", "--strict", "SHA256SUMS")
		check.Dir = dist
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("sha256sum --check: %v\n%s", err, out)
		}
	})
	t.Run("static and trimmed", func(t *testing.T) {
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true"} {
			if !slices.ContainsFunc(info.Settings, func(s debug.BuildSetting) bool { return s.Key+"="+s.Value == want }) {
				t.Errorf("build settings %v lack %s", info.Settings, want)
			}
		}
	})
	t.Run("version", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "version", "--json")
		cmd.Env = []string{"HOME=" + t.TempDir()}
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s version --json: %v\n%s", name, err, &stderr)
		}
		var got struct{ Version, Commit, Date string }
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("version --json printed %q: %v", &stdout, err)
		}
		if want := committed.UTC().Format(time.RFC3339); got.Version != version || got.Commit != commit || got.Date != want {
			t.Errorf("version --json = %+v, want version %s, commit %s, date %s", got, version, commit, want)
		}
	})
}

// TestSystemdUnit protects deploy/pome.service: systemd-analyze verify
// accepts it without a word. Its ExecStart points at an executable that
// exists here, since verify checks that too.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("no systemd-analyze: deploy/pome.service is not verified")
	}
	unit, err := os.ReadFile("../../deploy/pome.service")
	if err != nil {
		t.Fatal(err)
	}
	const execStart = "ExecStart=/usr/local/bin/pome serve"
	if !bytes.Contains(unit, []byte("\n"+execStart+"\n")) {
		t.Fatalf("deploy/pome.service has no line %q", execStart)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pome.service")
	unit = bytes.Replace(unit, []byte(execStart), []byte("ExecStart="+self+" serve"), 1)
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify deploy/pome.service: %v\n%s", err, out)
	}
}
