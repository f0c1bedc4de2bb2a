package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "no-referrer",
}

// Every response, success or error, carries the browser security headers;
// HSTS only over TLS or when the deployment says it is served over HTTPS.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		opts []pometest.Option
		tls  bool
		hsts bool
	}{
		{"plain HTTP", nil, false, false},
		{"secure cookies (TLS at a proxy)", []pometest.Option{pometest.WithSecureCookies()}, false, true},
		{"TLS", nil, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := pometest.NewServer(t, c.opts...)
			base, client := s.URL, s.HTTP.Client()
			if c.tls {
				ts := httptest.NewTLSServer(s.Handler)
				t.Cleanup(ts.Close)
				base, client = ts.URL, ts.Client()
			}
			for _, rq := range []struct{ method, path, body string }{
				{"GET", "/healthz", ""},
				{"GET", "/v1/me", ""},
				{"GET", "/nope", ""},
				{"DELETE", "/v1/me", ""},
				{"GET", "/api/session", ""},
				{"POST", "/api/auth/login", `{"email":"a@example.com","password":"wrong password"}`},
				{"POST", "/api/auth/logout", ""},
				{"GET", "/metrics", ""},
			} {
				req, err := http.NewRequestWithContext(t.Context(), rq.method, base+rq.path, stringsOrNil(rq.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", rq.method, rq.path, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				for k, want := range securityHeaders {
					if got := resp.Header.Get(k); got != want {
						t.Errorf("%s %s (%d) %s = %q, want %q", rq.method, rq.path, resp.StatusCode, k, got, want)
					}
				}
				hsts := resp.Header.Get("Strict-Transport-Security")
				if c.hsts && hsts != "max-age=31536000" || !c.hsts && hsts != "" {
					t.Errorf("%s %s Strict-Transport-Security = %q, want it %v", rq.method, rq.path, hsts, c.hsts)
				}
			}
		})
	}
}

// Logout tells the browser to drop this origin's cookies and storage.
func TestLogoutClearSiteData(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	c := s.Signup(t, "alice@example.com")
	for _, who := range []*http.Client{c, nil} {
		r := s.Do(t, who, "POST", "/api/auth/logout", nil, "")
		if r.Status != 200 {
			t.Fatalf("POST /api/auth/logout status = %d, want 200", r.Status)
		}
		if got, want := r.Header.Get("Clear-Site-Data"), `"cookies", "storage"`; got != want {
			t.Errorf("logout Clear-Site-Data = %q, want %q", got, want)
		}
	}
	if r := s.Do(t, c, "GET", "/api/session", nil, ""); r.Status != 401 {
		t.Errorf("GET /api/session after logout status = %d, want 401", r.Status)
	}
}

func stringsOrNil(s string) io.Reader {
	if s == "" {
		return nil
	}
	return strings.NewReader(s)
}
