package redact_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/redact"
)

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatalf("Generate() error: %v", err)
	}
	return k
}

// TestString protects the masking rule itself: a key is cut to its public
// display prefix, anything else is left alone.
func TestString(t *testing.T) {
	key := mustKey(t)
	shown := key[:12] + "…redacted"
	other := "acme_" + strings.Repeat("Z", 36)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text", "GET /v1/me 200", "GET /v1/me 200"},
		{"bare key", key, shown},
		{"key in a sentence", "got key " + key + " from header", "got key " + shown + " from header"},
		{"two keys", key + "," + key, shown + "," + shown},
		{"bearer header", "Bearer " + key, "Bearer " + shown},
		{"other prefix", other, "acme_ZZZZZZZZ…redacted"},
		{"bad checksum still masked", key[:39] + "x", key[:12] + "…redacted"},
		{"display prefix alone kept", key[:12], key[:12]},
		{"too short to be a key", "pme_" + strings.Repeat("a", 35), "pme_" + strings.Repeat("a", 35)},
		{"uppercase prefix is no key", "PME_" + strings.Repeat("a", 36), "PME_" + strings.Repeat("a", 36)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecretKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"password", true},
		{"Password", true},
		{"new_password", true},
		{"token", true},
		{"session_token", true},
		{"Authorization", true},
		{"cookie", true},
		{"Set-Cookie", true},
		{"pome_session", true},
		{"client_secret", true},
		{"X-API-KEY", true},
		{"api_key", true},
		{"key_id", false},
		{"request_id", false},
		{"status", false},
		{"email", false},
		{"prefix", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := redact.SecretKey(tt.key); got != tt.want {
				t.Errorf("SecretKey(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

type carrier struct {
	Name string
	Key  string
}

type keyValuer struct{ key string }

func (k keyValuer) LogValue() slog.Value { return slog.StringValue("valuer " + k.key) }

// TestHandler protects the guarantee of docs/api.md: whatever a caller
// logs — message, attribute, group, error, struct, LogValuer, attributes
// attached with With — a JSON log line never holds a plaintext key, and
// secrets named by their attribute key never show at all.
func TestHandler(t *testing.T) {
	key := mustKey(t)
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want []string // substrings the line must contain
	}{
		{"message", func(l *slog.Logger) { l.Info("verifying " + key) }, []string{`"msg":"verifying pme_`}},
		{"string attr", func(l *slog.Logger) { l.Info("m", "header", "Bearer "+key) }, []string{`"header":"Bearer pme_`}},
		{"error attr", func(l *slog.Logger) { l.Error("m", "err", fmt.Errorf("lookup %s: %w", key, errors.New("boom"))) }, []string{`"err":"lookup pme_`, `boom"`}},
		{"wrapped pome error", func(l *slog.Logger) {
			l.Error("m", "err", pome.ErrInvalidAPIKey.WithCause(errors.New("key "+key)))
		}, []string{`invalid_api_key`}},
		{"nested group", func(l *slog.Logger) {
			l.Info("m", slog.Group("req", slog.String("path", "/v1/me"), slog.Group("h", slog.String("x", key))))
		}, []string{`"req":{"path":"/v1/me","h":{"x":"pme_`}},
		{"with attrs", func(l *slog.Logger) { l.With("k", key).Info("m") }, []string{`"k":"pme_`}},
		{"with group", func(l *slog.Logger) { l.WithGroup("g").Info("m", "k", key) }, []string{`"g":{"k":"pme_`}},
		{"struct value", func(l *slog.Logger) { l.Info("m", "c", carrier{Name: "ci", Key: key}) }, []string{`"c":"{Name:ci Key:pme_`}},
		{"log valuer", func(l *slog.Logger) { l.Info("m", "v", keyValuer{key}) }, []string{`"v":"valuer pme_`}},
		{"bytes", func(l *slog.Logger) { l.Info("m", "b", []byte(key)) }, []string{`"b":"pme_`}},
		{"password attr", func(l *slog.Logger) { l.Info("m", "password", "hunter2hunter2") }, []string{`"password":"[redacted]"`}},
		{"token attr", func(l *slog.Logger) { l.Info("m", "session_token", "abcdef") }, []string{`"session_token":"[redacted]"`}},
		{"cookie in group", func(l *slog.Logger) {
			l.Info("m", slog.Group("headers", slog.String("Cookie", "pome_session=abc"), slog.String("Accept", "*/*")))
		}, []string{`"Cookie":"[redacted]"`, `"Accept":"*/*"`}},
		{"secret group", func(l *slog.Logger) { l.Info("m", slog.Group("secret", slog.String("a", "s3cr3t"), slog.Int("n", 7))) }, []string{`"secret":{"a":"[redacted]","n":"[redacted]"}`}},
		{"secret with group", func(l *slog.Logger) { l.WithGroup("authorization").Info("m", "v", "Basic czNjcjN0") }, []string{`"authorization":{"v":"[redacted]"}`}},
		{"non-secret values kept", func(l *slog.Logger) { l.Info("m", "status", 200, "ok", true, "who", "alice") }, []string{`"status":200`, `"ok":true`, `"who":"alice"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(redact.New(slog.NewJSONHandler(&buf, nil))))
			line := buf.String()
			if strings.Contains(line, key) {
				t.Fatalf("log line holds the plaintext key: %s", line)
			}
			for _, secret := range []string{"hunter2hunter2", "s3cr3t", "czNjcjN0", "pome_session=abc"} {
				if strings.Contains(line, secret) {
					t.Fatalf("log line holds secret %q: %s", secret, line)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("log line = %s, want it to contain %s", line, w)
				}
			}
		})
	}
}

// TestHandlerManyKeys logs many generated keys every way a caller might and
// checks that none of them is ever printed.
func TestHandlerManyKeys(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(redact.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = mustKey(t)
		k := keys[i]
		log.With("attached", k).WithGroup("g").Debug("key "+k, "k", k, "err", errors.New(k), slog.Group("n", "k", k))
	}
	out := buf.String()
	for _, k := range keys {
		if strings.Contains(out, k) {
			t.Fatalf("log output holds generated key %s…", k[:12])
		}
	}
	if got := strings.Count(out, "…redacted"); got != 5*len(keys) {
		t.Errorf("masked %d keys, want %d", got, 5*len(keys))
	}
}

// TestHandlerEnabled checks that the level decision stays the wrapped
// handler's.
func TestHandlerEnabled(t *testing.T) {
	h := redact.New(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled(Info) = true under a Warn handler, want false")
	}
	if !h.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled(Error) = false under a Warn handler, want true")
	}
}

// TestPath protects what the access log shows of a path: a segment shaped
// like a token is masked, and ids, words and dates stay.
func TestPath(t *testing.T) {
	t.Parallel()
	session := pome.NewSessionToken()
	hex := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, tt := range []struct{ in, want string }{
		{"/v1/me", "/v1/me"},
		{"/", "/"},
		{"", ""},
		{"/v1/" + session, "/v1/" + redact.PathMask},
		{"/api/keys/" + session + "/usage", "/api/keys/" + redact.PathMask + "/usage"},
		{"/" + session + "/" + session + "/", "/" + redact.PathMask + "/" + redact.PathMask + "/"},
		{"/x/Tr0ub4dor-and-3-Horses", "/x/" + redact.PathMask}, // a password, mixed
		{"/blobs/" + hex, "/blobs/" + redact.PathMask},
		{"/blobs/" + strings.ToUpper(hex), "/blobs/" + redact.PathMask},
		{"/api/keys/key_X5FQfLSUBaHoJ77k", "/api/keys/key_X5FQfLSUBaHoJ77k"},
		{"/api/team/members/usr_F45NgIX8Go5M82MA", "/api/team/members/usr_F45NgIX8Go5M82MA"},
		{"/x/req_wNh1aNpqRXTGy9bJyjyg", "/x/req_wNh1aNpqRXTGy9bJyjyg"},
		{"/orders/a-very-long-human-readable-slug", "/orders/a-very-long-human-readable-slug"},
		{"/files/QuarterlyReport2024Final.pdf", "/files/QuarterlyReport2024Final.pdf"},
		{"/events/2026-11-23T10:00:00Z", "/events/2026-11-23T10:00:00Z"},
		{"/uuid/550e8400-e29b-41d4-a716-446655440000", "/uuid/550e8400-e29b-41d4-a716-446655440000"},
		{"/short/Ab1", "/short/Ab1"},
	} {
		if got := redact.Path(tt.in); got != tt.want {
			t.Errorf("Path(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Path does not allocate when it masks nothing: the access log calls it on
// every request to a route with a wildcard.
func TestPathAllocs(t *testing.T) {
	path := "/api/keys/key_X5FQfLSUBaHoJ77k/usage"
	if n := testing.AllocsPerRun(100, func() { redact.Path(path) }); n != 0 {
		t.Errorf("Path(%q) allocates %.0f times, want 0", path, n)
	}
}
