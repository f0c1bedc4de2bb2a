package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome/client"
)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mapEnv is a getenv over a map: tests never read or change the real
// environment.
func mapEnv(m map[string]string) env {
	return func(k string) string { return m[k] }
}

// waitFor polls cond every 25 ms until it holds, and fails the test if it
// does not within d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, d)
		case <-tick.C:
		}
	}
}

var listeningLine = regexp.MustCompile(`Pome listening on (https?://\S+)\n`)

// testServer is `pome serve` run in-process by run().
type testServer struct {
	URL    string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() error
}

// mustServe runs `pome serve` on 127.0.0.1:0 over dataDir, waits until
// /healthz answers, and stops it when the test ends, failing the test if
// serve then returns an error (a test that stops it checks the error).
func mustServe(t *testing.T, dataDir string, extra ...string) *testServer {
	t.Helper()
	s := startServe(t, dataDir, extra...)
	mustBeHealthy(t, s.URL)
	return s
}

// startServe runs `pome serve` as mustServe does, but waits only until it
// listens.
func startServe(t *testing.T, dataDir string, extra ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	args := append([]string{"pome", "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--signup", "open"}, extra...)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, mapEnv(nil), nil, stdout, stderr) }()

	var once sync.Once
	var stopErr error
	stop := func() {
		cancel()
		select {
		case stopErr = <-done:
		case <-time.After(30 * time.Second):
			stopErr = fmt.Errorf("serve did not return within 30s of cancel")
		}
	}
	s := &testServer{stdout: stdout, stderr: stderr}
	s.stop = func() error {
		once.Do(stop)
		return stopErr
	}
	t.Cleanup(func() {
		byCleanup := false
		once.Do(func() { byCleanup = true; stop() })
		if byCleanup && stopErr != nil {
			t.Errorf("serve: %v\nstderr:\n%s", stopErr, stderr)
		}
	})

	waitFor(t, 20*time.Second, "serve prints its URL", func() bool {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve returned before listening: %v\nstderr:\n%s", err, stderr)
		default:
		}
		m := listeningLine.FindStringSubmatch(stdout.String())
		if m != nil {
			s.URL = m[1]
		}
		return m != nil
	})
	return s
}

// mustBeHealthy polls GET /healthz until it answers 200; over HTTPS it
// trusts any certificate (the tests of TLS check theirs themselves).
func mustBeHealthy(t *testing.T, base string) {
	t.Helper()
	c := http.DefaultClient
	if strings.HasPrefix(base, "https://") {
		c = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		defer c.CloseIdleConnections()
	}
	waitFor(t, 10*time.Second, "GET /healthz answers 200", func() bool {
		resp, err := c.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// cliResult is what one run() of the CLI did.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs pome with args, the environment envs and stdin, and returns
// its exit status and output.
func runCLI(t *testing.T, envs map[string]string, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"pome"}, args...), mapEnv(envs), strings.NewReader(stdin), &stdout, &stderr)
	return cliResult{code: exitCode(err), stdout: stdout.String(), stderr: stderr.String()}
}

// newBrowser returns a client with a cookie jar, as a signed-in person uses
// the management API.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// call sends a JSON request and decodes the JSON answer into out (if not
// nil); it returns the status.
func call(t *testing.T, c *http.Client, method, url string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode
}

const testPassword = "correct horse battery"

// mustSignup signs up a new user through the API; c keeps the session cookie.
func mustSignup(t *testing.T, c *http.Client, base, email, teamName string) {
	t.Helper()
	in := map[string]string{"email": email, "password": testPassword, "team_name": teamName}
	if got := call(t, c, "POST", base+"/api/auth/signup", in, nil); got != http.StatusCreated {
		t.Fatalf("POST /api/auth/signup = %d, want 201", got)
	}
}

// createdKey is the part of POST /api/keys' answer the tests use.
type createdKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

func mustCreateKey(t *testing.T, c *http.Client, base, name string) createdKey {
	t.Helper()
	return mustCreateKeyWith(t, c, base, map[string]any{"name": name})
}

// mustCreateKeyWith creates a key with body, every field of POST /api/keys.
func mustCreateKeyWith(t *testing.T, c *http.Client, base string, body map[string]any) createdKey {
	t.Helper()
	var k createdKey
	if got := call(t, c, "POST", base+"/api/keys", body, &k); got != http.StatusCreated {
		t.Fatalf("POST /api/keys = %d, want 201", got)
	}
	if k.ID == "" || k.Key == "" {
		t.Fatalf("POST /api/keys answered no id or key: %+v", k)
	}
	return k
}

// mustPatchKey changes a key through PATCH /api/keys/{id}.
func mustPatchKey(t *testing.T, c *http.Client, base, id string, body map[string]any) {
	t.Helper()
	if got := call(t, c, "PATCH", base+"/api/keys/"+id, body, nil); got != http.StatusOK {
		t.Fatalf("PATCH /api/keys/%s = %d, want 200", id, got)
	}
}

func mustRevoke(t *testing.T, c *http.Client, base, id string) {
	t.Helper()
	if got := call(t, c, "DELETE", base+"/api/keys/"+id, nil, nil); got != http.StatusOK {
		t.Fatalf("DELETE /api/keys/%s = %d, want 200", id, got)
	}
}

// errorBody is the error envelope.
type errorBody struct {
	Error struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      string `json:"code"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// meResult is one GET /v1/me: its status, and the body decoded either way.
type meResult struct {
	status int
	me     client.Me
	err    errorBody
}

func getMeAs(t *testing.T, base, key string) meResult {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/me: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := meResult{status: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		err = json.Unmarshal(raw, &r.me)
	} else {
		err = json.Unmarshal(raw, &r.err)
	}
	if err != nil {
		t.Fatalf("GET /v1/me = %d with body %s: %v", resp.StatusCode, raw, err)
	}
	return r
}

// listedKey is the part of GET /api/keys' entries the tests use.
type listedKey struct {
	ID         string  `json:"id"`
	UsageCount int64   `json:"usage_count"`
	LastUsed   *string `json:"last_used"`
	Status     string  `json:"status"`
}

func mustListKeys(t *testing.T, c *http.Client, base string) map[string]listedKey {
	t.Helper()
	var out struct {
		Keys []listedKey `json:"keys"`
	}
	if got := call(t, c, "GET", base+"/api/keys?status=all", nil, &out); got != http.StatusOK {
		t.Fatalf("GET /api/keys = %d, want 200", got)
	}
	m := make(map[string]listedKey, len(out.Keys))
	for _, k := range out.Keys {
		m[k.ID] = k
	}
	return m
}
