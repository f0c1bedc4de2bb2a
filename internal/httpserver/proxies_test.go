package httpserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// The test's own client connects from loopback: trusting loopback makes it
// the proxy, which names the client in X-Forwarded-For; trusting another
// range makes it a client whose X-Forwarded-For is a lie.
var (
	loopbackProxy = mustTrustedProxies("127.0.0.0/8, ::1")
	otherProxy    = mustTrustedProxies("10.0.0.0/8")
)

func mustTrustedProxies(list string) httpapi.TrustedProxies {
	p, err := httpapi.ParseTrustedProxies(list)
	if err != nil {
		panic(err)
	}
	return p
}

// xff is the header a proxy in front of Pome sends for client addr.
func xff(addr string, kv ...string) http.Header {
	return hdr(append([]string{"X-Forwarded-For", addr}, kv...)...)
}

// Every per-IP limit counts the client a trusted proxy names: two clients
// behind the same proxy have a budget each, and what a client writes left
// of the proxy's entry changes nothing. From an untrusted peer the header is
// ignored: a spoofed X-Forwarded-For does not escape the peer's budget.
func TestPerIPLimitsBehindProxies(t *testing.T) {
	t.Parallel()
	const limit = 2
	rules := func(r *ratelimit.Rules) {
		two := func(rule *ratelimit.Rule) { rule.Limit, rule.Period = limit, time.Hour }
		two(&r.SignupIP)
		two(&r.LoginIP)
		two(&r.AuthFailureIP)
		r.LoginEmail.Limit = 0
	}
	var n atomic.Int64
	for _, c := range []struct {
		name string
		// attempt makes one request that the limit counts, as the client
		// of header h.
		attempt func(t *testing.T, s *pometest.Server, h http.Header) *pometest.Response
	}{
		{"signup", func(t *testing.T, s *pometest.Server, h http.Header) *pometest.Response {
			return s.Do(t, nil, "POST", "/api/auth/signup", h, fmt.Sprintf(`{"email":"u%d@example.com","password":"correct horse battery"}`, n.Add(1)))
		}},
		{"login", func(t *testing.T, s *pometest.Server, h http.Header) *pometest.Response {
			return s.Do(t, nil, "POST", "/api/auth/login", h, `{"email":"nobody@example.com","password":"wrong password here"}`)
		}},
		{"public API key failures", func(t *testing.T, s *pometest.Server, h http.Header) *pometest.Response {
			return s.Do(t, nil, "GET", "/v1/me", h, "")
		}},
		{"verify endpoint token failures", func(t *testing.T, s *pometest.Server, h http.Header) *pometest.Response {
			h["Authorization"] = []string{"Bearer pst_nope"}
			return s.Do(t, nil, "POST", "/v1/keys/verify", h, `{"key":"x"}`)
		}},
		{"gateway key failures", func(t *testing.T, s *pometest.Server, h http.Header) *pometest.Response {
			return s.Do(t, nil, "GET", "/gw/orders", h, "")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t)
			newServer := func(p httpapi.TrustedProxies) *pometest.Server {
				return pometest.NewServer(t, pometest.WithRules(rules), pometest.WithTrustedProxies(p),
					pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{{Prefix: "/gw/", Target: up.url(t)}}}))
			}
			limited := func(r *pometest.Response) bool { return r.Status == http.StatusTooManyRequests }

			t.Run("trusted proxy", func(t *testing.T) {
				s := newServer(loopbackProxy)
				for i := range limit {
					if r := c.attempt(t, s, xff("198.51.100.1")); limited(r) {
						t.Fatalf("client A's attempt #%d = 429, want counted and served", i+1)
					}
				}
				if r := c.attempt(t, s, xff("203.0.113.66, 198.51.100.1")); !limited(r) {
					t.Errorf("client A over its limit, with a spoofed entry left of the proxy's = %d, want 429", r.Status)
				}
				if r := c.attempt(t, s, xff("198.51.100.2")); limited(r) {
					t.Errorf("client B behind the same proxy = 429, want a budget of its own")
				}
				if r := c.attempt(t, s, http.Header{}); limited(r) {
					t.Errorf("the proxy itself (no X-Forwarded-For) = 429, want a budget of its own")
				}
			})
			t.Run("untrusted peer", func(t *testing.T) {
				s := newServer(otherProxy)
				for i := range limit {
					if r := c.attempt(t, s, xff(fmt.Sprintf("198.51.100.%d", i+1))); limited(r) {
						t.Fatalf("attempt #%d = 429, want counted and served", i+1)
					}
				}
				if r := c.attempt(t, s, xff("198.51.100.99")); !limited(r) {
					t.Errorf("a new X-Forwarded-For from an untrusted peer = %d, want 429: the header must be ignored", r.Status)
				}
			})
		})
	}
}

// The audit log records the client a trusted proxy names, on the session
// surface (signup) and the public one (a key found expired), and so does the
// access log; from an untrusted peer, the peer.
func TestAuditAndAccessLogIPBehindProxies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		proxies httpapi.TrustedProxies
		want    string
	}{
		{"trusted proxy", loopbackProxy, "198.51.100.7"},
		{"untrusted peer", otherProxy, "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var log syncBuffer
			s := pometest.NewServer(t, pometest.WithoutRateLimits(), pometest.WithTrustedProxies(c.proxies), pometest.WithAccessLog(&log))
			from := xff("198.51.100.7")
			alice := s.Client()
			if r := s.Do(t, alice, "POST", "/api/auth/signup", from, `{"email":"alice@example.com","password":"`+pometest.Password+`"}`); r.Status != http.StatusCreated {
				t.Fatalf("signup: %d %s", r.Status, r.Body)
			}
			sess := s.Session(t, alice)
			if e := only(t, s.Audit(t, sess.Teams[0].ID), pome.AuditSignup, sess.User.ID); e.IP != c.want {
				t.Errorf("signup event ip = %q, want %q", e.IP, c.want)
			}
			k := s.CreateKeyWith(t, alice, `{"name":"temp","expires_in_days":1}`)
			s.Clock.Advance(24*time.Hour + time.Second)
			if r := s.Do(t, nil, "GET", "/v1/me", xff("198.51.100.7", "X-API-KEY", k.Key), ""); r.Status != http.StatusForbidden {
				t.Fatalf("GET /v1/me with an expired key = %d, want 403", r.Status)
			}
			if e := only(t, s.Audit(t, sess.Teams[0].ID), pome.AuditKeyExpired, k.ID); e.IP != c.want {
				t.Errorf("key.expired event ip = %q, want %q", e.IP, c.want)
			}
			for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
				if strings.Contains(line, `"path":"/v1/me"`) && !strings.Contains(line, `"ip":"`+c.want+`"`) {
					t.Errorf("access log line %s: want ip %s", line, c.want)
				}
			}
			if !strings.Contains(log.String(), `"path":"/v1/me"`) {
				t.Errorf("access log %s: no line for /v1/me", log.String())
			}
		})
	}
}

// The upstream learns the client's address, scheme and host from Pome
// alone: from a trusted TLS-terminating proxy, the client it names and
// https; from an untrusted peer, the peer and the connection's scheme and
// host, whatever the client claims.
func TestGatewayForwardsClientBehindProxies(t *testing.T) {
	t.Parallel()
	claims := xff("203.0.113.5", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.example.com")
	for _, c := range []struct {
		name                string
		proxies             httpapi.TrustedProxies
		header              http.Header
		for_, proto, hostIs string // hostIs: "pome" for Pome's own address
	}{
		{"trusted proxy", loopbackProxy, claims, "203.0.113.5", "https", "api.example.com"},
		{"untrusted peer", otherProxy, claims, "127.0.0.1", "http", "pome"},
		{"no proxy", nil, claims, "127.0.0.1", "http", "pome"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t)
			s := gatewayServer(t, up, pometest.WithTrustedProxies(c.proxies))
			key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")
			h := c.header.Clone()
			h.Set("X-API-KEY", key)
			r := s.Do(t, nil, "GET", "/orders", h, "")
			if r.Status != http.StatusOK {
				t.Fatalf("GET /orders = %d %s", r.Status, r.Body)
			}
			got := decode[seen](t, r).Header
			host := c.hostIs
			if host == "pome" {
				host = strings.TrimPrefix(s.URL, "http://")
			}
			for k, want := range map[string]string{"X-Forwarded-For": c.for_, "X-Forwarded-Proto": c.proto, "X-Forwarded-Host": host} {
				if vs := got[k]; len(vs) != 1 || vs[0] != want {
					t.Errorf("upstream %s = %q, want [%q]", k, vs, want)
				}
			}
		})
	}
}
