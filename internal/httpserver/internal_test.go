package httpserver

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// appendJSONString writes what encoding/json writes for any string.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\`, "\x00\x1f\n\r\t", "<a>&", "é€😀", "\u2028\u2029", "\xff\xfe", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// A 429 carries the error envelope.
func TestWriteErrorRateLimited(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	writeError(rec, httptest.NewRequest("GET", "/", nil), nil, pome.ErrRateLimited)
	if rec.Code != 429 {
		t.Fatalf("status = %d, want 429", rec.Code)
	}
	var env httpapi.Envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Type != "rate_limit_error" || env.Error.Code != "rate_limit_exceeded" {
		t.Errorf("body = %s, want rate_limit_error/rate_limit_exceeded", rec.Body)
	}
}
