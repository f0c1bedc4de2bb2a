package pome

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The text rule of every human-visible string Pome stores from a caller
// (key, team and service-token names, key descriptions, emails), written
// once here: such a string is shown in listings, the dashboard, a terminal
// and the audit log, and must show what it holds. It must be valid UTF-8
// and hold none of
//   - the C0 and C1 controls and DEL (category Cc): a terminal acts on them;
//   - the line and paragraph separators U+2028 and U+2029;
//   - format characters (category Cf): the bidi marks, embeddings,
//     overrides and isolates that reorder what is shown ("Trojan Source"),
//     the zero-width space, joiners and non-joiner, the soft hyphen, the
//     byte order mark, tag characters: "pro\u200bd" would read as "prod".
//     The zero-width joiner of emoji sequences goes too: a name loses the
//     family emoji, not its meaning;
//   - the other default-ignorable code points, invisible by definition
//     (Hangul fillers, the combining grapheme joiner, variation selectors).
//
// Unassigned and private-use code points are allowed: Go's Unicode tables
// lag the standard, and refusing what they do not know would refuse the
// newest emoji. Text is not normalized (NFC): it is stored as typed, no
// name is an identifier, and the root package imports only the standard
// library.

// hidden reports a rune the text rule refuses.
func hidden(r rune) bool {
	switch {
	case r < 0x20 || 0x7f <= r && r < 0xa0:
		return true
	case r < 0xa0:
		return false
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// CheckText applies the text rule to the one-line value of field: a 400
// invalid_parameter naming the field if it breaks it.
func CheckText(field, s string) error {
	return checkText(field, s, false)
}

// CheckMultilineText is CheckText for text that may span lines (a key's
// description): newlines and tabs are allowed.
func CheckMultilineText(field, s string) error {
	return checkText(field, s, true)
}

func checkText(field, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return InvalidParameter("'%s' must be valid UTF-8", field)
	}
	for _, r := range s {
		if hidden(r) && !(multiline && (r == '\n' || r == '\t')) {
			return InvalidParameter("'%s' must not contain control, format or invisible characters (found U+%04X)", field, r)
		}
	}
	return nil
}

// Storable reports whether every store can hold s as text, as it is:
// valid UTF-8 without NUL (PostgreSQL's text holds neither). A value a
// request looks something up by (an email, a filter) that is not storable
// cannot match anything stored, and must not reach a store.
func Storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// CleanText returns s fit to be stored and shown as one line, whatever a
// client sent: invalid UTF-8 becomes U+FFFD, the characters the text rule
// refuses are dropped (newlines and tabs too), anything shaped like a key
// is masked, and the result is cut at max bytes on a rune boundary. It is
// for what a request carries besides its parameters (a user agent, an
// address, a request id), which the audit log keeps.
func CleanText(s string, max int) string {
	if !clean(s) {
		var b strings.Builder
		b.Grow(len(s))
		for _, r := range s { // an invalid byte reads as utf8.RuneError
			if !hidden(r) {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	// Masked after the cleaning, which may join a key split by controls,
	// and before the cut, which could leave a key too short to match.
	if len(s) >= 39 && strings.IndexByte(s, '_') >= 0 {
		s = KeyPattern.ReplaceAllString(s, "[REDACTED]")
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// clean reports whether CleanText has nothing to replace or drop in s.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return utf8.ValidString(s) && !strings.ContainsFunc(s, hidden)
		}
	}
	return true
}
