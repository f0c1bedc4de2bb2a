package pome_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pomehq/pome"
)

// refusedText is one character of each class the text rule refuses.
var refusedText = []struct{ class, text string }{
	{"NUL", "\x00"},
	{"C0 escape", "\x1b"},
	{"newline", "\n"},
	{"tab", "\t"},
	{"DEL", "\x7f"},
	{"C1 NEL", "\u0085"},
	{"C1 CSI", "\u009b"},
	{"line separator", "\u2028"},
	{"paragraph separator", "\u2029"},
	{"left-to-right mark", "\u200e"},
	{"Arabic letter mark", "\u061c"},
	{"right-to-left override", "\u202e"},
	{"left-to-right embedding", "\u202a"},
	{"first strong isolate", "\u2068"},
	{"pop directional isolate", "\u2069"},
	{"zero-width space", "\u200b"},
	{"zero-width non-joiner", "\u200c"},
	{"zero-width joiner", "\u200d"},
	{"word joiner", "\u2060"},
	{"soft hyphen", "\u00ad"},
	{"byte order mark", "\ufeff"},
	{"tag letter", "\U000E0041"},
	{"Hangul filler", "\u3164"},
	{"combining grapheme joiner", "\u034f"},
	{"variation selector", "\ufe0f"},
	{"invalid UTF-8", "\xff"},
	{"truncated UTF-8", "\xe2\x80"},
}

// allowedText is what the rule keeps: letters of any script, marks,
// symbols, emoji, visible spaces, and what Go's tables do not know.
var allowedText = []string{
	"prod", "Acme GmbH & Co.", "Ünïcödé", "東京チーム", "עברית", "العربية", "e\u0301", "🔑 keys",
	"a\u00a0b", "\ue000 private", "\U00031350 unassigned in Go's tables", "\ufffd",
}

// The text rule of every human-visible name: each class refused, in the
// middle of a word too, with a 400 invalid_parameter naming the field;
// everything else allowed.
func TestCheckText(t *testing.T) {
	t.Parallel()
	for _, c := range refusedText {
		t.Run(c.class, func(t *testing.T) {
			err := pome.CheckText("name", "pro"+c.text+"d")
			var pe *pome.Error
			if !errors.As(err, &pe) || pe.Code != "invalid_parameter" || !strings.Contains(pe.Message, "'name'") {
				t.Errorf("CheckText(%q) = %v, want invalid_parameter naming 'name'", "pro"+c.text+"d", err)
			}
			multi := pome.CheckMultilineText("description", "pro"+c.text+"d")
			if wantOK := c.text == "\n" || c.text == "\t"; (multi == nil) != wantOK {
				t.Errorf("CheckMultilineText(%q) = %v, want nil: %v", "pro"+c.text+"d", multi, wantOK)
			}
		})
	}
	for _, s := range allowedText {
		if err := pome.CheckText("name", s); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", s, err)
		}
	}
}
