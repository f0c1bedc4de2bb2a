package httpserver_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/httpserver"
)

// coarseServer is an http.Server with short timeouts on a CoarseDeadlines
// listener, answering "ok" to every request, or, for /big, a body larger
// than the socket buffers hold, whose write's error it sends on bigErr.
func coarseServer(t *testing.T, srv *http.Server, bigErr chan<- error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 64<<20))
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, err := w.Write(big)
			bigErr <- err
			return
		}
		io.WriteString(w, "ok")
	})
	go srv.Serve(httpserver.CoarseDeadlines(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes c within d: a read gets
// EOF or a reset, not its own deadline.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// The server's timeouts still end slow clients with the deadlines kept by
// the watchdog: a header section never finished (ReadHeaderTimeout), a
// body never sent (ReadTimeout), an idle keep-alive connection
// (IdleTimeout), a client that never reads its answer (WriteTimeout);
// and a deadline moved later by a new request does not end a live one.
func TestCoarseDeadlinesEndSlowClients(t *testing.T) {
	const timeout = 300 * time.Millisecond
	bigErr := make(chan error, 1)
	addr := coarseServer(t, &http.Server{ReadHeaderTimeout: timeout, ReadTimeout: 2 * timeout,
		WriteTimeout: 2 * timeout, IdleTimeout: timeout}, bigErr)
	dial := func(t *testing.T) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("header section never finished", func(t *testing.T) {
		c := dial(t)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
		start := time.Now()
		if !closedWithin(t, c, 10*time.Second) {
			t.Fatal("the connection outlived ReadHeaderTimeout by 10 s")
		}
		if d := time.Since(start); d < timeout {
			t.Errorf("closed after %s, before ReadHeaderTimeout (%s)", d, timeout)
		}
	})
	t.Run("body never sent", func(t *testing.T) {
		c := dial(t)
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
		if !closedWithin(t, c, 10*time.Second) {
			t.Fatal("the connection outlived ReadTimeout by 10 s")
		}
	})
	t.Run("idle", func(t *testing.T) {
		c := dial(t)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if !closedWithin(t, c, 10*time.Second) {
			t.Fatal("the idle connection outlived IdleTimeout by 10 s")
		}
	})
	t.Run("answer never read", func(t *testing.T) {
		c := dial(t)
		c.(*net.TCPConn).SetReadBuffer(4 << 10)
		io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		wantTimeout(t, "the blocked write", bigErr)
	})
	t.Run("requests within the timeouts", func(t *testing.T) {
		// Each request moves the deadlines later; none may fire early.
		c := dial(t)
		r := bufio.NewReader(c)
		for range 8 {
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("a request within the timeouts: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			time.Sleep(timeout / 2)
		}
	})
}

// A deadline set on a connection directly behaves as net.Conn says: a
// passed one fails a pending read at once and is lifted by the next, a
// future one fails the read once it passes, and one moved later or
// cleared does not.
func TestCoarseDeadlineConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cln := httpserver.CoarseDeadlines(ln)
	t.Cleanup(func() { cln.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := cln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	read := func() chan error {
		done := make(chan error, 1)
		go func() {
			_, err := c.Read(make([]byte, 1))
			done <- err
		}()
		return done
	}
	wantRead := func(t *testing.T, done chan error) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("read = %v, want a byte", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the read got nothing in 10 s")
		}
	}
	wantPending := func(t *testing.T, done chan error, d time.Duration) {
		t.Helper()
		select {
		case err := <-done:
			t.Fatalf("read ended with %v, want it still waiting", err)
		case <-time.After(d):
		}
	}

	t.Run("passed deadline ends a pending read at once", func(t *testing.T) {
		done := read()
		wantPending(t, done, 50*time.Millisecond)
		c.SetReadDeadline(time.Unix(1, 0))
		wantTimeout(t, "the read", done)
		c.SetReadDeadline(time.Time{})
		done = read()
		client.Write([]byte("a"))
		wantRead(t, done)
	})
	t.Run("future deadline passes", func(t *testing.T) {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		wantTimeout(t, "the read", read())
		c.SetReadDeadline(time.Time{})
	})
	t.Run("moved later or cleared", func(t *testing.T) {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		c.SetReadDeadline(time.Now().Add(time.Hour))
		done := read()
		wantPending(t, done, 500*time.Millisecond)
		c.SetDeadline(time.Now().Add(100 * time.Millisecond))
		c.SetDeadline(time.Time{})
		wantPending(t, done, 500*time.Millisecond)
		client.Write([]byte("b"))
		wantRead(t, done)
	})
}

// wantTimeout fails t unless what, whose error done delivers, ends with a
// deadline's timeout within 10 s.
func wantTimeout(t *testing.T, what string, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s = %v, want a timeout", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s outlived its deadline by 10 s", what)
	}
}
