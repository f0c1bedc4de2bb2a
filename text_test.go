package pome_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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

// CleanText keeps what the rule allows and drops the rest, whatever it is
// given, and what it returns passes the rule: a store can hold it and a
// listing shows it as it is.
func TestCleanText(t *testing.T) {
	t.Parallel()
	for _, c := range refusedText {
		in := "pro" + c.text + "d"
		want := "prod"
		if strings.HasPrefix(c.class, "invalid") || strings.HasPrefix(c.class, "truncated") {
			want = "pro" + strings.Repeat("\ufffd", len(c.text)) + "d"
		}
		if got := pome.CleanText(in, 100); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range allowedText {
		if got := pome.CleanText(s, 100); got != s {
			t.Errorf("CleanText(%q) = %q, want it unchanged", s, got)
		}
	}
	key := mustGenerate(t, pome.DefaultKeyFormat)
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"curl/8.5.0", 256, "curl/8.5.0"},
		{"agent " + key, 256, "agent [REDACTED]"},
		{"agent " + key[:20] + "\x01" + key[20:], 256, "agent [REDACTED]"},         // joined by the cleaning, then masked
		{strings.Repeat("-", 250) + key, 256, strings.Repeat("-", 250) + "[REDAC"}, // masked before the cut
		{strings.Repeat("é", 10), 7, strings.Repeat("é", 3)},                       // cut on a rune boundary
	} {
		if got := pome.CleanText(tc.in, tc.max); got != tc.want {
			t.Errorf("CleanText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// Storable refuses exactly what no store can hold.
func TestStorable(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"alice@example.com": true, "a\u202eb": true, "\u0085": true, "": true,
		"a\x00b": false, "a\xffb": false, "\xc3\x28": false,
	} {
		if got := pome.Storable(s); got != want {
			t.Errorf("Storable(%q) = %v, want %v", s, got, want)
		}
	}
}

// An audit event keeps the request's metadata and the strings of its
// details cleaned: a client's user agent or address may hold anything, and
// PostgreSQL's text holds no NUL and no invalid UTF-8.
func TestAuditEventClean(t *testing.T) {
	t.Parallel()
	ctx := pome.WithRequestInfo(context.Background(), pome.RequestInfo{
		RequestID: "req_\x00x", IP: "203.0.113.7\xff", UserAgent: "curl\x00/8\xff\u202e" + strings.Repeat("a", 300),
	})
	ev := pome.NewAuditEvent(ctx, pome.AuditLogin, time.Now()).With(map[string]any{"name": "ci\x00\u200b", "left": true})
	if ev.RequestID != "req_x" || ev.IP != "203.0.113.7\ufffd" {
		t.Errorf("request id, IP = %q, %q; want them cleaned", ev.RequestID, ev.IP)
	}
	if want := "curl/8\ufffd" + strings.Repeat("a", 256-len("curl/8\ufffd")); ev.UserAgent != want {
		t.Errorf("user agent = %q, want %q", ev.UserAgent, want)
	}
	if ev.Details["name"] != "ci" || ev.Details["left"] != true {
		t.Errorf("details = %v, want the name cleaned and the rest kept", ev.Details)
	}
}
