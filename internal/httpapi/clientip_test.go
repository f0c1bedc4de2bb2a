package httpapi_test

import (
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/pomehq/pome/internal/httpapi"
)

func mustTrust(t testing.TB, list string) httpapi.TrustedProxies {
	t.Helper()
	tp, err := httpapi.ParseTrustedProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// The address a per-IP limit counts: the connection's host, an IPv6 client
// by its /64, and never a header when no proxy is trusted.
func TestClientIP(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, remote, want string
	}{
		{"IPv4", "203.0.113.7:52100", "203.0.113.7"},
		{"IPv6 by its /64", "[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"IPv6 with a zone", "[fe80::1%eth0]:443", "fe80::/64"},
		{"IPv4-mapped IPv6", "[::ffff:203.0.113.7]:443", "203.0.113.7"},
		{"no port", "203.0.113.7", "203.0.113.7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: c.remote, Header: http.Header{"X-Forwarded-For": {"198.51.100.1"}}}
			if got := httpapi.TrustedProxies(nil).ClientIP(r); got != c.want {
				t.Errorf("ClientIP(RemoteAddr %q) = %q, want %q", c.remote, got, c.want)
			}
		})
	}
}

// Behind trusted proxies the client is the rightmost X-Forwarded-For address
// that is not a trusted proxy's: what a client writes to the left of it is
// never believed, and an untrusted peer's header not at all.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := mustTrust(t, "10.0.0.0/8, 192.0.2.1, fd00::/8")
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"untrusted peer: header ignored", "203.0.113.7:1", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted peer in a trusted proxy's clothes", "203.0.113.7:1", []string{"10.0.0.1"}, "203.0.113.7"},
		{"trusted peer, no header", "10.0.0.1:1", nil, "10.0.0.1"},
		{"trusted peer", "10.0.0.1:1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"single trusted address", "192.0.2.1:1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"next to the single address is not trusted", "192.0.2.2:1", []string{"198.51.100.1"}, "192.0.2.2"},
		{"spoofed left part", "10.0.0.1:1", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.0.0.1:1", []string{"1.2.3.4, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"repeated header lines are one list", "10.0.0.1:1", []string{"1.2.3.4, 198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"all trusted: the leftmost", "10.0.0.1:1", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"empty elements", "10.0.0.1:1", []string{"198.51.100.1,, ", ""}, "198.51.100.1"},
		{"no address ends the walk", "10.0.0.1:1", []string{"198.51.100.1, unknown, 10.2.2.2"}, "10.2.2.2"},
		{"garbage next to the peer", "10.0.0.1:1", []string{"1.2.3.4, <script>"}, "10.0.0.1"},
		{"address with a port", "10.0.0.1:1", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"IPv6 with a port", "10.0.0.1:1", []string{"[2001:db8::7]:5555"}, "2001:db8::7"},
		{"IPv6 peer and client", "[fd00::1]:1", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped trusted hop", "10.0.0.1:1", []string{"198.51.100.1, ::ffff:10.3.3.3"}, "198.51.100.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
			if c.xff != nil {
				r.Header["X-Forwarded-For"] = c.xff
			}
			if got := trusted.ClientAddr(r); got != c.want {
				t.Errorf("ClientAddr(RemoteAddr %q, X-Forwarded-For %q) = %q, want %q", c.remote, c.xff, got, c.want)
			}
		})
	}
}

// X-Forwarded-Proto and -Host are believed from a trusted proxy only, and
// only when they are a scheme and a host.
func TestOrigin(t *testing.T) {
	t.Parallel()
	trusted := mustTrust(t, "10.0.0.0/8")
	for _, c := range []struct {
		name, remote string
		tls          bool
		header       http.Header
		proto, host  string
	}{
		{"plain", "203.0.113.7:1", false, nil, "http", "pome.test"},
		{"TLS", "203.0.113.7:1", true, nil, "https", "pome.test"},
		{"untrusted peer", "203.0.113.7:1", false, http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil.test"}}, "http", "pome.test"},
		{"trusted peer", "10.0.0.1:1", false, http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"api.example.com"}}, "https", "api.example.com"},
		{"trusted peer says http over TLS", "10.0.0.1:1", true, http.Header{"X-Forwarded-Proto": {"HTTP"}}, "http", "pome.test"},
		{"the nearest proxy's value", "10.0.0.1:1", false, http.Header{"X-Forwarded-Proto": {"http, https"}, "X-Forwarded-Host": {"a.test", "b.test:8443"}}, "https", "b.test:8443"},
		{"not a scheme or a host", "10.0.0.1:1", false, http.Header{"X-Forwarded-Proto": {"javascript"}, "X-Forwarded-Host": {"a.test/evil"}}, "http", "pome.test"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: c.remote, Host: "pome.test", Header: c.header}
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if proto, host := trusted.Origin(r); proto != c.proto || host != c.host {
				t.Errorf("Origin = %q, %q; want %q, %q", proto, host, c.proto, c.host)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"10.0.0.0/8", "10.0.0.0/8", true},
		{" 10.1.2.3/8 , 2001:db8::/32", "10.0.0.0/8,2001:db8::/32", true},
		{"192.0.2.1", "192.0.2.1/32", true},
		{"2001:db8::1", "2001:db8::1/128", true},
		{"", "", false},
		{"10.0.0.0/8,", "", false},
		{"10.0.0.0/33", "", false},
		{"proxy.internal", "", false},
		{"fe80::1%eth0", "", false},
		{"::ffff:10.0.0.0/104", "", false},
	} {
		got, err := httpapi.ParseTrustedProxies(c.in)
		if (err == nil) != c.ok || c.ok && got.String() != c.want {
			t.Errorf("ParseTrustedProxies(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

// An IPv4 client, the common case, costs no allocation, directly or behind a
// trusted proxy: ClientIP runs on every request that a per-IP limit counts.
// (Not parallel: AllocsPerRun counts the whole process's allocations.)
func TestClientIPAllocs(t *testing.T) {
	trusted := mustTrust(t, "10.0.0.0/8,fd00::/8")
	for _, c := range []struct {
		name    string
		proxies httpapi.TrustedProxies
		r       *http.Request
	}{
		{"direct", nil, &http.Request{RemoteAddr: "203.0.113.7:52100"}},
		{"behind a trusted proxy", trusted, &http.Request{RemoteAddr: "10.0.0.1:52100",
			Header: http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.7, 10.9.9.9"}}}},
	} {
		if n := testing.AllocsPerRun(100, func() { c.proxies.ClientIP(c.r) }); n != 0 {
			t.Errorf("ClientIP(IPv4, %s) allocs = %v, want 0", c.name, n)
		}
	}
}
