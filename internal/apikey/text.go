package apikey

import "github.com/pomehq/pome"

// checkText refuses names and descriptions that would mislead whoever reads
// them in a listing, a terminal or a log: control characters (a name is one
// line; a description may hold newlines and tabs) and the Unicode bidi
// controls that reorder what is displayed ("Trojan Source").
func checkText(name, description string) error {
	for _, r := range name {
		if isControl(r) || isBidiControl(r) {
			return pome.InvalidParameter("'name' must not contain control characters")
		}
	}
	for _, r := range description {
		if r != '\n' && r != '\t' && isControl(r) || isBidiControl(r) {
			return pome.InvalidParameter("'description' must not contain control characters")
		}
	}
	return nil
}

// isControl reports C0 and C1 controls and DEL (Unicode category Cc).
func isControl(r rune) bool { return r < 0x20 || 0x7f <= r && r < 0xa0 }

// isBidiControl reports the explicit bidirectional formatting characters:
// LRM, RLM, ALM, the embeddings and overrides (U+202A–E) and isolates (U+2066–9).
func isBidiControl(r rune) bool {
	return r == 0x200e || r == 0x200f || r == 0x061c || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
}
