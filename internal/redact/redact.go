// Package redact wraps an slog.Handler so that no API key, password, session
// token or other secret reaches a log line, whatever the code that logs it
// passed: a log is copied to places a key must never be (docs/api.md).
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pomehq/pome"
)

// Mask is what replaces the value of an attribute whose key names a secret.
const Mask = "[redacted]"

// keySuffix follows the visible start of a masked key.
const keySuffix = "…redacted"

// visibleBody is how many characters after the prefix's underscore a masked
// key keeps: the same 8 as a key's display prefix (pme_aB3kPqXy), which is
// public already, so an operator can still tell keys apart in the logs.
const visibleBody = 8

// secretWords mark an attribute key (or group name) whose value is secret
// whatever it looks like: session tokens, for one, have no pattern to match.
var secretWords = []string{"password", "passwd", "secret", "token", "authorization", "cookie", "session"}

// secretKeys are attribute keys, normalized, that are secret as a whole word
// though too short or common to match inside longer keys.
var secretKeys = map[string]bool{"api_key": true, "apikey": true, "x_api_key": true, "key_plaintext": true}

// Handler masks secrets in every record before passing it to the wrapped
// handler.
type Handler struct {
	inner slog.Handler
	// secret is set under a group whose name marks a secret: every value in
	// it is masked.
	secret bool
}

// New returns a Handler that writes to inner.
func New(inner slog.Handler) *Handler { return &Handler{inner: inner} }

// Enabled reports whether the wrapped handler takes records of level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle masks the message and attributes of r and passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	// Most records have nothing to mask: they pass on as they are, without
	// a copy.
	clean := String(r.Message) == r.Message
	if clean {
		r.Attrs(func(a slog.Attr) bool {
			clean = h.clean(a)
			return clean
		})
	}
	if clean {
		return h.inner.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs masks attrs once, when they are attached.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.attr(a)
	}
	return &Handler{inner: h.inner.WithAttrs(masked), secret: h.secret}
}

// WithGroup opens a group; a group named like a secret masks all it holds.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), secret: h.secret || SecretKey(name)}
}

// clean reports whether a has nothing to mask: it is no secret, no group,
// no value of unknown shape, and no string that holds a key.
func (h *Handler) clean(a slog.Attr) bool {
	if h.secret || SecretKey(a.Key) {
		return false
	}
	switch a.Value.Kind() {
	case slog.KindString:
		s := a.Value.String()
		return String(s) == s
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool, slog.KindDuration, slog.KindTime:
		return true
	}
	return false
}

func (h *Handler) attr(a slog.Attr) slog.Attr {
	return attr(a, h.secret)
}

// attr returns a with every secret in it masked.
func attr(a slog.Attr, secret bool) slog.Attr {
	secret = secret || SecretKey(a.Key)
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		group := v.Group()
		masked := make([]slog.Attr, len(group))
		for i, g := range group {
			masked[i] = attr(g, secret)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(masked...)}
	}
	if secret {
		return slog.String(a.Key, Mask)
	}
	return slog.Attr{Key: a.Key, Value: value(v)}
}

// value masks keys inside one resolved, non-group value.
func value(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(String(v.String()))
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			// Handlers print an error by its Error(); mask that text.
			return slog.StringValue(String(x.Error()))
		case []byte:
			return slog.StringValue(String(string(x)))
		default:
			// A struct, map or Stringer might carry a key in any field. Its
			// printed form is checked; only if a key shows is it replaced by
			// that form, masked, so ordinary values keep their shape.
			s := fmt.Sprintf("%+v", x)
			if masked := String(s); masked != s {
				return slog.StringValue(masked)
			}
		}
	}
	return v
}

// String returns s with anything shaped like an API key (pome.KeyPattern)
// cut to its display prefix and marked "…redacted".
func String(s string) string {
	// The fast path: a key has an underscore and is at least 39 characters,
	// and most log strings fail one of the two without a regexp.
	if len(s) < 39 || !strings.Contains(s, "_") {
		return s
	}
	return pome.KeyPattern.ReplaceAllStringFunc(s, func(key string) string {
		us := strings.IndexByte(key, '_')
		return key[:us+1+visibleBody] + keySuffix
	})
}

// SecretKey reports whether an attribute key or group name marks its value as
// a secret (password, token, cookie, ...), case- and separator-insensitively.
func SecretKey(key string) bool {
	if v, ok := secretKeyCache.Load(key); ok {
		return v.(bool)
	}
	secret := secretKey(key)
	// Attribute keys are nearly always constants of the program: a few
	// dozen. The cache stops growing at a bound, in case they are not.
	if secretKeyCacheLen.Load() < secretKeyCacheMax {
		if _, loaded := secretKeyCache.LoadOrStore(strings.Clone(key), secret); !loaded {
			secretKeyCacheLen.Add(1)
		}
	}
	return secret
}

// secretKeyCache remembers SecretKey's answers: every log line asks about
// every one of its attribute keys.
var (
	secretKeyCache    sync.Map // string → bool
	secretKeyCacheLen atomic.Int32
)

const secretKeyCacheMax = 1024

func secretKey(key string) bool {
	k := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	if secretKeys[k] {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// PathMask replaces a path segment Path takes for a secret.
const PathMask = "[REDACTED]"

// Path returns path with each segment that looks like a secret replaced by
// PathMask: a token of 20 or more base64url characters mixing upper case,
// lower case and digits (a session token; a password manager's password),
// or of 32 or more hexadecimal digits (a digest, a hex token). Ids stay
// visible, as they are no secret and an operator looks for them: a lowercase
// prefix, an underscore and up to 20 base62 characters (key_…, usr_…,
// req_…). Keys are masked by String. No route of Pome has such a segment of
// its own, so only what a client put there is masked. It does not allocate
// unless it masks: TestPathAllocs.
func Path(path string) string {
	var b []byte // nil until a segment is masked
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		seg := path[start:i]
		switch {
		case secretSegment(seg):
			if b == nil {
				b = append(make([]byte, 0, len(path)), path[:start]...)
			}
			b = append(b, PathMask...)
		case b != nil:
			b = append(b, seg...)
		}
		if b != nil && i < len(path) {
			b = append(b, '/')
		}
		start = i + 1
	}
	if b == nil {
		return path
	}
	return string(b)
}

// secretSegment reports whether one segment of a path looks like a secret
// (Path).
func secretSegment(s string) bool {
	if len(s) < 20 || isID(s) {
		return false
	}
	upper, lower, digit, hex := false, false, false, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z':
			upper, hex = true, hex && c <= 'F'
		case 'a' <= c && c <= 'z':
			lower, hex = true, hex && c <= 'f'
		case '0' <= c && c <= '9':
			digit = true
		case c == '-' || c == '_' || c == '+' || c == '=':
			hex = false
		default:
			return false // not a token: words with dots or spaces, a date
		}
	}
	return upper && lower && digit || hex && len(s) >= 32 && digit && (upper || lower)
}

// isID reports whether s has the shape of an id: a lowercase prefix of 1
// to 8 letters, an underscore and 1 to 20 base62 characters.
func isID(s string) bool {
	us := strings.IndexByte(s, '_')
	if us < 1 || us > 8 || len(s)-us-1 > 20 {
		return false
	}
	for i := 0; i < us; i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	for i := us + 1; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return len(s) > us+1
}
