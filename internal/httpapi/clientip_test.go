package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/pomehq/pome/internal/httpapi"
)

// The address a per-IP limit counts: the connection's host, an IPv6 client
// by its /64, and never a header.
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
			if got := httpapi.ClientIP(r); got != c.want {
				t.Errorf("ClientIP(RemoteAddr %q) = %q, want %q", c.remote, got, c.want)
			}
		})
	}
}

// An IPv4 client, the common case, costs no allocation: ClientIP runs on
// every request that a per-IP limit counts. (Not parallel: AllocsPerRun
// counts the whole process's allocations.)
func TestClientIPAllocs(t *testing.T) {
	r := &http.Request{RemoteAddr: "203.0.113.7:52100"}
	if n := testing.AllocsPerRun(100, func() { httpapi.ClientIP(r) }); n != 0 {
		t.Errorf("ClientIP(IPv4) allocs = %v, want 0", n)
	}
}
