package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the reverse proxies in front of a server whose
// forwarding headers it believes (pome serve --trusted-proxies). Empty, the
// default, believes none: the client is the connection's peer. A list of a
// few prefixes is checked in a few nanoseconds, and no check allocates.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies parses a comma-separated list of IPv4 or IPv6 CIDR
// prefixes and single addresses (a single address is its /32 or /128).
func ParseTrustedProxies(list string) (TrustedProxies, error) {
	var t TrustedProxies
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		var p netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			p, err = netip.ParsePrefix(item)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(item); err == nil && a.Zone() == "" {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil || !p.IsValid() {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix such as 10.0.0.0/8 or fd00::/8", item)
		}
		// Addresses are compared unmapped (contains): an IPv4 range
		// written as IPv4-mapped IPv6 would never match.
		if p.Addr().Is4In6() {
			return nil, fmt.Errorf("trusted proxy %q: write an IPv4 range as IPv4", item)
		}
		t = append(t, p.Masked())
	}
	return t, nil
}

// String lists the prefixes as ParseTrustedProxies reads them.
func (t TrustedProxies) String() string {
	s := make([]string, len(t))
	for i, p := range t {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// contains reports whether a is a trusted proxy's address.
func (t TrustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// trusts reports whether peer, a connection's address, is a trusted proxy's.
func (t TrustedProxies) trusts(peer string) bool {
	if len(t) == 0 {
		return false
	}
	a, err := netip.ParseAddr(peer)
	return err == nil && t.contains(a)
}

// ClientAddr is the client's IP address, as the audit log, the access log
// and gateway mode's X-Forwarded-For give it: the connection's peer; or, when
// the peer is a trusted proxy, the rightmost address of X-Forwarded-For that
// is not itself a trusted proxy's (each proxy appends the address it was
// connected from, so everything left of the first untrusted one is the
// client's to write). If every address is trusted, the leftmost. An entry
// that is no address ends the walk at the last one read: no trusted proxy
// writes one, so the client did. It allocates nothing: TestClientIPAllocs.
func (t TrustedProxies) ClientAddr(r *http.Request) string {
	client := peerAddr(r)
	if !t.trusts(client) {
		return client
	}
	xff := r.Header["X-Forwarded-For"]
	for i := len(xff) - 1; i >= 0; i-- {
		// Repeated header lines are one list, in order.
		for rest := xff[i]; rest != ""; {
			entry := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				rest = ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, host, ok := forwardedAddr(entry)
			if !ok {
				return client
			}
			client = host
			if !t.contains(a) {
				return client
			}
		}
	}
	return client
}

// forwardedAddr parses one X-Forwarded-For entry: an address, or an address
// and a port as some load balancers write it.
func forwardedAddr(entry string) (netip.Addr, string, bool) {
	if a, err := netip.ParseAddr(entry); err == nil {
		return a, entry, true
	}
	host, _, err := net.SplitHostPort(entry)
	if err != nil {
		return netip.Addr{}, "", false
	}
	a, err := netip.ParseAddr(host)
	return a, host, err == nil
}

// Origin is the scheme ("http" or "https") and host the client asked for:
// the connection's, or, from a trusted proxy, those its X-Forwarded-Proto and
// X-Forwarded-Host say (a TLS-terminating proxy speaks plain HTTP to Pome).
// The last value of each is the one the nearest proxy wrote; a value that is
// not a scheme or a host is ignored.
func (t TrustedProxies) Origin(r *http.Request) (proto, host string) {
	proto, host = "http", r.Host
	if r.TLS != nil {
		proto = "https"
	}
	if !t.trusts(peerAddr(r)) {
		return proto, host
	}
	switch p := lastValue(r.Header["X-Forwarded-Proto"]); {
	case strings.EqualFold(p, "https"):
		proto = "https"
	case strings.EqualFold(p, "http"):
		proto = "http"
	}
	if h := lastValue(r.Header["X-Forwarded-Host"]); validHost(h) {
		host = h
	}
	return proto, host
}

// lastValue is the last element of a comma-separated header list.
func lastValue(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	v := lines[len(lines)-1]
	if j := strings.LastIndexByte(v, ','); j >= 0 {
		v = v[j+1:]
	}
	return strings.TrimSpace(v)
}

// validHost reports a host[:port] made of the characters a host name, an IP
// literal and a port use: what a header could smuggle besides is refused.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-_:[]", c) >= 0) {
			return false
		}
	}
	return true
}

// peerAddr is the host of the connection's remote address.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// AddrFrom is a client's address (ClientAddr) as a key's allowed_cidrs are
// matched against it: without an IPv6 zone; the zero Addr, which no CIDR
// rule accepts, if addr is none. It does not allocate.
func AddrFrom(addr string) netip.Addr {
	a, _ := netip.ParseAddr(addr)
	return a.WithZone("")
}

// ClientIP is what a per-IP limit counts: the client's address
// (ClientAddr), an IPv6 one by its /64.
func (t TrustedProxies) ClientIP(r *http.Request) string {
	return LimitKey(t.ClientAddr(r))
}

// LimitKey is what a per-IP limit counts for a client's address. An IPv6
// client is counted by its /64, the block one subscriber usually holds, so
// that a single host cannot step around a limit by changing its address
// within it. An IPv4 address is itself, with no allocation.
func LimitKey(addr string) string {
	if strings.IndexByte(addr, ':') < 0 {
		return addr
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.WithZone("")
	if a.Is4In6() {
		return a.Unmap().String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}
