package testenv

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy between a test's code and a service (PostgreSQL,
// Redis) that can be made to stop forwarding: a black-holed network, as when
// a route or a firewall drops every packet. While stopped it still accepts
// connections, as the network's far side of a load balancer would, and
// holds them, and every connection, old or new, forwards nothing either way
// until Resume. Nothing is closed by the proxy: clients see neither a
// refusal nor a reset, only silence, which is what their deadlines are for.
//
// The service itself is left running: other tests share it.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	resumed chan struct{} // closed while forwarding; replaced by Stop
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// NewProxy listens on a loopback port and forwards each connection to
// target (host:port) until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target, resumed: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	close(p.resumed)
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// ProxyURL starts a Proxy to the host of rawURL (a postgres:// or redis://
// URL) and returns rawURL with the proxy's address as its host.
func ProxyURL(t testing.TB, rawURL string) (string, *Proxy) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("testenv: proxy: %v", err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// Addr is the proxy's host:port, to put in the service's URL instead of the
// service's own.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Stop makes the proxy forward nothing until Resume: bytes sent either way
// are held, not delivered.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
		p.resumed = make(chan struct{})
	default: // already stopped
	}
}

// Resume delivers what was held and forwards again.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
	default:
		close(p.resumed)
	}
}

// forwarding returns a channel closed while the proxy forwards.
func (p *Proxy) forwarding() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resumed
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, up) {
			return
		}
		p.wg.Go(func() { p.pipe(up, c) })
		p.wg.Go(func() { p.pipe(c, up) })
	}
}

// track registers a connection pair for close, unless the proxy is closed.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// pipe copies from src to dst, each read waiting while the proxy is stopped
// before it is written on; when either side ends, both are closed.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			<-p.forwarding()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close ends the proxy and every connection through it.
func (p *Proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	select {
	case <-p.resumed:
	default:
		close(p.resumed) // let held pipes see their closed connections
	}
	p.mu.Unlock()
	p.wg.Wait()
}
