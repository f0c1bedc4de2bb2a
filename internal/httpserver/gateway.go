package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/ratelimit"
)

// Gateway mode (docs/protect.md): Pome in front of the platform's own API.
// Every request under an upstream's prefix is authenticated as GET /v1/me is
// (the same gate: errors, per-IP failure limit, per-key plan limit, usage
// counting), in the gateway surface's chain (no body cap, no cookie guard:
// surfaces.go), then forwarded with the credentials removed and the identity
// added as Pome-* headers. Nothing unauthenticated reaches an upstream.

// Upstream is one API that gateway mode protects.
type Upstream struct {
	// Prefix is the path prefix whose requests are forwarded: "/" for
	// every path Pome does not serve itself, or e.g. "/v1/". It starts and
	// ends with "/". The path is forwarded whole, prefix included.
	Prefix string
	// Target is the upstream's base URL: scheme and host, and a path
	// that is put before every forwarded path, if any.
	Target *url.URL
	// Scopes are what every key must have of scopes to reach this
	// upstream (--upstream-scope); nil: none.
	Scopes []string
}

// Gateway configures gateway mode; with no Upstreams it is off.
type Gateway struct {
	Upstreams []Upstream
	// DialTimeout bounds connecting to an upstream (default 5 s) and
	// ResponseTimeout waiting for its response headers once the request is
	// sent (default 60 s); past either the answer is 504 upstream_timeout.
	// Bodies, in either direction, stream with no deadline.
	DialTimeout, ResponseTimeout time.Duration
	// IdleTimeout bounds how long an upstream may send nothing in the
	// middle of a response body (default 60 s); past it the response is
	// cut. A websocket has none.
	IdleTimeout time.Duration
	// Transport, if not nil, replaces the transport the timeouts configure.
	Transport http.RoundTripper
}

// Default gateway timeouts.
const (
	DefaultUpstreamDialTimeout     = 5 * time.Second
	DefaultUpstreamResponseTimeout = 60 * time.Second
)

// ParseUpstream parses an --upstream value: "URL" (prefix "/") or
// "PREFIX=URL", e.g. "/v1/=http://127.0.0.1:9000".
func ParseUpstream(s string) (Upstream, error) {
	prefix, raw := "/", s
	if strings.HasPrefix(s, "/") {
		var ok bool
		if prefix, raw, ok = strings.Cut(s, "="); !ok {
			return Upstream{}, fmt.Errorf("upstream %q: want URL or /prefix/=URL", s)
		}
	}
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") ||
		strings.ContainsAny(prefix, "{}? \t#%") || strings.Contains(prefix, "//") {
		return Upstream{}, fmt.Errorf("upstream prefix %q must start and end with / and hold no {, }, ?, #, %%, //, or space", prefix)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Upstream{}, fmt.Errorf("upstream URL %q must be http:// or https://host[:port][/path], without user, query or fragment", raw)
	}
	return Upstream{Prefix: prefix, Target: u}, nil
}

// forwarded is what a gateway request carries from the handler to the
// proxy's hooks, in its context.
type forwarded struct {
	owner pome.KeyOwner
	// credits is what the key has left after this request, if metered.
	credits authz.Credits
	// client, proto and host are Pome's view of the client's address,
	// scheme and host (httpapi.TrustedProxies), sent as X-Forwarded-*.
	client, proto, host string
	// own holds Pome's own response headers (pomeResponseHeaders) as Pome
	// set them, off the response while the upstream answers: an upstream's
	// 1xx (100 Continue, 103 Early Hints) is written with the response's
	// header map, which ReverseProxy then clears. They are put back on the
	// final response, over the upstream's of the same names, and on Pome's
	// own error answer.
	own http.Header

	// key and action are what was authorized, checked again when a change
	// touches the key (openRequests).
	key    string
	action pome.Action
	from   netip.Addr // the client's address
	scopes []string   // the upstream's
	// cancel ends the forwarded request, with the cause: errUpstreamIdle,
	// or the *pome.Error that now refuses the key.
	cancel     context.CancelCauseFunc
	body       upstreamBody // the upstream's response body (gateway_stream.go)
	upgraded   bool         // a 101: the connection is a tunnel
	prev, next *forwarded   // in openRequests
}

// attempt is what was authorized, as CheckPolicies takes it again.
func (fw *forwarded) attempt() authz.Attempt {
	return authz.Attempt{Action: fw.action, From: fw.from, Scopes: fw.scopes}
}

type forwardedKey struct{}

// gatewayDeps are what every upstream's handler shares.
type gatewayDeps struct {
	log     *slog.Logger
	gate    *authz.Gate
	proxies httpapi.TrustedProxies
	open    *openRequests
	cuts    cutCounters
}

// handleGateway authenticates a request as the public API does and forwards
// it to proxy, for as long as its key may be used.
func handleGateway(d *gatewayDeps, proxy http.Handler, scopes []string) http.Handler {
	log, gate, proxies := d.log, d.gate, d.proxies
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Before the key: a refused path spends no quota and counts no use.
		if !forwardablePath(r.URL) {
			writeError(w, r, log, httpapi.ErrInvalidPath)
			return
		}
		addr := proxies.ClientAddr(r)
		from := httpapi.AddrFrom(addr)
		grant, err := authorize(w, r, gate, addr, from, scopes)
		if err != nil {
			writeError(w, r, log, err)
			return
		}

		// A stream or a websocket may outlive the server's read and write
		// timeouts: they bound anonymous requests; an authenticated one
		// streams for as long as it needs.
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})

		// The upstream's response is its own: Pome's API defaults (no
		// caching, its JSON-only CSP) do not apply to it.
		h := w.Header()
		for _, k := range apiOnlyHeaders {
			delete(h, k)
		}
		fw := &forwarded{owner: grant.Owner, credits: grant.Credits, client: addr, own: make(http.Header, len(pomeResponseHeaders)),
			action: httpapi.ActionOf(r.Method), from: from, scopes: scopes}
		fw.key, _ = httpapi.APIKeyFrom(r.Header)
		fw.proto, fw.host = proxies.Origin(r)
		for _, k := range pomeResponseHeaders {
			if v, ok := h[k]; ok {
				fw.own[k] = v
				delete(h, k)
			}
		}
		ctx, cancel := context.WithCancelCause(r.Context())
		fw.cancel = cancel
		defer cancel(nil)
		d.open.add(fw)
		defer d.open.remove(fw)
		// Runs also while the proxy's http.ErrAbortHandler unwinds: the
		// access log and the metrics then see how the request ended.
		completed := false
		defer func() { fw.end(ctx, r, recorderOf(w), completed, log, d.cuts) }()
		proxy.ServeHTTP(flushingWriter{recorderOf(w)}, r.WithContext(context.WithValue(ctx, forwardedKey{}, fw)))
		completed = true
	})
}

// restoreOwn sets Pome's own headers on h, replacing any of the same names.
func (fw *forwarded) restoreOwn(h http.Header) {
	for k, v := range fw.own {
		h[k] = v
	}
}

// apiOnlyHeaders are the headers apiHeaders and securityHeaders set for
// Pome's own answers and a forwarded response goes without (it keeps the
// upstream's own). HSTS stays: it is the host's policy, not the API's.
var apiOnlyHeaders = []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "Cache-Control", "X-Content-Type-Options"}

// pomeResponseHeaders are the headers Pome sets on a forwarded response,
// which win over an upstream's of the same name when Pome set them
// (forwarded.own).
var pomeResponseHeaders = []string{headerRequestID, "Strict-Transport-Security",
	ratelimit.HeaderLimit, ratelimit.HeaderRemaining, ratelimit.HeaderReset, ratelimit.HeaderPolicy, ratelimit.HeaderRateLimit}

// newProxy returns the reverse proxy to one upstream.
func newProxy(log *slog.Logger, up Upstream, transport http.RoundTripper, idle time.Duration) *httputil.ReverseProxy {
	target := up.Target
	return &httputil.ReverseProxy{
		Transport: transport,
		// ReverseProxy has already removed the hop-by-hop headers (those
		// Connection names included), so a header listed in Connection
		// cannot remove what is set here.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			out := pr.Out.Header
			for k := range out {
				if isClientIdentityHeader(k) {
					delete(out, k)
				}
			}
			stripSessionCookies(out)
			fw, ok := pr.In.Context().Value(forwardedKey{}).(*forwarded)
			if !ok {
				delete(out, "Authorization") // not reached: the handler always sets fw
				delete(out, httpapi.HeaderAPIKey)
				return
			}
			// Who the client is, as Pome sees it: the upstream needs no
			// list of proxies of its own.
			out["X-Forwarded-For"] = []string{fw.client}
			out["X-Forwarded-Host"] = []string{fw.host}
			out["X-Forwarded-Proto"] = []string{fw.proto}
			id := httpapi.IdentityOf(&fw.owner)
			if fw.credits.Metered {
				id.CreditsRemaining = &fw.credits.Remaining
			}
			httpapi.ForwardIdentity(out, id)
			// The upstream logs the id the client and Pome's log show.
			if id := fw.own[headerRequestID]; len(id) > 0 {
				out[headerRequestID] = id
			}
		},
		ModifyResponse: func(res *http.Response) error {
			if fw, ok := res.Request.Context().Value(forwardedKey{}).(*forwarded); ok {
				fw.clientResponse(res, target)
				fw.restoreOwn(res.Header)
				fw.watch(res, idle)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// Pome's headers are back: its answer carries its request id,
			// and so does the access log's line when nobody is left to
			// answer.
			if fw, ok := r.Context().Value(forwardedKey{}).(*forwarded); ok {
				fw.restoreOwn(w.Header())
			}
			if r.Context().Err() != nil {
				// The key refused while the upstream had not answered
				// yet: that is the answer. Else the client has gone:
				// nobody to answer.
				var refused *pome.Error
				if !errors.As(context.Cause(r.Context()), &refused) {
					return
				}
				err = refused
			}
			// The answer is Pome's again: its API headers come back.
			h := w.Header()
			h["Content-Security-Policy"] = cspAPI
			h["X-Frame-Options"] = frameDeny
			h["Referrer-Policy"] = noReferrer
			h["Cache-Control"] = noStore
			h["X-Content-Type-Options"] = noSniff
			var refused *pome.Error
			if errors.As(err, &refused) {
				writeError(w, r, log, refused)
				return
			}
			e := httpapi.ErrUpstream
			if isTimeout(err) {
				e = httpapi.ErrUpstreamTimeout
			}
			writeError(w, r, log, e.WithCause(fmt.Errorf("httpserver: gateway to %s: %w", target.Host, err)))
		},
		ErrorLog:   slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BufferPool: copyBuffers,
		// No FlushInterval: ReverseProxy flushes a body of unknown length
		// (and server-sent events) as it comes by itself, and the handler
		// flushes every write of the others (flushingWriter). A
		// FlushInterval of -1 would flush those too, but from a timer
		// goroutine started per response that first sends the headers
		// alone: two writes to the socket for a small answer, and a third
		// of the gateway's time (docs/performance.md).
	}
}

// flushingWriter flushes every body write: a stream (a /drip, a long
// poll) reaches the client as the upstream sends it, also when the
// upstream declared a Content-Length, where ReverseProxy would otherwise
// let the bytes sit in the server's buffer (TestGatewayFlushesStreams).
// Bodies are copied in 32 KiB reads, so a bulk download still flushes big
// writes; a small answer goes out in one write with its headers.
type flushingWriter struct{ *recorder }

func (w flushingWriter) Write(p []byte) (int, error) {
	n, err := w.recorder.Write(p)
	w.recorder.Flush()
	return n, err
}

// copyBuffers recycles the buffers bodies are copied through: without it
// ReverseProxy allocates 32 KiB per response, most of the garbage a
// forwarded request makes.
var copyBuffers = &bufferPool{sync.Pool{New: func() any { return new([32 << 10]byte) }}}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte { return b.p.Get().(*[32 << 10]byte)[:] }
func (b *bufferPool) Put(p []byte) {
	if cap(p) == 32<<10 {
		b.p.Put((*[32 << 10]byte)(p[:32<<10]))
	}
}

// newTransport is the transport to upstreams: no proxy from the
// environment, bounded dial and response-header waits, enough idle
// connections that a busy gateway reuses them rather than dialing anew, and
// no compression of its own: the transport would otherwise ask for gzip
// when the client did not, and gunzip the answer, so that a client would
// not get the upstream's bytes (nor its Content-Encoding and Length).
func newTransport(g Gateway) http.RoundTripper {
	if g.Transport != nil {
		return g.Transport
	}
	dial, resp := g.DialTimeout, g.ResponseTimeout
	if dial <= 0 {
		dial = DefaultUpstreamDialTimeout
	}
	if resp <= 0 {
		resp = DefaultUpstreamResponseTimeout
	}
	d := &net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   dial,
		ResponseHeaderTimeout: resp,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// isTimeout reports an upstream that did not connect or answer in time.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// clientIdentityHeaders name, besides X-Forwarded-*, the headers in which
// proxies and CDNs tell a backend who the client is. An upstream reads that
// from Pome only (X-Forwarded-For, -Proto, -Host): a client's own would let
// it pick the address an upstream logs, limits or allows.
var clientIdentityHeaders = []string{"forwarded", "x-real-ip", "true-client-ip", "cf-connecting-ip",
	"x-client-ip", "fly-client-ip", "fastly-client-ip", "x-cluster-client-ip"}

// isClientIdentityHeader reports a header that says who the client is.
func isClientIdentityHeader(k string) bool {
	if httpapi.HasNamePrefix(k, "x-forwarded-") {
		return true
	}
	for _, name := range clientIdentityHeaders {
		if len(k) == len(name) && httpapi.HasNamePrefix(k, name) {
			return true
		}
	}
	return false
}

// forwardablePath reports whether u's path may be forwarded. An upstream
// must only ever see paths under its prefix and its base path, whatever it
// makes of dot-segments, encoded separators, backslashes and path
// parameters, so a path that any of them could lead out of is refused
// rather than cleaned (docs/protect.md): one that is not absolute (a
// CONNECT's authority, an opaque URL); a segment of dots only (".", "..",
// also "..;param", also percent-encoded: ServeMux cleans the raw path, and
// not on CONNECT at all); an encoded slash; a backslash, raw or encoded; a
// control character (NUL); and an encoded dot, slash or backslash left
// after decoding, for an upstream that decodes twice.
func forwardablePath(u *url.URL) bool {
	p := u.Path
	if u.Opaque != "" || !strings.HasPrefix(p, "/") || hasEscaped(u.RawPath, "/") || hasEscaped(p, "./\\") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		name, _, _ := strings.Cut(seg, ";")
		if name != "" && strings.Trim(name, ".") == "" {
			return false
		}
	}
	return true
}

// hasEscaped reports whether s holds a percent-encoded byte of chars, in
// either case of hex digits.
func hasEscaped(s, chars string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if hi, lo := unhex(s[i+1]), unhex(s[i+2]); hi >= 0 && lo >= 0 && strings.IndexByte(chars, byte(hi<<4|lo)) >= 0 {
			return true
		}
	}
	return false
}

// unhex is the value of the hex digit c, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// sessionCookieNames are the dashboard's session cookies: a browser sends
// them with every request to the host, gateway paths included, and an
// upstream must never see them.
var sessionCookieNames = []string{"pome_session", "__Host-pome_session"}

// stripSessionCookies removes Pome's session cookies from the Cookie
// headers of h, keeping the others as they were.
func stripSessionCookies(h http.Header) {
	lines := h["Cookie"]
	if len(lines) == 0 {
		return
	}
	var kept []string
	for _, line := range lines {
		var parts []string
		for part := range strings.SplitSeq(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if isSessionCookie(name) {
				continue
			}
			if p := strings.TrimSpace(part); p != "" {
				parts = append(parts, p)
			}
		}
		if len(parts) > 0 {
			kept = append(kept, strings.Join(parts, "; "))
		}
	}
	if len(kept) == 0 {
		delete(h, "Cookie")
		return
	}
	h["Cookie"] = kept
}

// isSessionCookie reports one of Pome's session cookies, in any case:
// browsers read a __Host- prefix in any case.
func isSessionCookie(name string) bool {
	for _, n := range sessionCookieNames {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// pomeNamespaces are the path prefixes of Pome's own API.
var pomeNamespaces = []string{"/api/", "/v1/"}

// addGatewayRoutes registers one route per upstream, and reserves Pome's own
// paths (patterns: the routes registered so far) that an upstream prefix
// covers: a method Pome does not serve there is answered 405 by fallback,
// never forwarded. It returns the upstreams' patterns. Pome's routes win
// over an upstream's prefix because ServeMux prefers the more specific.
func addGatewayRoutes(mux *http.ServeMux, cfg Config, chain func(http.Handler) http.Handler, patterns []string, fallback http.Handler) []string {
	g := cfg.Gateway
	if len(g.Upstreams) == 0 {
		return nil
	}
	reserved := map[string]bool{}
	for _, p := range patterns {
		_, path, _ := strings.Cut(p, " ")
		// A literal path (fallback.go) would conflict with the wildcard
		// route that matches it too, whose reservation answers for it.
		if _, literal := literalPaths[path]; path == "" || reserved[path] || literal {
			continue
		}
		for _, up := range g.Upstreams {
			if strings.HasPrefix(path, up.Prefix) {
				reserved[path] = true
				mux.Handle(path, fallback)
				break
			}
		}
	}
	// Pome's own namespaces: an unknown path there is a mistyped call of
	// Pome's API, answered by Pome (404 route_not_found), not a request for
	// the upstream that takes everything else. An upstream whose prefix is
	// in one of them (/v1/, /api/v2/) still takes its own paths.
	for _, ns := range pomeNamespaces {
		covered, own := false, false
		for _, up := range g.Upstreams {
			covered = covered || strings.HasPrefix(ns, up.Prefix)
			own = own || up.Prefix == ns
		}
		if covered && !own && !reserved[ns] {
			mux.Handle(ns, fallback)
		}
	}
	transport := newTransport(g)
	idle := g.IdleTimeout
	if idle <= 0 {
		idle = DefaultUpstreamIdleTimeout
	}
	d := &gatewayDeps{log: cfg.Log, gate: cfg.Gate, proxies: cfg.Proxies,
		open: newOpenRequests(cfg.Verifier, cfg.Log), cuts: newCutCounters(cfg.Metrics)}
	var out []string
	for _, up := range g.Upstreams {
		proxy := newProxy(cfg.Log, up, transport, idle)
		mux.Handle(up.Prefix, chain(handleGateway(d, proxy, up.Scopes)))
		out = append(out, up.Prefix)
	}
	return out
}

// coversRoot reports whether an upstream takes every path ("/"): then it,
// not the JSON 404, is what answers unknown paths.
func (g Gateway) coversRoot() bool {
	for _, up := range g.Upstreams {
		if up.Prefix == "/" {
			return true
		}
	}
	return false
}
