package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The access line reads as slog's JSON handler would write the same record,
// so that it sits in one stream with the server's other log lines: the same
// bytes for ordinary values, and valid JSON with the same values for paths
// and methods of any shape.
func TestAccessLineIsSlogJSON(t *testing.T) {
	t.Parallel()
	plus2 := time.FixedZone("", 2*3600)
	for _, tc := range []struct {
		name           string
		at             time.Time
		id, ip, method string
		path           string
		route          string
		status         int
		latency        time.Duration
		bytes          int64
		sameBytes      bool // no character the two escape differently
	}{
		{"v1 me", time.Date(2026, 12, 1, 21, 7, 18, 123456789, time.UTC), "req_0123456789abcdefghij", "203.0.113.7", "GET", "/v1/me", "GET /v1/me", 200, 12345 * time.Nanosecond, 213, true},
		{"whole second", time.Date(2026, 12, 1, 21, 7, 18, 0, time.UTC), "x", "2001:db8::1", "POST", "/api/keys", "POST /api/keys", 201, time.Millisecond, 0, true},
		{"other zone", time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, plus2), "x", "203.0.113.7", "DELETE", "/api/keys/key_1", "DELETE /api/keys/{id}", 404, time.Second, 99, true},
		{"no route", time.Date(2026, 12, 1, 0, 0, 0, 1_000_000, time.UTC), "x", "203.0.113.7", "BREW", "/nope", "", 405, 1, 1, true},
		{"odd path", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "x", "@", "GET", "/a\"b\\c\n\x00<&>\u2028\xff", "", 404, 1, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := appendAccessLine(nil, tc.at, tc.id, tc.ip, tc.method, tc.path, tc.route, tc.status, tc.latency, tc.bytes, "")

			var want bytes.Buffer
			rd := slog.NewRecord(tc.at, slog.LevelInfo, "request", 0)
			rd.AddAttrs(slog.String("request_id", tc.id), slog.String("ip", tc.ip), slog.String("method", tc.method), slog.String("path", tc.path),
				slog.String("route", tc.route), slog.Int("status", tc.status), slog.Duration("latency", tc.latency), slog.Int64("bytes", tc.bytes))
			if err := slog.NewJSONHandler(&want, nil).Handle(context.Background(), rd); err != nil {
				t.Fatal(err)
			}
			if tc.sameBytes && string(got) != want.String() {
				t.Fatalf("access line\n%s want\n%s", got, want.String())
			}
			var g, w map[string]any
			if err := json.Unmarshal(got, &g); err != nil || !strings.HasSuffix(string(got), "}\n") || strings.Count(string(got), "\n") != 1 {
				t.Fatalf("access line %q is not one line of JSON: %v", got, err)
			}
			if err := json.Unmarshal(want.Bytes(), &w); err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			if string(gj) != string(wj) {
				t.Errorf("access line values %s, want %s", gj, wj)
			}
		})
	}
}

// A method or path shaped like a key is masked in the line, as the
// redacting log handler masks it.
func TestAccessLineMasksKeys(t *testing.T) {
	t.Parallel()
	key := "pme_" + strings.Repeat("a", 30) + "000000"
	got := string(appendAccessLine(nil, time.Now(), "x", "203.0.113.7", key, "/x/"+key, "", 405, 1, 1, ""))
	if strings.Contains(got, key) || strings.Count(got, "pme_aaaaaaaa…redacted") != 2 {
		t.Errorf("access line %s: want the method and the path masked", got)
	}
}
