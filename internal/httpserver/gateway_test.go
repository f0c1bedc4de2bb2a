package httpserver_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// upstream is a real API on loopback behind the gateway: it counts the
// requests that reach it, remembers the last one's headers and every
// request target as it came over the wire.
type upstream struct {
	srv  *httptest.Server
	hits atomic.Int64

	mu   sync.Mutex
	last *http.Request
	uris []string
}

// seen is what the upstream answers to /echo: the request as it arrived.
type seen struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query"`
	Host   string      `json:"host"`
	Header http.Header `json:"header"`
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("X-Request-Id", "upstream-own-id")
		w.Header().Set("X-RateLimit-Limit", "999")
		json.NewEncoder(w).Encode(seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Header: r.Header})
	})
	// /big reads the request body, hashing it as it streams, then streams
	// back size bytes of the seeded generator, with no Content-Length.
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Body-Sha256", hex.EncodeToString(h.Sum(nil)))
		w.Header().Set("X-Body-Length", fmt.Sprint(n))
		w.WriteHeader(http.StatusOK)
		io.Copy(w, io.LimitReader(newGen(2), bigSize))
	})
	// /ws switches protocols and then echoes whatever it reads: enough
	// of a websocket to prove the tunnel.
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "want an upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw)
	})
	// /slow answers only when the request ends.
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	// /hints sends 103 Early Hints, then its own X-Request-Id,
	// X-RateLimit-Limit and HSTS with the 200.
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("X-Request-Id", "upstream-own-id")
		w.Header().Set("X-RateLimit-Limit", "999")
		w.Header().Set("Strict-Transport-Security", "max-age=1")
		w.Write([]byte("hinted"))
	})
	// /hints-then-break sends 103 Early Hints, then drops the connection.
	mux.HandleFunc("/hints-then-break", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints) // written at once
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	})
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		u.mu.Lock()
		u.last = r.Clone(r.Context())
		u.uris = append(u.uris, r.RequestURI) // before ServeMux cleans or redirects
		u.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) url(t *testing.T) *url.URL {
	t.Helper()
	target, err := url.Parse(u.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// gatewayServer is Pome in gateway mode in front of up, for every path it
// does not serve itself.
func gatewayServer(t *testing.T, up *upstream, opts ...pometest.Option) *pometest.Server {
	t.Helper()
	g := httpserver.Gateway{Upstreams: []httpserver.Upstream{{Prefix: "/", Target: up.url(t)}}}
	return pometest.NewServer(t, append(opts, pometest.WithGateway(g))...)
}

// bigSize is the body sent each way by the streaming test.
const bigSize = 50 << 20

// gen is a fast seeded byte stream, the same for the same seed.
type gen struct{ r *rand.ChaCha8 }

func newGen(seed byte) *gen { return &gen{rand.NewChaCha8([32]byte{seed})} }

func (g *gen) Read(p []byte) (int, error) { return g.r.Read(p) }

func sum(r io.Reader) (string, int64) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n
}

// A valid key reaches the upstream with the identity headers, and without
// its credentials, Pome's session cookie or any Pome-* header a client sent.
func TestGatewayForwardsIdentity(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up)
	alice := s.Signup(t, "alice@example.com")
	created := s.CreateKeyWith(t, alice, `{"name":"ci","role":"developer"}`)
	me := decode[meBody](t, s.Do(t, nil, "GET", "/v1/me", apiKey(created.Key), ""))

	h := hdr("Authorization", "Bearer "+created.Key,
		"Pome-User-Id", "usr_forged", "pome-team-id", "tm_forged", "Pome_Key_Role", "owner",
		"POME-PLAN-TIER", "enterprise", "Pome-Other", "x",
		"Connection", "Pome-Key-Id, Pome-Team-Slug",
		"Cookie", "pome_session=secret-session; theme=dark; __Host-pome_session=other",
		"X-Request-Id", "client-req-1",
		"X-Forwarded-For", "203.0.113.9")
	r := s.Do(t, nil, "GET", "/orders/42?expand=items", h, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /orders/42 through the gateway status = %d, want 200; body %s", r.Status, r.Body)
	}
	got := decode[seen](t, r)
	if got.Path != "/orders/42" || got.Query != "expand=items" || got.Method != "GET" {
		t.Errorf("upstream saw %s %s?%s, want GET /orders/42?expand=items", got.Method, got.Path, got.Query)
	}
	want := map[string]string{
		"Pome-User-Id":   me.User.ID,
		"Pome-Team-Id":   me.Team.ID,
		"Pome-Team-Slug": me.Team.Slug,
		"Pome-Plan-Tier": "free",
		"Pome-Key-Id":    created.ID,
		"Pome-Key-Role":  "developer",
		// The key's environment and its meta ({}): base64url, unpadded.
		"Pome-Key-Environment": "live",
		"Pome-Key-Meta":        "e30",
		"X-Request-Id":         "client-req-1",
		"Cookie":               "theme=dark",
	}
	for k, v := range want {
		if vs := got.Header[k]; len(vs) != 1 || vs[0] != v {
			t.Errorf("upstream header %s = %q, want [%q]", k, vs, v)
		}
	}
	for k := range got.Header {
		if strings.HasPrefix(strings.ToLower(k), "pome") {
			if _, ok := want[k]; !ok {
				t.Errorf("upstream got header %s = %q: a client's Pome-* header passed", k, got.Header[k])
			}
		}
	}
	for _, k := range []string{"Authorization", "X-Api-Key"} {
		if v, ok := got.Header[k]; ok {
			t.Errorf("upstream got %s = %q: the credential must not be forwarded", k, v)
		}
	}
	if xff := got.Header.Get("X-Forwarded-For"); xff != "127.0.0.1" {
		t.Errorf("upstream X-Forwarded-For = %q, want the connection's 127.0.0.1 only", xff)
	}
	// The response is the upstream's, but for what Pome owns.
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("forwarded Cache-Control = %q, want the upstream's", got)
	}
	if got := r.Header.Values("X-Request-Id"); len(got) != 1 || got[0] != "client-req-1" {
		t.Errorf("forwarded X-Request-Id = %q, want Pome's [client-req-1]", got)
	}
	if got := r.Header.Get("Content-Security-Policy"); got != "" {
		t.Errorf("forwarded Content-Security-Policy = %q, want none (the upstream's own, if any)", got)
	}
	if got := r.Header.Get("X-RateLimit-Limit"); got != "999" {
		t.Errorf("forwarded X-RateLimit-Limit = %q, want the upstream's 999 when no plan limit applies", got)
	}
}

// Every docs/api.md error is the gateway's own answer: the upstream never sees
// the request.
func TestGatewayErrorsNeverReachUpstream(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up, pometest.WithRules(func(r *ratelimit.Rules) {
		r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, 1)
	}))
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	viewer := s.CreateKeyWith(t, alice, `{"name":"ro","role":"viewer"}`).Key
	revoked := s.CreateKeyWith(t, alice, `{"name":"old"}`)
	s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, "")
	expiring := s.CreateKeyWith(t, alice, `{"name":"temp","expires_in_days":1}`).Key
	bob := s.Signup(t, "bob@example.com")
	banned := s.CreateKey(t, bob, "ci")
	team := decode[meBody](t, s.Do(t, nil, "GET", "/v1/me", apiKey(banned), "")).Team.ID
	if err := s.DB.UpdateTeam(t.Context(), pome.Team{ID: team, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, s.Now(), pometest.Event(pome.AuditTeamBanned)); err != nil {
		t.Fatal(err)
	}
	s.Verifier.Forget(pome.DigestOf(banned))
	unknown, _ := pome.DefaultKeyFormat.Generate()
	s.Clock.Advance(24*time.Hour + time.Second) // expiring is past its expiry
	// The one unit of key's quota goes here; the viewer's is left.
	if r := s.Do(t, nil, "GET", "/anything", apiKey(key), ""); r.Status != http.StatusOK {
		t.Fatalf("first request status = %d, want 200", r.Status)
	}
	s.Limiter.Refund(t.Context(), "127.0.0.1", s.Rules.AuthFailureIP)

	before := up.hits.Load()
	for _, sc := range []scenario{
		{name: "missing", header: nil, status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "empty", header: apiKey(""), status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "basic scheme", header: hdr("Authorization", "Basic dXNlcjpwYXNz"), status: 401, typ: "authentication_error", code: "missing_api_key"},
		{name: "malformed", header: apiKey("pme_abc"), status: 401, typ: "authentication_error", code: "invalid_api_key"},
		{name: "wrong checksum", header: apiKey(wrongChecksum(key)), status: 401, typ: "authentication_error", code: "invalid_api_key"},
		{name: "unknown", header: apiKey(unknown), status: 401, typ: "authentication_error", code: "invalid_api_key"},
		{name: "conflicting", header: hdr("X-API-KEY", key, "Authorization", "Bearer "+viewer), status: 400, typ: "invalid_request_error", code: "conflicting_credentials"},
		{name: "revoked", header: apiKey(revoked.Key), status: 403, typ: "permission_error", code: "key_revoked"},
		{name: "expired", header: apiKey(expiring), status: 403, typ: "permission_error", code: "key_expired"},
		{name: "team banned", header: apiKey(banned), status: 403, typ: "permission_error", code: "team_banned"},
		{name: "viewer POST", method: "POST", header: apiKey(viewer), body: `{}`, status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "viewer DELETE", method: "DELETE", header: apiKey(viewer), status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "over the plan limit", header: apiKey(key), status: 429, typ: "rate_limit_error", code: "rate_limit_exceeded",
			check: func(t *testing.T, r *pometest.Response) {
				if r.Header.Get("Retry-After") == "" || r.Header.Get("X-RateLimit-Limit") != "1" {
					t.Errorf("429 headers = %v, want Retry-After and X-RateLimit-Limit: 1", r.Header)
				}
			}},
	} {
		if sc.method == "" {
			sc.method = "GET"
		}
		sc.path = "/orders"
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
	if got := up.hits.Load() - before; got != 0 {
		t.Errorf("upstream hits from refused requests = %d, want 0", got)
	}
	// The viewer reads, with its own quota.
	if r := s.Do(t, nil, "GET", "/orders", apiKey(viewer), ""); r.Status != http.StatusOK {
		t.Errorf("viewer GET /orders status = %d, want 200", r.Status)
	}
	if got := up.hits.Load() - before; got != 1 {
		t.Errorf("upstream hits after the viewer's GET = %d, want 1", got)
	}
}

// Every forwarded request counts one use of its key, as GET /v1/me does;
// refused ones count none.
func TestGatewayUsage(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up)
	alice := s.Signup(t, "alice@example.com")
	k := s.CreateKeyWith(t, alice, `{"name":"ci"}`)
	for i := range 3 {
		if r := s.Do(t, nil, "POST", "/orders", apiKey(k.Key), `{"n":`+fmt.Sprint(i)+`}`); r.Status != http.StatusOK {
			t.Fatalf("POST /orders status = %d, want 200", r.Status)
		}
	}
	s.Do(t, nil, "GET", "/orders", apiKey(wrongChecksum(k.Key)), "")
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Keys []struct {
			ID         string     `json:"id"`
			UsageCount int64      `json:"usage_count"`
			LastUsed   *time.Time `json:"last_used"`
		} `json:"keys"`
	}
	s.Do(t, alice, "GET", "/api/keys", nil, "").DecodeJSON(t, &list)
	if len(list.Keys) != 1 || list.Keys[0].UsageCount != 3 || list.Keys[0].LastUsed == nil {
		t.Errorf("GET /api/keys after 3 forwarded requests and a refused one = %+v, want usage_count 3 and last_used set", list.Keys)
	}
}

// A key's plan limit applies to the gateway and GET /v1/me together, and a
// forwarded response carries Pome's rate-limit headers, not the upstream's.
func TestGatewayRateLimit(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up, pometest.WithRules(func(r *ratelimit.Rules) {
		r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, 3)
	}))
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	if r := s.Do(t, nil, "GET", "/v1/me", apiKey(key), ""); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/me status = %d", r.Status)
	}
	r := s.Do(t, nil, "GET", "/orders", apiKey(key), "")
	if r.Status != http.StatusOK || r.Header.Values("X-Ratelimit-Limit")[0] != "3" || len(r.Header.Values("X-Ratelimit-Limit")) != 1 ||
		r.Header.Get("X-Ratelimit-Remaining") != "1" {
		t.Errorf("forwarded response: status %d, X-RateLimit-Limit %q, Remaining %q; want 200, [3], 1",
			r.Status, r.Header.Values("X-Ratelimit-Limit"), r.Header.Get("X-Ratelimit-Remaining"))
	}
	s.Do(t, nil, "GET", "/orders", apiKey(key), "")
	before := up.hits.Load()
	runScenarios(t, s, []scenario{{name: "fourth", method: "GET", path: "/orders", header: apiKey(key), status: 429, typ: "rate_limit_error", code: "rate_limit_exceeded"}})
	if up.hits.Load() != before {
		t.Errorf("a rate-limited request reached the upstream")
	}
}

// An upstream that is down is a 502 upstream_error; one that does not answer
// in time a 504 upstream_timeout: both JSON, both Pome's own answers.
func TestGatewayUpstreamFailures(t *testing.T) {
	t.Parallel()
	t.Run("down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := &url.URL{Scheme: "http", Host: ln.Addr().String()}
		ln.Close() // nothing listens there now
		s := pometest.NewServer(t, pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{{Prefix: "/api/v2/", Target: dead}}}))
		alice := s.Signup(t, "alice@example.com")
		key := s.CreateKey(t, alice, "ci")
		runScenarios(t, s, []scenario{{name: "502", method: "GET", path: "/api/v2/orders", header: apiKey(key), status: 502, typ: "api_error", code: "upstream_error",
			check: func(t *testing.T, r *pometest.Response) {
				if got := r.Header.Get("Content-Security-Policy"); got == "" {
					t.Errorf("502 Content-Security-Policy is empty: Pome's answer carries its API headers")
				}
			}}})
	})
	t.Run("timeout", func(t *testing.T) {
		up := newUpstream(t)
		s := pometest.NewServer(t, pometest.WithGateway(httpserver.Gateway{
			Upstreams:       []httpserver.Upstream{{Prefix: "/", Target: up.url(t)}},
			ResponseTimeout: 100 * time.Millisecond,
		}))
		alice := s.Signup(t, "alice@example.com")
		key := s.CreateKey(t, alice, "ci")
		runScenarios(t, s, []scenario{{name: "504", method: "GET", path: "/slow", header: apiKey(key), status: 504, typ: "api_error", code: "upstream_timeout"}})
	})
}

// 50 MiB pass each way intact, streamed: the request has a Content-Length
// far past Pome's own 64 KiB cap, the response none.
func TestGatewayLargeStreamedBodies(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")

	wantReq, _ := sum(io.LimitReader(newGen(1), bigSize))
	wantResp, _ := sum(io.LimitReader(newGen(2), bigSize))
	for _, tc := range []struct {
		name   string
		length int64
	}{{"content-length", bigSize}, {"chunked", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "PUT", s.URL+"/big", io.LimitReader(newGen(1), bigSize))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tc.length
			req.Header.Set("X-API-KEY", key)
			resp, err := s.HTTP.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("PUT /big status = %d, want 200; body %s", resp.StatusCode, b)
			}
			if got := resp.Header.Get("X-Body-Sha256"); got != wantReq || resp.Header.Get("X-Body-Length") != fmt.Sprint(bigSize) {
				t.Errorf("upstream read %s bytes, sha256 %s; want %d, %s", resp.Header.Get("X-Body-Length"), got, bigSize, wantReq)
			}
			if got, n := sum(resp.Body); got != wantResp || n != bigSize {
				t.Errorf("client read %d bytes, sha256 %s; want %d, %s", n, got, bigSize, wantResp)
			}
		})
	}
}

// A websocket upgrade is authenticated, then tunnelled both ways.
func TestGatewayWebsocket(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKeyWith(t, alice, `{"name":"ro","role":"viewer"}`).Key
	addr := strings.TrimPrefix(s.URL, "http://")

	handshake := func(key string) (net.Conn, *bufio.Reader, *http.Response) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		req := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		if key != "" {
			req += "X-API-KEY: " + key + "\r\n"
		}
		if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read handshake response: %v", err)
		}
		return conn, br, resp
	}

	t.Run("without a key", func(t *testing.T) {
		before := up.hits.Load()
		_, _, resp := handshake("")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("upgrade without a key status = %d, want 401", resp.StatusCode)
		}
		if up.hits.Load() != before {
			t.Errorf("an unauthenticated upgrade reached the upstream")
		}
	})
	t.Run("with a key", func(t *testing.T) {
		conn, br, resp := handshake(key)
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade status = %d, want 101", resp.StatusCode)
		}
		up.mu.Lock()
		role := up.last.Header.Get("Pome-Key-Role")
		up.mu.Unlock()
		if role != "viewer" {
			t.Errorf("upstream Pome-Key-Role on the upgrade = %q, want viewer", role)
		}
		for _, msg := range []string{"hello", "again"} {
			if _, err := io.WriteString(conn, msg); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, len(msg))
			if _, err := io.ReadFull(br, buf); err != nil || string(buf) != msg {
				t.Fatalf("echo through the tunnel = %q, %v; want %q", buf, err, msg)
			}
		}
	})
}

// Pome's own routes stay Pome's under an upstream of prefix "/": every
// method of their paths, known or not, is answered by Pome.
func TestGatewayKeepsPomeRoutes(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	before := up.hits.Load()
	runScenarios(t, s, []scenario{
		{name: "GET /v1/me", method: "GET", path: "/v1/me", header: apiKey(key), status: 200,
			check: func(t *testing.T, r *pometest.Response) {
				if got := decode[meBody](t, r).APIKey.Name; got != "ci" {
					t.Errorf("GET /v1/me api_key.name = %q, want ci: Pome answered", got)
				}
			}},
		{name: "POST /v1/me", method: "POST", path: "/v1/me", header: apiKey(key), body: `{}`, status: 405, typ: "invalid_request_error", code: "method_not_allowed",
			check: func(t *testing.T, r *pometest.Response) {
				if got := r.Header.Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow = %q, want GET, HEAD", got)
				}
			}},
		{name: "verify without a token", method: "POST", path: "/v1/keys/verify", body: `{}`, status: 401, typ: "authentication_error", code: "missing_service_token"},
		{name: "GET /v1/keys/verify", method: "GET", path: "/v1/keys/verify", header: apiKey(key), status: 405, typ: "invalid_request_error", code: "method_not_allowed"},
		{name: "GET /v1/keys/report-leak", method: "GET", path: "/v1/keys/report-leak", header: apiKey(key), status: 405, typ: "invalid_request_error", code: "method_not_allowed"},
		{name: "PUT /api/keys/x", method: "PUT", path: "/api/keys/key_x", header: apiKey(key), status: 405, typ: "invalid_request_error", code: "method_not_allowed"},
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		// Pome's namespaces are Pome's: an unknown path there is a
		// mistyped call of its API, never forwarded.
		{name: "unknown /api/ path", method: "GET", path: "/api/v2/orders", header: apiKey(key), status: 404, typ: "not_found_error", code: "route_not_found"},
		{name: "unknown /api/ path, POST", method: "POST", path: "/api/keyz", header: apiKey(key), body: `{}`, status: 404, typ: "not_found_error", code: "route_not_found"},
		{name: "unknown /v1/ path", method: "GET", path: "/v1/orders", header: apiKey(key), status: 404, typ: "not_found_error", code: "route_not_found"},
		{name: "/api/ itself", method: "GET", path: "/api/", header: apiKey(key), status: 404, typ: "not_found_error", code: "route_not_found"},
	})
	if got := up.hits.Load() - before; got != 0 {
		t.Errorf("upstream hits for Pome's own paths = %d, want 0", got)
	}
	// Anything else goes to the upstream, cross-site browser POSTs included:
	// a key is no ambient credential.
	r := s.Do(t, nil, "POST", "/v2/orders", hdr("X-API-KEY", key, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), `{}`)
	if r.Status != http.StatusOK || decode[seen](t, r).Path != "/v2/orders" {
		t.Errorf("POST /v2/orders status = %d, body %s; want 200 from the upstream", r.Status, r.Body)
	}
}

// An upstream whose prefix is inside one of Pome's namespaces takes its own
// paths there; the rest of the namespace stays Pome's.
func TestGatewayPrefixInPomeNamespace(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := pometest.NewServer(t, pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{
		{Prefix: "/v1/", Target: up.url(t)}, {Prefix: "/", Target: up.url(t)}}}))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")
	if r := s.Do(t, nil, "GET", "/v1/orders", apiKey(key), ""); r.Status != http.StatusOK || decode[seen](t, r).Path != "/v1/orders" {
		t.Errorf("GET /v1/orders under a /v1/ upstream = %d %s, want 200 from the upstream", r.Status, r.Body)
	}
	runScenarios(t, s, []scenario{{name: "unknown /api/ path", method: "GET", path: "/api/orders", header: apiKey(key), status: 404, typ: "not_found_error", code: "route_not_found"}})
}

func TestParseUpstream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, prefix, target string
		ok                 bool
	}{
		{"http://127.0.0.1:9000", "/", "http://127.0.0.1:9000", true},
		{"/v1/=http://api:9000", "/v1/", "http://api:9000", true},
		{"/api/v2/=https://api.internal/base", "/api/v2/", "https://api.internal/base", true},
		{"/v1=http://api:9000", "", "", false},
		{"v1/=http://api:9000", "", "", false},
		{"/v1/", "", "", false},
		{"/{x}/=http://api", "", "", false},
		{"ftp://api", "", "", false},
		{"http://", "", "", false},
		{"http://user:pw@api", "", "", false},
		{"http://api?x=1", "", "", false},
	} {
		up, err := httpserver.ParseUpstream(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseUpstream(%q) error = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (up.Prefix != tc.prefix || up.Target.String() != tc.target) {
			t.Errorf("ParseUpstream(%q) = %s → %s, want %s → %s", tc.in, up.Prefix, up.Target, tc.prefix, tc.target)
		}
	}
}

// A key pasted into a forwarded path never reaches Pome's access log.
func TestGatewayAccessLogMasksKeys(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	var buf syncBuffer
	s := gatewayServer(t, up, pometest.WithAccessLog(&buf))
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	if r := s.Do(t, nil, "GET", "/orders/"+key, apiKey(key), ""); r.Status != http.StatusOK {
		t.Fatalf("GET /orders/<key> status = %d, want 200", r.Status)
	}
	if strings.Contains(buf.String(), key) || !strings.Contains(buf.String(), `"path":"/orders/[REDACTED]"`) {
		t.Errorf("access log %s: want the key masked in the path", buf.String())
	}
}

// An upstream's 1xx (103 Early Hints, 100 Continue to an upload that asked
// for it) goes to the client, and the final response still carries what
// Pome owns — its request id, its rate-limit headers, HSTS — over the
// upstream's: ReverseProxy writes a 1xx with the response's header map and
// then clears it. Pome's own error after a 1xx keeps its request id too.
func TestGatewayKeepsPomeHeadersOver1xx(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up, pometest.WithSecureCookies(), pometest.WithRules(func(r *ratelimit.Rules) {
		r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, 100)
	}))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")

	// send makes one request, recording the 1xx answers it gets.
	send := func(t *testing.T, method, path string, body io.Reader, length int64, client *http.Client, kv ...string) (*http.Response, []byte, []string) {
		t.Helper()
		var mu sync.Mutex
		var infos []string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			mu.Lock()
			defer mu.Unlock()
			infos = append(infos, fmt.Sprintf("%d %s", code, h.Get("Link")))
			return nil
		}}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), method, s.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		req.Header = hdr(append([]string{"X-API-KEY", key}, kv...)...)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return resp, b, infos
	}
	checkOwn := func(t *testing.T, resp *http.Response, id string) {
		t.Helper()
		for k, want := range map[string]string{
			"X-Request-Id":              id,
			"X-Ratelimit-Limit":         "100",
			"Strict-Transport-Security": "max-age=31536000",
		} {
			if got := resp.Header.Values(k); len(got) != 1 || got[0] != want {
				t.Errorf("final response %s = %q, want Pome's [%q]", k, got, want)
			}
		}
	}

	t.Run("103 Early Hints", func(t *testing.T) {
		resp, body, infos := send(t, "GET", "/hints", nil, 0, s.HTTP.Client(), "X-Request-Id", "req-hints-1")
		if resp.StatusCode != http.StatusOK || string(body) != "hinted" {
			t.Fatalf("GET /hints = %d %q, want 200 hinted", resp.StatusCode, body)
		}
		if len(infos) != 1 || infos[0] != "103 </app.css>; rel=preload; as=style" {
			t.Errorf("1xx answers = %q, want the upstream's 103 with its Link", infos)
		}
		checkOwn(t, resp, "req-hints-1")
	})
	t.Run("100 Continue to a large upload", func(t *testing.T) {
		tr := s.HTTP.Client().Transport.(*http.Transport).Clone()
		tr.ExpectContinueTimeout = 10 * time.Second // wait for the 100: it must come
		client := &http.Client{Transport: tr}
		t.Cleanup(tr.CloseIdleConnections)
		const size = 2 << 20
		want, _ := sum(io.LimitReader(newGen(3), size))
		resp, _, infos := send(t, "PUT", "/big", io.LimitReader(newGen(3), size), size, client,
			"X-Request-Id", "req-upload-1", "Expect", "100-continue")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Body-Sha256") != want {
			t.Fatalf("PUT /big = %d, upstream read sha256 %s; want 200, %s", resp.StatusCode, resp.Header.Get("X-Body-Sha256"), want)
		}
		if len(infos) != 1 || infos[0] != "100 " {
			t.Errorf("1xx answers = %q, want one 100", infos)
		}
		checkOwn(t, resp, "req-upload-1")
	})
	t.Run("an error after 103", func(t *testing.T) {
		resp, body, infos := send(t, "GET", "/hints-then-break", nil, 0, s.HTTP.Client(), "X-Request-Id", "req-broken-1")
		if resp.StatusCode != http.StatusBadGateway || len(infos) != 1 {
			t.Fatalf("GET /hints-then-break = %d after %q, want 502 after one 103", resp.StatusCode, infos)
		}
		var env struct {
			Error struct {
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Error.RequestID != "req-broken-1" {
			t.Errorf("502 body %s: want request_id req-broken-1", body)
		}
		checkOwn(t, resp, "req-broken-1")
	})
}

// lines is an access log that hands each line to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

// A client that leaves while the upstream is still answering has its
// request logged with its request id: Pome's own headers, held off the
// response while the upstream answers, are back when nobody is left to
// write them to.
func TestGatewayLogsRequestIDOfClientThatLeft(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(up.Close)
	target, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	log := make(lines, 16)
	s := pometest.NewServer(t, pometest.WithAccessLog(log),
		pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{{Prefix: "/v2/", Target: target}}}))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")

	ctx, leave := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/v2/leave", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr("X-API-KEY", key, "X-Request-Id", "req-left-1")
	done := make(chan error, 1)
	go func() {
		resp, err := s.HTTP.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-arrived
	leave()
	if err := <-done; err == nil {
		t.Fatal("the request was answered after its client left")
	}
	for line := range log {
		if strings.Contains(line, `"path":"/v2/leave"`) {
			if !strings.Contains(line, `"request_id":"req-left-1"`) {
				t.Errorf("access log line %s: want request_id req-left-1", line)
			}
			return
		}
	}
}

// No key, not even a viewer's, reaches an upstream path outside the
// upstream's prefix and base path: a path with dot-segments (raw,
// percent-encoded, with ";" parameters), encoded slashes, backslashes,
// double encoding or NUL is refused with 400 invalid_path, before its key
// is counted, whatever the method or the request-target's form. The
// requests are written to the socket as they are, since net/http's client
// would clean some. The upstream records every target it receives.
func TestGatewayRefusesPathEscapes(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	v2, err := httpserver.ParseUpstream("/v2/=" + up.srv.URL + "/base")
	if err != nil {
		t.Fatal(err)
	}
	s := pometest.NewServer(t, pometest.WithGateway(httpserver.Gateway{Upstreams: []httpserver.Upstream{v2}}))
	alice := s.Signup(t, "alice@example.com")
	viewer := s.CreateKeyWith(t, alice, `{"name":"ro","role":"viewer"}`).Key
	developer := s.CreateKeyWith(t, alice, `{"name":"dev","role":"developer"}`).Key
	addr := strings.TrimPrefix(s.URL, "http://")

	for _, c := range []struct {
		name, method, target, key string
		status                    int // 0: 400 invalid_path
	}{
		{"encoded dot-segment", "GET", "/v2/%2e%2e/internal/secret.txt", viewer, 0},
		{"encoded dot-segment, upper case", "GET", "/v2/%2E%2E/internal/secret.txt", viewer, 0},
		{"half encoded", "GET", "/v2/.%2e/internal/secret.txt", viewer, 0},
		{"encoded single dot", "GET", "/v2/%2e/x", viewer, 0},
		{"dot-segment with a parameter", "GET", "/v2/..;/internal/secret.txt", viewer, 0},
		{"dot-segment with a named parameter", "GET", "/v2/..;jsessionid=1/internal/secret.txt", viewer, 0},
		{"encoded dot-segment with a parameter", "GET", "/v2/%2e%2e;/internal/secret.txt", viewer, 0},
		{"three dots", "GET", "/v2/.../internal/secret.txt", viewer, 0},
		{"encoded backslash", "GET", "/v2/..%5cinternal%5csecret.txt", viewer, 0},
		{"raw backslash", "GET", `/v2/..\internal\secret.txt`, viewer, 0},
		{"encoded slash", "GET", "/v2/..%2finternal%2fsecret.txt", viewer, 0},
		{"encoded slash, upper case", "GET", "/v2/a%2F..%2F..%2F..%2Finternal", viewer, 0},
		{"double encoding", "GET", "/v2/%252e%252e/internal/secret.txt", viewer, 0},
		{"NUL", "GET", "/v2/secret.txt%00.json", viewer, 0},
		{"CONNECT with a dot-segment", "CONNECT", "/v2/../internal/secret.txt", developer, 0},
		{"CONNECT with a dot", "CONNECT", "/v2/./../internal", developer, 0},
		{"absolute form, encoded", "GET", "http://" + addr + "/v2/%2e%2e/internal/secret.txt", viewer, 0},
		// ServeMux redirects a raw dot-segment to the cleaned path, but
		// not on CONNECT.
		{"raw dot-segment", "GET", "/v2/../internal/secret.txt", viewer, http.StatusTemporaryRedirect},
		{"absolute form, raw dot-segment", "GET", "http://" + addr + "/v2/../internal/secret.txt", viewer, http.StatusTemporaryRedirect},
		// net/http reads a CONNECT target that is not a path as an
		// authority: no route.
		{"absolute form, CONNECT", "CONNECT", "http://" + addr + "/v2/../internal/secret.txt", developer, http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := up.hits.Load()
			status, h, body := sendRaw(t, addr, c.method+" "+c.target+" HTTP/1.1\r\nHost: "+addr+"\r\nX-API-KEY: "+c.key+"\r\nConnection: close\r\n\r\n")
			if up.hits.Load() != before {
				t.Fatalf("%s %s reached the upstream (status %d)", c.method, c.target, status)
			}
			if c.status != 0 {
				if status != c.status {
					t.Errorf("%s %s = %d %s, want %d", c.method, c.target, status, body, c.status)
				}
				return
			}
			var env struct {
				Error struct{ Type, Code string } `json:"error"`
			}
			if err := json.Unmarshal(body, &env); status != http.StatusBadRequest || err != nil ||
				env.Error.Type != "invalid_request_error" || env.Error.Code != "invalid_path" || h.Get("X-Request-Id") == "" {
				t.Errorf("%s %s = %d %s, want 400 invalid_request_error/invalid_path", c.method, c.target, status, body)
			}
		})
	}

	// Paths that only look odd are forwarded as they are, under the base.
	for _, target := range []string{"/v2/orders;v=1/a.b..c/..x/%7Euser/%41", "/v2/files/report.v2.json?q=../x"} {
		status, _, body := sendRaw(t, addr, "GET "+target+" HTTP/1.1\r\nHost: "+addr+"\r\nX-API-KEY: "+viewer+"\r\nConnection: close\r\n\r\n")
		var got seen
		if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil {
			t.Errorf("GET %s = %d %s, want 200 from the upstream", target, status, body)
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	want := []string{"/base/v2/orders;v=1/a.b..c/..x/%7Euser/%41", "/base/v2/files/report.v2.json?q=../x"}
	if strings.Join(up.uris, " ") != strings.Join(want, " ") {
		t.Errorf("upstream received %q, want only %q", up.uris, want)
	}
	// The refused requests counted no use.
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, k := range decode[keyList](t, s.Do(t, alice, "GET", "/api/keys", nil, "")).Keys {
		if want := map[string]int64{"ro": 2, "dev": 0}[k.Name]; k.UsageCount != want {
			t.Errorf("key %s usage_count = %d, want %d: a refused path counts no use", k.Name, k.UsageCount, want)
		}
	}
}

// An upstream learns who the client is from Pome alone: every header in
// which proxies and CDNs name a client's address, scheme, host, port or
// path prefix is dropped, in any letter case and with "_" for "-", and
// X-Forwarded-For, -Proto and -Host are Pome's.
func TestGatewayStripsClientIdentityHeaders(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up)
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")
	sent := []string{
		"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix",
		"X-Forwarded-Ssl", "X-Forwarded-Scheme", "Forwarded", "X-Real-IP", "True-Client-IP", "CF-Connecting-IP",
		"X-Client-IP", "Fly-Client-IP", "Fastly-Client-IP", "X-Cluster-Client-IP",
		"X_Forwarded_For", "x_forwarded_proto", "X_FORWARDED_HOST", "x-forwarded_port", "X_Forwarded-Prefix",
		"x_real_ip", "TRUE_CLIENT_IP", "cf_connecting_ip", "X_Client_Ip", "fly_client_ip", "Fastly_Client_IP",
		"x_cluster_client_ip", "FORWARDED",
	}
	// Header names as written: net/http's client sends a map key as it is.
	h := http.Header{"X-Api-Key": {key}, "X-Client-Note": {"kept"}}
	for _, k := range sent {
		h[k] = []string{"203.0.113.66"}
	}
	r := s.Do(t, nil, "GET", "/orders", h, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /orders = %d %s", r.Status, r.Body)
	}
	got := decode[seen](t, r).Header
	for k, vs := range got {
		for _, v := range vs {
			if strings.Contains(v, "203.0.113.66") {
				t.Errorf("upstream got %s: %q, a client's claim", k, vs)
			}
		}
	}
	own := map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": strings.TrimPrefix(s.URL, "http://"), "X-Client-Note": "kept"}
	for k, want := range own {
		if vs := got[k]; len(vs) != 1 || vs[0] != want {
			t.Errorf("upstream %s = %q, want [%q]", k, vs, want)
		}
	}
}
