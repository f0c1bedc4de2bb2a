package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestServeGatewayAndServiceTokens drives gateway mode and the verify
// endpoint as an operator sets them up: `pome serve --upstream`, then
// `pome admin service-token create|list|revoke` against the running server.
func TestServeGatewayAndServiceTokens(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("upstream " + r.URL.Path + " team=" + r.Header.Get("Pome-Team-Slug")))
	}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	s := mustServe(t, dir, "--upstream", "/v2/="+up.URL)
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "bob@example.com", "Bob Team")
	key := mustCreateKey(t, b, s.URL, "k")

	t.Run("gateway", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.URL+"/v2/orders", nil)
		req.Header.Set("Authorization", "Bearer "+key.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || string(body) != "upstream /v2/orders team=bob-team" {
			t.Errorf("GET /v2/orders = %d %q, want 200 from the upstream with the team", resp.StatusCode, body)
		}
		if got := call(t, http.DefaultClient, "GET", s.URL+"/v2/orders", nil, nil); got != http.StatusUnauthorized {
			t.Errorf("GET /v2/orders without a key = %d, want 401", got)
		}
		if got := call(t, http.DefaultClient, "GET", s.URL+"/v3/orders", nil, nil); got != http.StatusNotFound {
			t.Errorf("GET /v3/orders (no upstream) = %d, want 404", got)
		}
	})

	created := runCLI(t, nil, "", "admin", "--data-dir", dir, "service-token", "create", "billing")
	if created.code != 0 {
		t.Fatalf("service-token create: exit %d\nstderr:\n%s", created.code, created.stderr)
	}
	token := strings.TrimSpace(created.stdout)
	if !strings.HasPrefix(token, "pst_") || len(token) != 40 || !strings.Contains(created.stderr, "Created service token stk_") {
		t.Fatalf("service-token create stdout %q, stderr %q: want the token alone on stdout", created.stdout, created.stderr)
	}
	id := strings.TrimSuffix(strings.Fields(created.stderr)[3], ".")
	verify := func() int {
		req, _ := http.NewRequest("POST", s.URL+"/v1/keys/verify", strings.NewReader(`{"key":"`+key.Key+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("verify", func(t *testing.T) {
		if got := verify(); got != http.StatusOK {
			t.Errorf("verify with a new service token = %d, want 200", got)
		}
	})
	t.Run("scopes", func(t *testing.T) {
		r := runCLI(t, nil, "", "admin", "--data-dir", dir, "service-token", "create", "provisioning", "--scope", "keys:read,keys:write", "--scope", "teams:read")
		if r.code != 0 || !strings.Contains(r.stderr, "scopes keys:read keys:write teams:read") {
			t.Fatalf("service-token create --scope: exit %d, stderr %q; want the scopes named", r.code, r.stderr)
		}
		r = runCLI(t, nil, "", "admin", "--data-dir", dir, "service-token", "create", "x", "--scope", "keys:admin")
		if r.code != 2 || !strings.Contains(r.stderr, `--scope: Unknown scope "keys:admin"`) {
			t.Errorf("service-token create --scope keys:admin: exit %d, stderr %q; want 2 naming the scope", r.code, r.stderr)
		}
	})
	t.Run("list", func(t *testing.T) {
		r := runCLI(t, nil, "", "admin", "--data-dir", dir, "service-token", "list")
		if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "billing") || !strings.Contains(r.stdout, "active") ||
			!strings.Contains(r.stdout, "keys:verify") || !strings.Contains(r.stdout, "keys:read keys:write teams:read") {
			t.Errorf("service-token list: exit %d, stdout %q; want %s billing keys:verify active, and provisioning's scopes", r.code, r.stdout, id)
		}
		if strings.Contains(r.stdout, token) {
			t.Errorf("service-token list shows the plaintext token")
		}
	})
	t.Run("revoke", func(t *testing.T) {
		r := runCLI(t, nil, "", "admin", "--data-dir", dir, "service-token", "revoke", id, "--yes")
		if r.code != 0 || !strings.Contains(r.stdout, "Revoked service token "+id) {
			t.Fatalf("service-token revoke: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		waitFor(t, 3*time.Second, "verify answers 401 after the revocation", func() bool { return verify() == http.StatusUnauthorized })
	})
	t.Run("revoke unknown", func(t *testing.T) {
		r := runCLI(t, nil, "", "admin", "--data-dir", dir, "service-token", "revoke", "stk_nope", "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, `no service token with id "stk_nope"`) {
			t.Errorf("revoke unknown: exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("bad upstream flag", func(t *testing.T) {
		r := runCLI(t, nil, "", "serve", "--data-dir", t.TempDir(), "--upstream", "/v1=http://x")
		if r.code != 2 {
			t.Errorf("serve --upstream /v1=http://x: exit %d, want 2; stderr %q", r.code, r.stderr)
		}
	})
	// After the server stopped: its log is buffered, and only then complete.
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(s.stderr.String(), `"path":"/v2/orders"`) {
		t.Fatalf("server log has no access line for /v2/orders: the check below would be vacuous\n%s", s.stderr)
	}
	if strings.Contains(s.stderr.String(), token) || strings.Contains(s.stderr.String(), key.Key) {
		t.Errorf("server log holds a plaintext token or key")
	}
}

// With --trusted-proxies (repeatable) covering loopback, the test's client is
// a proxy: the client it names in X-Forwarded-For, and its scheme, are what
// the upstream is told. A value that is not a list of addresses and
// prefixes, on the command line or in POME_TRUSTED_PROXIES, is a usage error
// (exit 2) that names the flag.
func TestServeTrustedProxies(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Header.Get("X-Forwarded-For") + " " + r.Header.Get("X-Forwarded-Proto")))
	}))
	t.Cleanup(up.Close)
	s := mustServe(t, t.TempDir(), "--upstream", "/v2/="+up.URL, "--trusted-proxies", "10.0.0.0/8,fd00::/8", "--trusted-proxies", "127.0.0.1")
	b := newBrowser(t)
	mustSignup(t, b, s.URL, "bob@example.com", "Bob Team")
	key := mustCreateKey(t, b, s.URL, "k")
	req, _ := http.NewRequest("GET", s.URL+"/v2/orders", nil)
	req.Header.Set("X-API-KEY", key.Key)
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(body) != "198.51.100.1 https" {
		t.Errorf("GET /v2/orders from a trusted proxy = %d %q, want the upstream told 198.51.100.1 https", resp.StatusCode, body)
	}

	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"not an address", nil, []string{"--trusted-proxies", "proxy.internal"}, `--trusted-proxies`},
		{"bad prefix length", nil, []string{"--trusted-proxies", "10.0.0.0/8,10.0.0.0/40"}, `--trusted-proxies`},
		{"empty item", nil, []string{"--trusted-proxies", "10.0.0.0/8,"}, `--trusted-proxies`},
		{"from env", map[string]string{"POME_TRUSTED_PROXIES": "10.0.0.0/8 192.168.0.0/16"}, nil, "POME_TRUSTED_PROXIES for --trusted-proxies"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.env, "", append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, c.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("serve %v: exit %d, stderr %q; want exit 2 naming %q", c.args, r.code, r.stderr, c.want)
			}
		})
	}
}
