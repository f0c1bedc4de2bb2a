package httpserver_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// scenario is one request to the real handler and what must come back: a
// status, and either an error type and code or a golden body.
type scenario struct {
	name   string
	client *http.Client // nil: no cookies
	method string
	path   string
	header http.Header
	body   string

	status  int
	typ     string // error type, for error answers
	code    string // error code, for error answers
	message string // exact error message, if set
	golden  string // testdata/<golden>.json: the normalized success body
	check   func(t *testing.T, r *pometest.Response)
}

// runScenarios runs each scenario as a named subtest, in order: a scenario
// may depend on the state its predecessors left.
func runScenarios(t *testing.T, s *pometest.Server, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
}

func (sc scenario) run(t *testing.T, s *pometest.Server) *pometest.Response {
	t.Helper()
	r := s.Do(t, sc.client, sc.method, sc.path, sc.header, sc.body)
	if r.Status != sc.status {
		t.Fatalf("%s %s status = %d, want %d; body %s", sc.method, sc.path, r.Status, sc.status, r.Body)
	}
	checkCommonHeaders(t, sc.method+" "+sc.path, r)
	if sc.code != "" || sc.typ != "" {
		e := checkErrorBody(t, sc.method+" "+sc.path, r)
		if e.Type != sc.typ || e.Code != sc.code {
			t.Errorf("%s %s error = %s/%s, want %s/%s", sc.method, sc.path, e.Type, e.Code, sc.typ, sc.code)
		}
		if sc.message != "" && e.Message != sc.message {
			t.Errorf("%s %s error message = %q, want %q", sc.method, sc.path, e.Message, sc.message)
		}
	}
	if sc.golden != "" {
		checkGolden(t, sc.golden, r.Body)
	}
	if sc.check != nil {
		sc.check(t, r)
	}
	return r
}

// checkCommonHeaders checks what every response carries.
func checkCommonHeaders(t *testing.T, what string, r *pometest.Response) {
	t.Helper()
	if id := r.Header.Get("X-Request-Id"); id == "" {
		t.Errorf("%s X-Request-Id is empty", what)
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s X-Content-Type-Options = %q, want nosniff", what, got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s Cache-Control = %q, want no-store", what, got)
	}
	if r.Status == http.StatusUnauthorized {
		if got, want := r.Header.Get("WWW-Authenticate"), `Bearer realm="pome"`; got != want {
			t.Errorf("%s WWW-Authenticate = %q, want %q", what, got, want)
		}
	}
}

type apiError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// checkErrorBody checks that r is exactly the error envelope, with the
// response's request id, and returns its error.
func checkErrorBody(t *testing.T, what string, r *pometest.Response) apiError {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s Content-Type = %q, want application/json", what, ct)
	}
	var env struct {
		Error apiError `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("%s error body %s: %v", what, r.Body, err)
	}
	var raw map[string]map[string]any
	json.Unmarshal(r.Body, &raw)
	if len(raw) != 1 || len(raw["error"]) != 4 {
		t.Errorf("%s error body %s: want exactly error.{message,type,code,request_id}", what, r.Body)
	}
	if env.Error.Message == "" {
		t.Errorf("%s error message is empty", what)
	}
	if id := r.Header.Get("X-Request-Id"); env.Error.RequestID != id {
		t.Errorf("%s request_id = %q, want the X-Request-Id %q", what, env.Error.RequestID, id)
	}
	return env.Error
}

// volatile are the values that differ from run to run, and what they read as
// in golden files. Times do not: the fake clock makes them reproducible.
var volatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^usr_[0-9A-Za-z]{16}$`), "usr_<id>"},
	{regexp.MustCompile(`^tm_[0-9A-Za-z]{16}$`), "tm_<id>"},
	{regexp.MustCompile(`^key_[0-9A-Za-z]{16}$`), "key_<id>"},
	{regexp.MustCompile(`^req_[0-9A-Za-z]{20}$`), "req_<id>"},
	{regexp.MustCompile(`^pme_[0-9A-Za-z]{36}$`), "pme_<key>"},
	{regexp.MustCompile(`^pme_[0-9A-Za-z]{8}$`), "pme_<prefix>"},
}

// normalize replaces volatile values of a JSON body and re-encodes it
// indented, keys sorted.
func normalize(t *testing.T, body []byte) []byte {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body %s is not JSON: %v", body, err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				v[k] = walk(e)
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		case string:
			for _, vol := range volatile {
				if vol.re.MatchString(v) {
					return vol.repl
				}
			}
		}
		return v
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(walk(v)); err != nil {
		t.Fatalf("re-encode %s: %v", body, err)
	}
	return out.Bytes()
}

// checkGolden compares a normalized body with testdata/<name>.json; with
// -update it rewrites the file instead.
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	got := normalize(t, body)
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("body differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// hdr builds a header from name, value pairs; a name may repeat.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// decode decodes a response body into a fresh T.
func decode[T any](t *testing.T, r *pometest.Response) T {
	t.Helper()
	var v T
	r.DecodeJSON(t, &v)
	return v
}

// sessionToken returns the value of the pome_session cookie a response sets.
func sessionToken(t *testing.T, r *pometest.Response) string {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if strings.HasSuffix(c.Name, "pome_session") {
			return c.Value
		}
	}
	t.Fatalf("no session cookie in Set-Cookie %q", r.Header.Values("Set-Cookie"))
	return ""
}
