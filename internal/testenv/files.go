package testenv

import (
	"os"
	"testing"
)

// CopyFile copies the file from to to (mode 0600), failing t on error: a
// test's copy of a database to damage or restore.
func CopyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
