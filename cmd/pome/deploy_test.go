package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestServeDeployUsageErrors protects the deployment flags of serve: a
// value that cannot work is a usage error (exit 2) that names the flag,
// before anything is opened or bound.
func TestServeDeployUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"metrics addr without port", nil, []string{"--metrics-addr", "127.0.0.1"}, `--metrics-addr "127.0.0.1" must be HOST:PORT`},
		{"metrics addr from env", map[string]string{"POME_METRICS_ADDR": "nope"}, nil, `--metrics-addr "nope" must be HOST:PORT`},
		{"public url relative", nil, []string{"--public-url", "keys.example.com"}, `--public-url "keys.example.com" must be an absolute http:// or https:// URL`},
		{"public url not http", nil, []string{"--public-url", "ftp://keys.example.com"}, "must be an absolute http:// or https:// URL"},
		{"public url with a path", nil, []string{"--public-url", "https://example.com/pome"}, "with no path, query or fragment"},
		{"public url with a query", nil, []string{"--public-url", "https://keys.example.com/?a=b"}, "with no path, query or fragment"},
		{"public url with an empty query", nil, []string{"--public-url", "https://keys.example.com?"}, "with no path, query or fragment"},
		{"public url with a fragment", nil, []string{"--public-url", "https://keys.example.com/#top"}, "with no path, query or fragment"},
		{"public url with a user", nil, []string{"--public-url", "https://me@keys.example.com"}, "must be an absolute"},
		{"public url from env", map[string]string{"POME_PUBLIC_URL": "/keys"}, nil, `--public-url "/keys" must be an absolute`},
		{"public url http with secure cookies", nil, []string{"--public-url", "http://keys.example.com", "--secure-cookies"}, "is http://, but --secure-cookies says the deployment is served over HTTPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", append([]string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("serve %v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
			}
			if strings.Contains(r.stdout, "Pome listening") {
				t.Errorf("serve %v listened: %q", tt.args, r.stdout)
			}
		})
	}
}

// metricsLine is the line serve prints for --metrics-addr.
var metricsLine = regexp.MustCompile(`Pome metrics on (http://\S+/metrics)\n`)

// TestServeMetricsAddr protects --metrics-addr: /metrics is served on that
// listener, with the build, and no longer on the public one; without the
// flag the public listener serves it, as before.
func TestServeMetricsAddr(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	t.Run("on the public listener by default", func(t *testing.T) {
		t.Parallel()
		s := mustServe(t, t.TempDir())
		if code, body := get(t, s.URL+"/metrics"); code != http.StatusOK || !strings.Contains(body, "pome_build_info{") {
			t.Errorf("GET /metrics = %d, want 200 with pome_build_info:\n%s", code, body)
		}
		if metricsLine.MatchString(s.stdout.String()) {
			t.Errorf("serve without --metrics-addr printed a metrics address: %q", s.stdout)
		}
	})
	t.Run("on its own listener", func(t *testing.T) {
		t.Parallel()
		s := mustServe(t, t.TempDir(), "--metrics-addr", "127.0.0.1:0")
		m := metricsLine.FindStringSubmatch(s.stdout.String())
		if m == nil {
			t.Fatalf("serve --metrics-addr printed no metrics address: %q", s.stdout)
		}
		get(t, s.URL+"/healthz") // counted, to be seen below
		code, body := get(t, m[1])
		for _, want := range []string{"pome_build_info{", `pome_http_requests_total{route="GET /healthz",status="2xx"}`, "go_goroutines"} {
			if code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("GET %s = %d, want 200 with %s", m[1], code, want)
			}
		}
		if code, body := get(t, s.URL+"/metrics"); code != http.StatusNotFound || !strings.Contains(body, `"route_not_found"`) {
			t.Errorf("GET /metrics on the public listener = %d %s, want 404 route_not_found", code, body)
		}
		if code, _ := get(t, strings.TrimSuffix(m[1], "/metrics")+"/healthz"); code != http.StatusNotFound {
			t.Errorf("GET /healthz on the metrics listener = %d, want 404: it serves /metrics only", code)
		}
	})
}

// signupHeaders signs up over c and returns the session cookie set and the
// Strict-Transport-Security header.
func signupHeaders(t *testing.T, c *http.Client, base string) (cookie *http.Cookie, hsts string) {
	t.Helper()
	body := `{"email":"sam@example.com","password":"` + testPassword + `"}`
	resp, err := c.Post(base+"/api/auth/signup", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST /api/auth/signup: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/auth/signup = %d, want 201", resp.StatusCode)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("signup set %d cookies, want 1: %v", len(cookies), cookies)
	}
	return cookies[0], resp.Header.Get("Strict-Transport-Security")
}

// TestServePublicURL protects --public-url: an https one says the
// deployment is served over HTTPS (TLS ending at a proxy in front), so the
// session cookie is __Host- and Secure and HSTS is sent, as with
// --secure-cookies; an http one changes neither.
func TestServePublicURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url        string
		wantCookie string
		secure     bool
	}{
		{"https://keys.example.com", "__Host-pome_session", true},
		{"https://keys.example.com:8443/", "__Host-pome_session", true},
		{"http://127.0.0.1:8080", "pome_session", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			s := mustServe(t, t.TempDir(), "--public-url", tt.url)
			c, hsts := signupHeaders(t, http.DefaultClient, s.URL)
			if c.Name != tt.wantCookie || c.Secure != tt.secure {
				t.Errorf("signup cookie %s, Secure %v; want %s, Secure %v", c.Name, c.Secure, tt.wantCookie, tt.secure)
			}
			if want := map[bool]string{true: "max-age=31536000"}[tt.secure]; hsts != want {
				t.Errorf("Strict-Transport-Security = %q, want %q", hsts, want)
			}
		})
	}
}

// TestPublicURLNormalized: links are built on the public URL by appending a
// path, so it is kept as scheme://host[:port], without a trailing slash.
func TestPublicURLNormalized(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://keys.example.com":       "https://keys.example.com",
		"https://keys.example.com/":      "https://keys.example.com",
		"HTTPS://keys.example.com:8443/": "https://keys.example.com:8443",
		"http://10.0.0.5:8080":           "http://10.0.0.5:8080",
	} {
		d := deployFlags{publicURL: in}
		if err := d.check(false); err != nil || d.publicURL != want {
			t.Errorf("check(%q) = %v, public URL %q; want nil, %q", in, err, d.publicURL, want)
		}
	}
}
