package webhook

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// errPrivateAddress refuses a connection to an address inside the
// deployment's network (SSRF): an endpoint's URL is chosen by a platform
// or a team, and must not reach what only the server can.
var errPrivateAddress = errors.New("the address is loopback, private or link-local (start pome serve with --webhook-allow-private to allow it)")

// Bounds of one attempt (docs/api.md, "Webhooks").
const (
	// AttemptTimeout bounds an attempt from the dial to the last byte of
	// the response read.
	AttemptTimeout = 10 * time.Second
	// maxResponse is how much of a response is read; a longer one is a
	// failed attempt, as a receiver that misbehaves. A receiver that
	// answers 10 MB costs 64 KiB and its connection.
	maxResponse = 64 << 10
)

// public reports whether a may be dialled without --webhook-allow-private:
// not loopback, private (RFC 1918, fc00::/7), link-local, the carrier-grade
// NAT range, 0.0.0.0/8 or multicast.
func public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !cgnat.Contains(a) && !thisNetwork.Contains(a)
}

var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8") // Linux dials 0.x.y.z to the host itself
)

// NewClient is the HTTP client of deliveries: it checks the address each
// connection is about to use, after name resolution (so that a name that
// resolves to a private address is refused too, rebinding included),
// follows no redirect (a 3xx is a failed attempt), uses no proxy from the
// environment (which would dial for it, unchecked) and gives up after
// AttemptTimeout.
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: AttemptTimeout}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !public(ap.Addr()) {
				return errPrivateAddress
			}
			return nil
		}
	}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: AttemptTimeout,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     time.Minute,
		},
		Timeout: AttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
