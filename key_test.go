package pome_test

import (
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/pomehq/pome"
)

func mustGenerate(t testing.TB, f pome.KeyFormat) string {
	t.Helper()
	k, err := f.Generate()
	if err != nil {
		t.Fatalf("Generate() error = %v", err)
	}
	return k
}

// A generated key has the docs/api.md shape and passes its own checksum.
func TestGenerateShape(t *testing.T) {
	t.Parallel()
	f := pome.DefaultKeyFormat
	seen := make(map[string]bool)
	for range 1000 {
		k := mustGenerate(t, f)
		if len(k) != 40 || !strings.HasPrefix(k, "pme_") {
			t.Fatalf("Generate() = %q, want 40 characters starting pme_", k)
		}
		if !pome.KeyPattern.MatchString(k) {
			t.Fatalf("KeyPattern does not match generated key %q", k)
		}
		if _, err := f.Parse(k); err != nil {
			t.Fatalf("Parse(%q) = %v, want nil", k, err)
		}
		if seen[k] {
			t.Fatalf("Generate() repeated %q", k)
		}
		seen[k] = true
		if got := f.DisplayPrefix(k); got != k[:12] {
			t.Fatalf("DisplayPrefix(%q) = %q, want %q", k, got, k[:12])
		}
	}
}

// Every base62 character appears in generated bodies: the alphabet is used whole.
func TestGenerateUsesWholeAlphabet(t *testing.T) {
	t.Parallel()
	counts := make(map[rune]int)
	for range 500 {
		for _, c := range mustGenerate(t, pome.DefaultKeyFormat)[4:34] {
			counts[c]++
		}
	}
	if len(counts) != 62 {
		t.Fatalf("generated bodies use %d distinct characters, want 62", len(counts))
	}
}

// The checksum is the CRC32 (IEEE) of everything before it, as 6 big-endian
// base62 digits, so that secret scanners can validate a key offline.
func TestChecksumIsCRC32OfPrefixAndBody(t *testing.T) {
	t.Parallel()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	k := mustGenerate(t, pome.DefaultKeyFormat)
	var v uint64
	for _, c := range k[34:] {
		v = v*62 + uint64(strings.IndexRune(alphabet, c))
	}
	if want := uint64(crc32.ChecksumIEEE([]byte(k[:34]))); v != want {
		t.Fatalf("checksum of %q decodes to %d, want CRC32 %d", k, v, want)
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	f := pome.DefaultKeyFormat
	k := mustGenerate(t, f)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	other, err := pome.NewKeyFormat("acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key string
	}{
		{"empty", ""},
		{"wrong prefix", "pmx_" + k[4:]},
		{"no underscore", "pme-" + k[4:]},
		{"other deployment's prefix", mustGenerate(t, other)},
		{"too short", k[:39]},
		{"too long", k + "a"},
		{"non-base62 body", k[:10] + "-" + k[11:]},
		{"non-ASCII body", k[:10] + "é" + k[12:]},
		{"wrong checksum", flip(k, 39)},
		{"body changed", flip(k, 10)},
		{"upper-case prefix", "PME_" + k[4:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.Parse(tc.key); !errors.Is(err, pome.ErrInvalidAPIKey) {
				t.Fatalf("Parse(%q) = %v, want %v", tc.key, err, pome.ErrInvalidAPIKey)
			}
		})
	}
}

func TestParseDigest(t *testing.T) {
	t.Parallel()
	k := mustGenerate(t, pome.DefaultKeyFormat)
	d, err := pome.DefaultKeyFormat.Parse(k)
	if err != nil {
		t.Fatal(err)
	}
	if d != pome.DigestOf(k) {
		t.Fatalf("Parse(%q) digest differs from DigestOf", k)
	}
}

func TestNewKeyFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"pme", true}, {"ab", true}, {"abcdefgh", true},
		{"a", false}, {"abcdefghi", false}, {"Pme", false}, {"p1", false}, {"", false}, {"pm_", false},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			f, err := pome.NewKeyFormat(tc.prefix)
			if (err == nil) != tc.ok {
				t.Fatalf("NewKeyFormat(%q) error = %v, want ok=%v", tc.prefix, err, tc.ok)
			}
			if !tc.ok {
				return
			}
			k := mustGenerate(t, f)
			if len(k) != len(tc.prefix)+37 || !strings.HasPrefix(k, tc.prefix+"_") {
				t.Fatalf("Generate() = %q, want %s_ and 36 characters", k, tc.prefix)
			}
			if !f.WellFormed(k) || !pome.KeyPattern.MatchString(k) {
				t.Fatalf("key %q of prefix %q does not validate", k, tc.prefix)
			}
		})
	}
}

// FuzzParseKey: Parse never panics, accepts only strings of the key's exact
// shape, and agrees with WellFormed.
func FuzzParseKey(f *testing.F) {
	format := pome.DefaultKeyFormat
	good := mustGenerate(f, format)
	for _, s := range []string{"", "pme_", good, good[:39], good + "x", "pme_" + strings.Repeat("0", 36), strings.Repeat("é", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := format.Parse(s)
		if err != nil {
			if !errors.Is(err, pome.ErrInvalidAPIKey) {
				t.Fatalf("Parse(%q) = %v, want ErrInvalidAPIKey", s, err)
			}
			if format.WellFormed(s) {
				t.Fatalf("WellFormed(%q) = true but Parse failed", s)
			}
			return
		}
		if len(s) != 40 || !strings.HasPrefix(s, "pme_") || !pome.KeyPattern.MatchString(s) {
			t.Fatalf("Parse(%q) accepted a string not of key shape", s)
		}
		if d != pome.DigestOf(s) {
			t.Fatalf("Parse(%q) digest mismatch", s)
		}
	})
}

// Parse runs on every request of the public API and does not allocate,
// whether the key is good or fails any check (the claim on KeyFormat.Parse
// and bytesOf): a flood of forged keys costs no garbage. The candidates are
// heap strings, as a request's header values are.
func TestParseAllocs(t *testing.T) {
	k := mustGenerate(t, pome.DefaultKeyFormat)
	for _, c := range []struct{ name, key string }{
		{"valid", k},
		{"wrong checksum", k[:39] + string(rune('0'+(k[39]-'0'+1)%10))},
		{"wrong prefix", "abc" + k[3:]},
		{"wrong length", k[:39]},
		{"not base62", k[:10] + "-" + k[11:]},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := strings.Clone(c.key)
			if n := testing.AllocsPerRun(100, func() { pome.DefaultKeyFormat.Parse(key) }); n != 0 {
				t.Errorf("Parse(%s key) allocs = %v, want 0", c.name, n)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	k := mustGenerate(b, pome.DefaultKeyFormat)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pome.DefaultKeyFormat.Parse(k); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseForged(b *testing.B) {
	k := mustGenerate(b, pome.DefaultKeyFormat)
	forged := k[:39] + string(rune('0'+(k[39]-'0'+1)%10))
	b.ReportAllocs()
	for b.Loop() {
		pome.DefaultKeyFormat.Parse(forged)
	}
}

func TestIsID(t *testing.T) {
	t.Parallel()
	if id := pome.NewID("key_"); !pome.IsID(id, "key_") || pome.IsID(id, "usr_") {
		t.Errorf("IsID(%q) by its own prefix and by another", id)
	}
	for _, s := range []string{"key_", "ci-deploy", "key_X5FQfLSUBaHoJ77", "key_X5FQfLSUBaHoJ77kk", "key_X5FQfLSUBaHo-77k"} {
		if pome.IsID(s, "key_") {
			t.Errorf("IsID(%q) = true", s)
		}
	}
}
