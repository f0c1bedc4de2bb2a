package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

// TestReadStamped protects the release path: what -ldflags stamps wins
// over the go command's build information.
func TestReadStamped(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "v1.2.0", "0123456789abcdef0123", "2026-12-06T08:00:00Z"
	i := Read()
	if i.Version != "v1.2.0" || i.Commit != "0123456789abcdef0123" || i.Date != "2026-12-06T08:00:00Z" || i.GoVersion != runtime.Version() {
		t.Fatalf("Read() = %+v", i)
	}
	if s := i.String(); !strings.HasPrefix(s, "pome v1.2.0 (commit 0123456789ab") || !strings.Contains(s, "built 2026-12-06T08:00:00Z") {
		t.Errorf("String() = %q", s)
	}
}

// TestReadUnstamped: a test binary has no module version and no vcs
// settings; every field still says something.
func TestReadUnstamped(t *testing.T) {
	i := Read()
	if i.Version == "" || i.Commit == "" || i.Date == "" {
		t.Fatalf("Read() left a field empty: %+v", i)
	}
}
