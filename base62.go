package pome

import (
	"crypto/rand"
	"fmt"
	"strings"
)

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// isBase62 reports whether every byte of s is in the base62 alphabet.
func isBase62(s string) bool {
	// A table lookup, not three range tests: every /v1/ request checks a
	// 36-character key body, and the branchy form cost ~6 ns a character.
	for i := 0; i < len(s); i++ {
		if !isBase62Byte[s[i]] {
			return false
		}
	}
	return true
}

// isBase62Byte marks the bytes of the base62 alphabet.
var isBase62Byte = func() (t [256]bool) {
	for _, c := range []byte(base62Alphabet) {
		t[c] = true
	}
	return t
}()

// randomBase62 fills dst with uniformly random base62 characters from
// crypto/rand. Bytes of 248 and above are rejected so that every character is
// equally likely (248 = 4 × 62).
func randomBase62(dst []byte) error {
	var buf [64]byte
	n := 0
	for n < len(dst) {
		if _, err := rand.Read(buf[:]); err != nil {
			return fmt.Errorf("pome: read random: %w", err)
		}
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			dst[n] = base62Alphabet[b%62]
			n++
			if n == len(dst) {
				break
			}
		}
	}
	return nil
}

// NewID returns prefix followed by 16 random base62 characters (about 95 bits),
// the form of every user, team and key id (docs/api.md).
func NewID(prefix string) string {
	return newRandomString(prefix, 16)
}

// IsID reports whether s has the form NewID(prefix) gives, so that a
// command line can tell an id from a name without asking the server.
func IsID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && len(rest) == 16 && isBase62(rest)
}

// NewRequestID returns "req_" followed by 20 random base62 characters.
func NewRequestID() string {
	return newRandomString("req_", 20)
}

func newRandomString(prefix string, n int) string {
	b := make([]byte, len(prefix)+n)
	copy(b, prefix)
	if err := randomBase62(b[len(prefix):]); err != nil {
		// crypto/rand never fails on supported platforms (it panics itself
		// since Go 1.24); an id we cannot make is not a state to go on from.
		panic(err)
	}
	return string(b)
}

// NewSessionToken returns a 256-bit random session token: 43 base62 characters.
func NewSessionToken() string {
	return newRandomString("", 43)
}
