package testenv_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/testenv"
)

// echo serves a line-echo server until the test ends and returns its address.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// A stopped proxy accepts connections and forwards nothing on them, old or
// new, without closing any: the client sees silence, not an error. Resume
// delivers what was held.
func TestProxyStop(t *testing.T) {
	t.Parallel()
	p := testenv.NewProxy(t, echo(t))
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatalf("dial the proxy: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	// roundTrip sends a line and reads the echo, waiting at most wait.
	roundTrip := func(c net.Conn, r *bufio.Reader, wait time.Duration) (string, error) {
		if _, err := c.Write([]byte("ping\n")); err != nil {
			return "", err
		}
		c.SetReadDeadline(time.Now().Add(wait))
		return r.ReadString('\n')
	}
	old, oldR := dial()
	if got, err := roundTrip(old, oldR, 5*time.Second); got != "ping\n" || err != nil {
		t.Fatalf("through the proxy: %q, %v; want the echo", got, err)
	}

	p.Stop()
	fresh, freshR := dial() // accepted while stopped
	type conn struct {
		conn net.Conn
		r    *bufio.Reader
	}
	conns := map[string]conn{"old": {old, oldR}, "new": {fresh, freshR}}
	for name, c := range conns {
		// Nothing may come back, however long one waits: a short wait
		// cannot make a correct proxy fail.
		if got, err := roundTrip(c.conn, c.r, 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s connection through the stopped proxy: %q, %v; want silence (a read timeout)", name, got, err)
		}
	}

	p.Resume()
	for name, c := range conns {
		// The echo of the line held while stopped, then of a new one.
		for i := range 2 {
			if i == 1 {
				c.conn.Write([]byte("ping\n"))
			}
			c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if got, err := c.r.ReadString('\n'); got != "ping\n" || err != nil {
				t.Errorf("%s connection after Resume, line %d: %q, %v; want the echo", name, i+1, got, err)
			}
		}
	}
}
