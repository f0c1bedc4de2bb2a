package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP is what a per-IP limit counts: the host of the connection's
// remote address. No header is trusted (X-Forwarded-For, Forwarded): behind a
// reverse proxy every client shares the proxy's address (docs/security.md).
// An IPv6 client is counted by its /64, the block one subscriber usually
// holds, so that a single host cannot step around a limit by changing its
// address within it. An IPv4 address costs no allocation: TestClientIPAllocs.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if strings.IndexByte(host, ':') < 0 {
		return host
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.WithZone("")
	if a.Is4In6() {
		return a.Unmap().String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return host
	}
	return p.String()
}
