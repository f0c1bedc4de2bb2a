package httpserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pomehq/pome/internal/httpapi"
)

// Every state-changing route authenticated by the session cookie refuses a
// cross-site browser request before its handler runs: no route can be left
// out, and there is no bypass. (The handlers here have no services: reaching
// one would panic.)
func TestEveryStateChangeIsCrossOriginProtected(t *testing.T) {
	t.Parallel()
	cfg := Config{}
	h := newHandler(cfg, nil)
	checked := 0
	routes, _ := routeTable(cfg)
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method == "GET" || method == "HEAD" {
			continue
		}
		if rt.surface != session {
			// Only the public API, authenticated by key or service
			// token, changes state outside the cookie's surface.
			if rt.surface != public || !strings.HasPrefix(path, "/v1/") {
				t.Errorf("%s changes state outside the session surface", rt.pattern)
			}
			continue
		}
		path = strings.NewReplacer("{id}", "key_0000000000000000", "{user_id}", "usr_0000000000000000").Replace(path)
		for _, attack := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site"},
			{"Origin": "https://evil.example"},
			{"Origin": "null"},
		} {
			req := httptest.NewRequest(method, "http://pome.example"+path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range attack {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var env httpapi.Envelope
			json.Unmarshal(rec.Body.Bytes(), &env)
			if rec.Code != http.StatusForbidden || env.Error.Code != "cross_origin_request" {
				t.Errorf("%s %s with %v = %d %s, want 403 cross_origin_request", method, path, attack, rec.Code, env.Error.Code)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked %d state-changing routes, want every one (at least signup, login, logout, create, revoke)", checked)
	}
}
