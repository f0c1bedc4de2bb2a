package httpserver_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pomehq/pome/internal/buildinfo"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
)

// Every route outside the table, and every wrong method, answers the JSON
// envelope: ServeMux's text answers never show.
func TestRouting(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	allow := func(want string) func(t *testing.T, r *pometest.Response) {
		return func(t *testing.T, r *pometest.Response) {
			if got := r.Header.Get("Allow"); got != want {
				t.Errorf("Allow = %q, want %q", got, want)
			}
		}
	}
	runScenarios(t, s, []scenario{
		{name: "healthz", method: "GET", path: "/healthz", status: 200, golden: "status_ok"},
		{name: "readyz", method: "GET", path: "/readyz", status: 200, check: readyWithBuild},
		{name: "unknown route", method: "GET", path: "/nope", status: 404, typ: "not_found_error", code: "route_not_found"},
		// GET / is the dashboard (dashboard_test.go); other methods are not.
		{name: "POST /", method: "POST", path: "/", body: `{}`, status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("GET, HEAD")},
		{name: "trailing slash", method: "GET", path: "/v1/me/", status: 404, typ: "not_found_error", code: "route_not_found"},
		{name: "unknown route POST", method: "POST", path: "/v1/other", body: `{}`, status: 404, typ: "not_found_error", code: "route_not_found"},
		{name: "DELETE /v1/me", method: "DELETE", path: "/v1/me", status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("GET, HEAD")},
		{name: "PUT /api/keys", method: "PUT", path: "/api/keys", status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("GET, HEAD, POST")},
		{name: "PUT /api/keys/{id}", method: "PUT", path: "/api/keys/key_x", body: `{}`, status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("GET, HEAD, PATCH, DELETE")},
		{name: "GET /api/auth/login", method: "GET", path: "/api/auth/login", status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("POST")},
		{name: "OPTIONS /healthz", method: "OPTIONS", path: "/healthz", status: 405, typ: "invalid_request_error", code: "method_not_allowed", check: allow("GET, HEAD")},
	})
}

// A body past 64 KiB is 413, whether its length is declared or streamed.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	c := s.Signup(t, "alice@example.com")
	big := `{"name":"big","description":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, declared := range []bool{true, false} {
		name := map[bool]string{true: "content-length", false: "chunked"}[declared]
		t.Run(name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(big)
			if !declared {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, err := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/api/keys", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("POST /api/keys: %v", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			r := &pometest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("POST /api/keys status = %d, want %d; body %s", r.Status, http.StatusRequestEntityTooLarge, b)
			}
			if e := checkErrorBody(t, "POST /api/keys", r); e.Code != "body_too_large" || e.Type != "invalid_request_error" {
				t.Errorf("POST /api/keys error = %s/%s, want invalid_request_error/body_too_large", e.Type, e.Code)
			}
		})
	}
}

// An incoming X-Request-Id of 1 to 64 of [A-Za-z0-9._-] is echoed, in the
// header and in error bodies; anything else is replaced by a new id.
func TestRequestID(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	for _, c := range []struct {
		name, id string
		echoed   bool
	}{
		{"simple", "abc-123_X.y", true},
		{"one char", "a", true},
		{"64 chars", strings.Repeat("a", 64), true},
		{"65 chars", strings.Repeat("a", 65), false},
		{"space", "abc def", false},
		{"slash", "abc/def", false},
		{"unicode", "abcé", false},
		{"quote", `abc"`, false},
		{"empty", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := hdr("X-Request-Id", c.id)
			if c.id == "" {
				h = nil
			}
			sc := scenario{method: "GET", path: "/v1/me", header: h, status: 401, typ: "authentication_error", code: "missing_api_key"}
			r := sc.run(t, s)
			got := r.Header.Get("X-Request-Id")
			if c.echoed && got != c.id {
				t.Errorf("X-Request-Id = %q, want %q echoed", got, c.id)
			}
			if !c.echoed && (got == c.id || !strings.HasPrefix(got, "req_") || len(got) != 24) {
				t.Errorf("X-Request-Id = %q, want a new req_ id", got)
			}
		})
	}
}

// Cross-origin state-changing requests are refused with the JSON envelope;
// same-origin browsers and clients without Origin (curl) pass.
func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	c := s.Signup(t, "alice@example.com")
	refused := func(name string, h http.Header) scenario {
		return scenario{name: name, client: c, method: "POST", path: "/api/keys", header: h, body: `{"name":"x"}`, status: 403, typ: "permission_error", code: "cross_origin_request"}
	}
	allowed := func(name string, h http.Header) scenario {
		return scenario{name: name, client: c, method: "POST", path: "/api/keys", header: h, body: `{"name":"x"}`, status: 201}
	}
	runScenarios(t, s, []scenario{
		refused("sec-fetch-site cross-site", hdr("Sec-Fetch-Site", "cross-site")),
		refused("sec-fetch-site same-site", hdr("Sec-Fetch-Site", "same-site")),
		refused("foreign origin", hdr("Origin", "https://evil.example")),
		{name: "cross-site login", method: "POST", path: "/api/auth/login", header: hdr("Sec-Fetch-Site", "cross-site"), body: credentials("alice@example.com", pometest.Password), status: 403, typ: "permission_error", code: "cross_origin_request"},
		{name: "cross-site revoke", client: c, method: "DELETE", path: "/api/keys/key_x", header: hdr("Origin", "https://evil.example"), status: 403, typ: "permission_error", code: "cross_origin_request"},
		allowed("sec-fetch-site same-origin", hdr("Sec-Fetch-Site", "same-origin")),
		allowed("same origin", hdr("Origin", s.URL)),
		allowed("no origin", nil),
		{name: "cross-site GET reads", client: c, method: "GET", path: "/api/keys", header: hdr("Sec-Fetch-Site", "cross-site"), status: 200},
	})
}

// A panicking handler answers a 500 that shows nothing of the panic, is
// logged with its stack, and still gets its access log line.
func TestPanic(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	h := httpserver.NewWithRoutes(httpserver.Config{Log: slog.New(slog.NewJSONHandler(logs, nil)), AccessLog: logs}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("secret internals: pme_x") })
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	r := &pometest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("GET /boom status = %d, want 500", r.Status)
	}
	e := checkErrorBody(t, "GET /boom", r)
	if e.Type != "api_error" || e.Code != "internal_error" || e.Message != "Internal error" {
		t.Errorf("GET /boom error = %+v, want api_error/internal_error \"Internal error\"", e)
	}
	if bytes.Contains(r.Body, []byte("secret")) {
		t.Errorf("GET /boom body %s shows the panic", r.Body)
	}
	out := logs.String()
	for _, want := range []string{`"msg":"panic"`, "secret internals", "goroutine", `"status":500`, e.RequestID} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// /readyz answers 503 once the database is gone; /healthz still 200.
func TestReadyzUnavailable(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	if err := s.DB.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	runScenarios(t, s, []scenario{
		{name: "readyz", method: "GET", path: "/readyz", status: 503, typ: "unavailable_error", code: "service_unavailable"},
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
	})
}

// The access log has one line per request with id, method, path, status,
// latency and bytes, and never a key, query string or cookie.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := pometest.NewServer(t, pometest.WithAccessLog(logs))
	c := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, c, "ci")
	session := cookieValue(t, s, c) // a real session token, pasted into paths
	logs.Reset()

	paths := []string{"/v1/me?api_key=" + key, "/v1/" + key, "/v1/" + session, "/api/keys/" + session, "/api/keys/" + key + "/usage"}
	for _, path := range paths {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("X-API-KEY", key)
		req.Header.Set("Cookie", "pome_session=sessionsecret")
		req.Header.Set("X-Request-Id", "log-test")
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
	}
	out := logs.String()
	if n := strings.Count(out, "\n"); n != len(paths) {
		t.Errorf("log has %d lines for %d requests, want %d:\n%s", n, len(paths), len(paths), out)
	}
	for _, bad := range []string{key, key[4:], session, "sessionsecret", "api_key="} {
		if strings.Contains(out, bad) {
			t.Errorf("log contains %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{`"request_id":"log-test"`, `"method":"GET"`, `"path":"/v1/me"`, `"status":200`, `"status":404`, `"latency"`, `"bytes"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// /metrics serves the request counter by route and status class, the
// latency histogram, the verifications by outcome, the rate limits'
// refusals by rule, the store's connection pools, and which build runs.
func TestMetrics(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	s.Do(t, nil, "GET", "/healthz", nil, "")
	s.Do(t, nil, "GET", "/v1/me", nil, "")
	s.Do(t, nil, "GET", "/no/such/route", nil, "")
	alice := s.Signup(t, "alice@example.com")
	valid := s.CreateKey(t, alice, "valid")
	disabled := s.CreateKeyWith(t, alice, `{"name":"disabled","enabled":false}`).Key
	limited := s.CreateKeyWith(t, alice, `{"name":"limited","rate_limit":{"limit":1,"window_seconds":60}}`).Key
	for _, k := range []string{valid, valid, disabled, limited, limited, limited} {
		s.Do(t, nil, "GET", "/v1/me", apiKey(k), "")
	}
	sc := scenario{method: "GET", path: "/metrics", status: 200}
	r := sc.run(t, s)
	b := buildinfo.Read()
	for _, want := range []string{
		fmt.Sprintf(`pome_build_info{commit=%q,date=%q,go_version=%q,version=%q} 1`, b.Commit, b.Date, b.GoVersion, b.Version),
		`pome_http_requests_total{route="GET /healthz",status="2xx"} 1`,
		`pome_http_requests_total{route="GET /v1/me",status="4xx"} 4`,
		`pome_verifications_total{outcome="valid"} 3`,
		`pome_verifications_total{outcome="disabled"} 1`,
		`pome_verifications_total{outcome="ip_not_allowed"} 0`,
		`pome_verifications_total{outcome="rate_limited"} 2`,
		`pome_ratelimit_refusals_total{rule="key"} 2`,
		`pome_db_pool_max{pool="writer"} 1`,
		`pome_db_pool_in_use{pool="reader"} 0`,
		`pome_db_pool_idle{pool="reader"}`,
		`pome_db_pool_waits_total{pool="writer"}`,
		`pome_db_pool_wait_seconds_total{pool="writer"}`,
		`pome_http_requests_total{route="other",status="4xx"} 1`,
		`pome_http_request_duration_seconds_bucket{route="GET /v1/me",le="0.0005"}`,
	} {
		if !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("GET /metrics lacks %s", want)
		}
	}
}

// readyWithBuild checks that GET /readyz says which build answers, as
// `pome version --json` does, beside its status.
func readyWithBuild(t *testing.T, r *pometest.Response) {
	t.Helper()
	var got struct {
		Status string `json:"status"`
		buildinfo.Info
	}
	r.DecodeJSON(t, &got)
	if want := buildinfo.Read(); got.Status != "ok" || got.Info != want {
		t.Errorf("GET /readyz = %s, want status ok and the build %+v", r.Body, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	b.b.Reset()
	b.mu.Unlock()
}
