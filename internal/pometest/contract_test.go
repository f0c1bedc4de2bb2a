package pometest

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pomehq/pome/openapi"
)

// exchangeOf builds an exchange as the server would have seen it, with the
// headers every answer of Pome's own carries.
func exchangeOf(method, uri, reqBody string, status int, contentType, body string, header ...string) *exchange {
	path, _, _ := strings.Cut(uri, "?")
	x := &exchange{method: method, uri: uri, path: path, reqHeader: http.Header{}, reqBody: []byte(reqBody),
		status: status, body: []byte(body), header: http.Header{
			"X-Request-Id":  {"req_test"},
			"Cache-Control": {"no-store"},
		}}
	if reqBody != "" {
		x.reqHeader.Set("Content-Type", "application/json")
	}
	if contentType != "" {
		x.header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		x.header.Set(header[i], header[i+1])
	}
	return x
}

func envelopeOf(typ, code string) string {
	return `{"error":{"message":"m","type":"` + typ + `","code":"` + code + `","request_id":"req_test"}}`
}

// TestContractCheck pins what the check lets through and what it refuses:
// an undocumented route, status or body shape, an error code the operation
// does not list, and an accepted request the document does not allow.
func TestContractCheck(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	const json = "application/json"
	session := func(x *exchange) *exchange {
		x.reqHeader.Set("Cookie", "pome_session=abc")
		return x
	}
	page := func(x *exchange) *exchange {
		x.reqHeader.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		return x
	}
	for _, tc := range []struct {
		name    string
		x       *exchange
		gateway []string
		want    string // a part of the problems; "" if the exchange conforms
	}{
		{"documented", exchangeOf("GET", "/healthz", "", 200, json, `{"status":"ok"}`), nil, ""},
		{"undocumented field", exchangeOf("GET", "/healthz", "", 200, json, `{"status":"ok","uptime":1}`), nil, "uptime"},
		{"undocumented status", exchangeOf("GET", "/healthz", "", 201, json, `{"status":"ok"}`), nil, "status 201 is not documented for get /healthz"},
		{"undocumented content type", exchangeOf("GET", "/healthz", "", 200, "text/plain", `ok`), nil, "text/plain"},
		{"missing X-Request-Id", func() *exchange {
			x := exchangeOf("GET", "/healthz", "", 200, json, `{"status":"ok"}`)
			x.header.Del("X-Request-Id")
			return x
		}(), nil, "X-Request-Id"},
		{"unknown path answered", exchangeOf("GET", "/nope", "", 200, json, `{}`), nil, "status 200, want 404"},
		{"unknown path", exchangeOf("GET", "/nope", "", 404, json, envelopeOf("not_found_error", "route_not_found")), nil, ""},
		{"unknown path, other code", exchangeOf("GET", "/nope", "", 404, json, envelopeOf("not_found_error", "key_not_found")), nil, `code "key_not_found"`},
		{"unknown page", page(exchangeOf("GET", "/nope", "", 404, "text/html; charset=utf-8", "<!doctype html>")), nil, ""},
		{"unknown page as JSON", page(exchangeOf("GET", "/nope", "", 404, json, envelopeOf("not_found_error", "route_not_found"))), nil, "unknownPage"},
		{"unknown page answered", page(exchangeOf("GET", "/nope", "", 200, "text/html; charset=utf-8", "<!doctype html>")), nil, "unknownPage"},
		{"unknown API path from a browser", page(exchangeOf("GET", "/v1/nope", "", 404, "text/html; charset=utf-8", "<!doctype html>")), nil, "application/json"},
		{"unknown method", exchangeOf("PUT", "/healthz", "", 405, json, envelopeOf("invalid_request_error", "method_not_allowed"), "Allow", "GET, HEAD"), nil, ""},
		{"unknown method, wrong Allow", exchangeOf("PUT", "/healthz", "", 405, json, envelopeOf("invalid_request_error", "method_not_allowed"), "Allow", "GET"), nil, "Allow"},
		{"error code not listed", exchangeOf("GET", "/api/session", "", 401, json, envelopeOf("authentication_error", "key_revoked"), "WWW-Authenticate", `Bearer realm="pome"`), nil, "$.error.code"},
		{"error type not the status's", exchangeOf("GET", "/api/session", "", 401, json, envelopeOf("permission_error", "unauthorized"), "WWW-Authenticate", `Bearer realm="pome"`), nil, "$.error.type"},
		{"401 without challenge", exchangeOf("GET", "/api/session", "", 401, json, envelopeOf("authentication_error", "unauthorized")), nil, "WWW-Authenticate"},
		{"accepted request the document refuses", session(exchangeOf("POST", "/api/keys", `{"name":"x","color":"red"}`, 201, json,
			`{"id":"key_X5FQfLSUBaHoJ77k","name":"x","description":"","key":"pme_aB3kPqXyZ0123456789abcdefghijkl1x9QzT","prefix":"pme_aB3kPqXy","role":"owner","created_at":"2026-11-23T10:00:00Z","expires_at":null,"status":"active"}`)), nil, "request (accepted with 201)"},
		{"accepted request without credentials", exchangeOf("GET", "/api/session", "", 200, json,
			`{"user":{"id":"usr_4jR8sLw2NcXe9TmB","email":"a@example.com","created_at":"2026-11-23T10:00:00Z"},"teams":[],"default_team":""}`), nil, "pome_session"},
		{"cross-origin refusal before routing", exchangeOf("POST", "/nope", "{}", 403, json, envelopeOf("permission_error", "cross_origin_request")), nil, ""},
		{"HEAD of a GET", exchangeOf("HEAD", "/healthz", "", 200, json, ""), nil, ""},
		{"unclean path redirected", exchangeOf("GET", "/v2/../healthz/?x=1", "", 307, "text/html; charset=utf-8", "", "Location", "/healthz/?x=1"), []string{"/v2/"}, ""},
		{"unclean path redirected elsewhere", exchangeOf("GET", "/v2//orders", "", 307, "text/html; charset=utf-8", "", "Location", "/v2/"), nil, "uncleanPath"},
		{"unclean path answered", exchangeOf("GET", "/./healthz", "", 200, json, `{"status":"ok"}`), nil, "uncleanPath"},
		{"unclean CONNECT routed", exchangeOf("CONNECT", "/v2/../x", "", 400, json, envelopeOf("invalid_request_error", "invalid_path"),
			"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"), []string{"/v2/"}, ""},
		{"upstream's answer", exchangeOf("GET", "/v2/orders", "", 418, "text/plain", "teapot"), []string{"/v2/"}, ""},
		{"gateway refusal", exchangeOf("GET", "/v2/orders", "", 401, json, envelopeOf("authentication_error", "invalid_api_key"),
			"WWW-Authenticate", `Bearer realm="pome"`, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"), []string{"/v2/"}, ""},
		{"gateway refusal not listed", exchangeOf("GET", "/v2/orders", "", 404, json, envelopeOf("not_found_error", "route_not_found"),
			"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"), []string{"/v2/"}, "x-pome-gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := c.check(tc.x, tc.gateway)
			got := strings.Join(probs, "\n")
			switch {
			case tc.want == "" && len(probs) > 0:
				t.Errorf("check = %s, want no problem", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("check = %q, want a problem with %q", got, tc.want)
			}
		})
	}
}

// recordingTB is a test whose errors are recorded instead of failing it.
type recordingTB struct {
	*testing.T
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, format)
}

func (r *recordingTB) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errs)
}

// TestServerReportsContractFailures checks the plumbing on a document that
// disagrees with the server: Do fails its caller, and an exchange of another
// client fails the Server's test.
func TestServerReportsContractFailures(t *testing.T) {
	// Every schema with that status (Status of /healthz, Ready of /readyz).
	doc := bytes.ReplaceAll(openapi.YAML, []byte("status: {const: ok}"), []byte("status: {const: fine}"))
	if bytes.Equal(doc, openapi.YAML) {
		t.Fatal("the Status schema is no longer written `status: {const: ok}`: update this test")
	}
	wrong, err := parseContract(doc)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingTB{T: t}
	s := NewServer(rec)
	s.contract.contract = wrong

	if r := s.Do(rec, nil, "GET", "/healthz", nil, ""); r.Status != http.StatusOK {
		t.Fatalf("GET /healthz status = %d", r.Status)
	}
	if n := rec.count(); n != 1 {
		t.Errorf("Do reported %d failures, want 1", n)
	}
	resp, err := s.Client().Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := rec.count(); n != 1 {
		t.Errorf("after a request outside Do: %d failures, want still 1 until the server stops", n)
	}
	s.HTTP.Close()
	s.contract.reportUnclaimed()
	if n := rec.count(); n != 2 {
		t.Errorf("after the server stopped: %d failures, want 2", n)
	}
}
