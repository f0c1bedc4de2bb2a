package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"
)

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

// mustSelfSignedCert writes a self-signed certificate for 127.0.0.1 and its
// key as PEM files in dir, and returns their paths and a pool that trusts
// the certificate.
func mustSelfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pome test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS protects --tls-cert and --tls-key: serve answers HTTPS with
// that certificate, over HTTP/2, at TLS 1.2 or later; with no --public-url
// the session cookie is __Host- and Secure, and HSTS is sent.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := mustSelfSignedCert(t, t.TempDir())
	s := mustServe(t, t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("serve listens on %s, want https://127.0.0.1:PORT", s.URL)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	cookie, hsts := signupHeaders(t, c, s.URL)
	if cookie.Name != "__Host-pome_session" || !cookie.Secure {
		t.Errorf("signup over TLS: cookie %s, Secure %v; want __Host-pome_session, Secure", cookie.Name, cookie.Secure)
	}
	if hsts != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security = %q, want max-age=31536000", hsts)
	}
	resp, err := c.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("GET /healthz over TLS spoke %s, want HTTP/2", resp.Proto)
	}

	t.Run("no TLS 1.1", func(t *testing.T) {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(s.URL, "https://"), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11})
		if err == nil {
			conn.Close()
			t.Fatal("a TLS 1.1 handshake succeeded, want it refused")
		}
	})
	t.Run("plain HTTP is refused", func(t *testing.T) {
		resp, err := http.Get("http://" + strings.TrimPrefix(s.URL, "https://") + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatal("GET /healthz over plain HTTP = 200, want no answer of Pome's")
			}
		}
	})
}

// TestServeTLSBadFiles protects the errors of --tls-cert and --tls-key: a
// file that cannot be read or used stops serve (exit 1) with an error that
// names it, before the database is opened.
func TestServeTLSBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, _ := mustSelfSignedCert(t, dir)
	otherCert, otherKey, _ := mustSelfSignedCert(t, t.TempDir())
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name       string
		cert, key  string
		wantStderr []string
	}{
		{"missing cert", missing, keyFile, []string{"--tls-cert: open " + missing + ": no such file"}},
		{"missing key", certFile, missing, []string{"--tls-key: open " + missing + ": no such file"}},
		{"garbage cert", garbage, keyFile, []string{"--tls-cert " + garbage, "certificate input"}},
		{"garbage key", certFile, garbage, []string{"--tls-key " + garbage, "key input"}},
		{"key of another cert", certFile, otherKey, []string{"--tls-cert " + certFile + ", --tls-key " + otherKey, "private key does not match public key"}},
		{"cert as key", otherCert, otherCert, []string{"--tls-key " + otherCert}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			r := runCLI(t, nil, "", "serve", "--data-dir", data, "--addr", "127.0.0.1:0", "--tls-cert", tt.cert, "--tls-key", tt.key)
			if r.code != 1 {
				t.Fatalf("serve: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr %q, want it to contain %q", r.stderr, want)
				}
			}
			if _, err := os.Stat(filepath.Join(data, "pome.db")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("serve opened the database: %v", err)
			}
		})
	}
}

// TestACMEManager protects --tls-domain without a CA to talk to: its
// certificates and account key are cached under the data directory, in a
// directory only Pome's user may read, and it asks for no certificate of a
// host it was not given.
func TestACMEManager(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data") // not there yet, as on a first start
	d := deployFlags{tlsDomains: []string{"keys.example.com", "www.example.com"}, acmeHTTPAddr: ":80"}
	cfg, challenges, err := d.tlsConfig(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dataDir, "acme"))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory: %v, %v; want a directory with mode 0700", fi, err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
	}
	for _, proto := range []string{"h2", "acme-tls/1"} {
		if !slices.Contains(cfg.NextProtos, proto) {
			t.Errorf("NextProtos = %q, want %s in it", cfg.NextProtos, proto)
		}
	}
	if challenges == nil {
		t.Error("no handler for HTTP-01 challenges with --acme-http-addr :80")
	}
	m, err := acmeManager(dataDir, d.tlsDomains)
	if err != nil {
		t.Fatal(err)
	}
	for host, allowed := range map[string]bool{"keys.example.com": true, "www.example.com": true, "evil.example.com": false, "example.com": false} {
		if err := m.HostPolicy(t.Context(), host); (err == nil) != allowed {
			t.Errorf("HostPolicy(%q) = %v, want allowed %v", host, err, allowed)
		}
	}
	if m.Cache != autocert.DirCache(filepath.Join(dataDir, "acme")) {
		t.Errorf("Cache = %v, want the directory acme of the data directory", m.Cache)
	}

	d.acmeHTTPAddr = ""
	if _, challenges, err := d.tlsConfig(dataDir); err != nil || challenges != nil {
		t.Errorf("--acme-http-addr empty: handler %v, err %v; want none", challenges, err)
	}
}

// TestServeTLSDomain protects the wiring of --tls-domain in serve: it
// listens for HTTPS, refuses a handshake for a host it was not given (and
// so asks no CA for it), and the --acme-http-addr listener sends plain
// HTTP to https://.
func TestServeTLSDomain(t *testing.T) {
	t.Parallel()
	acmeAddr := closedAddr(t)
	s := startServe(t, t.TempDir(), "--tls-domain", "keys.example.com", "--acme-http-addr", acmeAddr)
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("serve --tls-domain listens on %s, want https://", s.URL)
	}
	conn, err := tls.Dial("tcp", strings.TrimPrefix(s.URL, "https://"), &tls.Config{ServerName: "evil.example.com", InsecureSkipVerify: true})
	if err == nil {
		conn.Close()
		t.Error("a handshake for evil.example.com succeeded, want it refused")
	}

	req, err := http.NewRequest("GET", "http://"+acmeAddr+"/keys?status=all", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "keys.example.com"
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatalf("GET on --acme-http-addr: %v", err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "https://keys.example.com/keys?status=all" {
		t.Errorf("GET http://keys.example.com/keys = %d to %q, want 302 to https://keys.example.com/keys?status=all", resp.StatusCode, loc)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if log := s.stderr.String(); !strings.Contains(log, `evil.example.com`) || !strings.Contains(log, "not configured") {
		t.Errorf("the refused handshake is not logged as refused by the host policy:\n%s", log)
	}
}

// TestHealthcheck protects `pome healthcheck`, the container's health
// check: 0 when a server answers GET /healthz with 200, 1 with the reason
// when it answers anything else or nothing, 2 for a URL that is no URL.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	s := mustServe(t, t.TempDir())
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	down := "http://" + closedAddr(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"healthy", nil, []string{"--api-url", s.URL}, 0, ""},
		{"healthy from env", map[string]string{"POME_API_URL": s.URL + "/"}, nil, 0, ""},
		{"unhealthy", nil, []string{"--api-url", failing.URL}, 1, "error: GET /healthz answered 503 Service Unavailable"},
		{"down", nil, []string{"--api-url", down}, 1, "error: cannot reach Pome at " + down},
		{"not a URL", nil, []string{"--api-url", "127.0.0.1:8080"}, 2, `--api-url "127.0.0.1:8080" must be an http:// or https:// URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", append([]string{"healthcheck"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || (tt.code == 0 && r.stderr != "") {
				t.Errorf("healthcheck %v: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

// TestServeBusyMetricsAddr protects the order of serve's listeners: every
// address is bound before any is served, so a busy --metrics-addr stops
// serve (exit 1) before --addr answers anything.
func TestServeBusyMetricsAddr(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	r := runCLI(t, nil, "", "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--metrics-addr", busy.Addr().String())
	if r.code != 1 || !strings.Contains(r.stderr, "listen on "+busy.Addr().String()) {
		t.Errorf("serve with a busy --metrics-addr: exit %d, stderr %q; want 1 and listen on %s", r.code, r.stderr, busy.Addr())
	}
	if strings.Contains(r.stdout, "Pome listening") {
		t.Errorf("serve listened: %q", r.stdout)
	}
}
