package pome

import (
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"regexp"
	"unsafe"
)

// Key format (docs/api.md): prefix "_" 30 random base62 characters, then 6 base62
// characters encoding the CRC32 of everything before them. With the default
// prefix "pme" a key is 40 characters long. A key of the test environment
// has "test_" after the prefix's underscore ("pme_test_…", 45 characters),
// which the checksum covers too.
const (
	DefaultKeyPrefix = "pme"
	keyRandomLen     = 30
	keyChecksumLen   = 6
	keyDisplayBody   = 8 // characters of the body shown in a key's display prefix
	testInfix        = "test_"
)

// KeyPattern matches anything shaped like a key of any allowed prefix. Log
// redaction uses it; it deliberately ignores the checksum so that near-keys are
// masked too.
var KeyPattern = regexp.MustCompile(`[a-z]{2,8}_(?:test_)?[0-9A-Za-z]{36}`)

var keyPrefixPattern = regexp.MustCompile(`^[a-z]{2,8}$`)

// Digest is the SHA-256 of a whole key: the only form in which a key is stored.
type Digest [sha256.Size]byte

// KeyFormat generates and parses keys with one deployment's prefix.
type KeyFormat struct {
	prefix string // including the trailing underscore
}

// NewKeyFormat returns the format for prefix ([a-z]{2,8}).
func NewKeyFormat(prefix string) (KeyFormat, error) {
	if !keyPrefixPattern.MatchString(prefix) {
		return KeyFormat{}, fmt.Errorf("pome: key prefix %q must be 2 to 8 lowercase letters", prefix)
	}
	return KeyFormat{prefix: prefix + "_"}, nil
}

// DefaultKeyFormat is the format with the "pme" prefix.
var DefaultKeyFormat = KeyFormat{prefix: DefaultKeyPrefix + "_"}

// Len is the length of every live key of this format; a test key is
// len("test_") longer.
func (f KeyFormat) Len() int { return len(f.prefix) + keyRandomLen + keyChecksumLen }

// Generate returns a new random key.
func (f KeyFormat) Generate() (string, error) { return f.generate(false) }

// GenerateTest returns a new random key of the test environment.
func (f KeyFormat) GenerateTest() (string, error) { return f.generate(true) }

func (f KeyFormat) generate(test bool) (string, error) {
	head := f.prefix
	if test {
		head += testInfix
	}
	n := len(head) + keyRandomLen + keyChecksumLen
	b := make([]byte, n)
	copy(b, head)
	if err := randomBase62(b[len(head) : len(head)+keyRandomLen]); err != nil {
		return "", err
	}
	putChecksum(b[n-keyChecksumLen:], crc32.ChecksumIEEE(b[:n-keyChecksumLen]))
	return string(b), nil
}

// IsTest reports whether a well-formed key is of the test environment.
func (f KeyFormat) IsTest(key string) bool {
	return len(key) == f.Len()+len(testInfix) && key[len(f.prefix):len(f.prefix)+len(testInfix)] == testInfix
}

// Parse checks a candidate's prefix, length, alphabet and checksum, and
// returns its digest. It touches no storage: a forged or mistyped key stops here.
// It does not allocate: TestParseAllocs.
func (f KeyFormat) Parse(candidate string) (Digest, error) {
	if !f.WellFormed(candidate) {
		return Digest{}, ErrInvalidAPIKey
	}
	return sha256.Sum256(bytesOf(candidate)), nil
}

// WellFormed reports whether candidate has this format's prefix, length,
// alphabet and a correct checksum. Secret scanners can run the same check.
func (f KeyFormat) WellFormed(candidate string) bool {
	if len(candidate) < f.Len() || candidate[:len(f.prefix)] != f.prefix {
		return false
	}
	rest := candidate[len(f.prefix):]
	if len(candidate) != f.Len() {
		if !f.IsTest(candidate) {
			return false
		}
		rest = rest[len(testInfix):]
	}
	if !isBase62(rest) {
		return false
	}
	var want [keyChecksumLen]byte
	putChecksum(want[:], crc32.ChecksumIEEE(bytesOf(candidate[:len(candidate)-keyChecksumLen])))
	return string(want[:]) == candidate[len(candidate)-keyChecksumLen:]
}

// DisplayPrefix is the part of a key shown in listings: the prefix and the
// first 8 characters of the body ("pme_aB3kPqXy", 12 characters by default;
// "pme_test_aB3kPqXy" for a test key).
func (f KeyFormat) DisplayPrefix(key string) string {
	n := len(f.prefix) + keyDisplayBody
	if f.IsTest(key) {
		n += len(testInfix)
	}
	if len(key) < n {
		return key
	}
	return key[:n]
}

// DigestOf returns the SHA-256 digest of key without checking its format.
func DigestOf(key string) Digest { return sha256.Sum256([]byte(key)) }

// bytesOf views s as bytes without copying: Parse runs on every request and
// must not allocate (TestParseAllocs). The callers only read the slice and
// do not keep it.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// putChecksum writes sum as fixed-width big-endian base62 (62^6 > 2^32).
func putChecksum(dst []byte, sum uint32) {
	v := uint64(sum)
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = base62Alphabet[v%62]
		v /= 62
	}
}
