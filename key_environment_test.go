package pome_test

import (
	"hash/crc32"
	"strings"
	"testing"

	"github.com/pomehq/pome"
)

// A test-environment key reads <prefix>_test_ then the usual 30 + 6
// characters, its checksum covers the whole key (so offline validation
// works alike), and a live key is not taken for one.
func TestTestKeys(t *testing.T) {
	t.Parallel()
	f := pome.DefaultKeyFormat
	for range 200 {
		k, err := f.GenerateTest()
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != 45 || !strings.HasPrefix(k, "pme_test_") {
			t.Fatalf("GenerateTest() = %q, want 45 characters starting pme_test_", k)
		}
		if !f.WellFormed(k) || !f.IsTest(k) {
			t.Fatalf("WellFormed(%q) = %v, IsTest = %v, want both true", k, f.WellFormed(k), f.IsTest(k))
		}
		if m := pome.KeyPattern.FindString("x " + k + " y"); m != k {
			t.Fatalf("KeyPattern finds %q in a line holding %q", m, k)
		}
		if got := f.DisplayPrefix(k); got != k[:17] {
			t.Fatalf("DisplayPrefix(%q) = %q, want %q", k, got, k[:17])
		}
		var sum [6]byte
		copy(sum[:], k[39:])
		if want := crc32.ChecksumIEEE([]byte(k[:39])); checksumOf(sum) != want {
			t.Fatalf("checksum of %q does not cover the whole key", k)
		}
		// Every change of a character before the checksum breaks it.
		for _, i := range []int{4, 8, 9, 20} {
			b := []byte(k)
			b[i] ^= 1
			if f.WellFormed(string(b)) {
				t.Fatalf("WellFormed(%q) = true after changing byte %d", b, i)
			}
		}
		live := mustGenerate(t, f)
		if f.IsTest(live) {
			t.Fatalf("IsTest(%q) = true for a live key", live)
		}
	}
	// A live-length key with "test_" in its body is an ordinary live key,
	// and a test-length key without the infix is malformed.
	if f.WellFormed("pme_" + strings.Repeat("A", 41)) {
		t.Fatal("WellFormed accepted a 45-character key without test_")
	}
}

// checksumOf decodes 6 base62 characters (the key's checksum).
func checksumOf(s [6]byte) uint32 {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var v uint64
	for _, c := range s {
		v = v*62 + uint64(strings.IndexByte(alphabet, c))
	}
	return uint32(v)
}
