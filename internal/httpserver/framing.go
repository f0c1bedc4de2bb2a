package httpserver

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/pomehq/pome/internal/httpapi"
)

// A request with both Content-Length and Transfer-Encoding may be framed
// one way by a proxy in front of Pome and the other way by Pome: what one
// takes for a body, the other takes for a second request (request
// smuggling). RFC 9112 §6.1 lets a server refuse such a request and has it
// close the connection after answering. net/http neither refuses it nor
// closes: it drops Content-Length and reads the chunked body, so the
// handler cannot see that both were sent. The connection itself is watched
// instead: GuardFraming's connections note a header section holding both,
// and refuseConflictingFraming answers such a request 400 and closes the
// connection.

// GuardFraming returns ln with every connection watched for header sections
// that carry both Content-Length and Transfer-Encoding, and sets
// srv.ConnContext (keeping one already set) so that the handler finds them.
// It watches plaintext HTTP/1 only: under TLS the bytes it would see are
// encrypted (and net/http must see a *tls.Conn, which it cannot wrap), so a
// connection served over TLS is not watched. A proxy in front of Pome, the
// case smuggling needs, usually speaks plaintext to it.
func GuardFraming(srv *http.Server, ln net.Listener) net.Listener {
	prev := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prev != nil {
			ctx = prev(ctx, c)
		}
		if fc, ok := c.(*framingConn); ok {
			ctx = context.WithValue(ctx, framingKey{}, fc)
		}
		return ctx
	}
	return framingListener{ln}
}

type framingListener struct{ net.Listener }

func (l framingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &framingConn{Conn: c}, nil
}

// framingKey is the context key of a request's framingConn.
type framingKey struct{}

// framingConn notes, as the server reads it, whether a header section
// (lines up to an empty one) held both a Content-Length and a
// Transfer-Encoding field. It looks only at the start of each line, so it
// costs a search for the next newline per line read. A body cannot be told
// from headers here: a body holding both field names in lines before an
// empty one would be noted too, and refuse the chunked requests of its
// connection: a price for never missing one.
type framingConn struct {
	net.Conn
	conflicting atomic.Bool

	// The server reads a connection from one goroutine at a time.
	start   [len("transfer-encoding:")]byte // the current line's first bytes
	lineLen int                             // the current line's length so far
	cl, te  bool                            // the fields seen since the last empty line
}

func (c *framingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.scan(p[:n])
	return n, err
}

func (c *framingConn) scan(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if c.lineLen < len(c.start) {
			copy(c.start[c.lineLen:], seg)
		}
		c.lineLen += len(seg)
		if i < 0 {
			return // the line goes on in the next read
		}
		c.endLine()
		p = p[i+1:]
	}
}

// endLine takes note of the line just read.
func (c *framingConn) endLine() {
	line := c.start[:min(c.lineLen, len(c.start))]
	switch {
	case c.lineLen == 0 || c.lineLen == 1 && line[0] == '\r':
		if c.cl && c.te {
			c.conflicting.Store(true)
		}
		c.cl, c.te = false, false
	case hasFieldPrefix(line, "content-length:"):
		c.cl = true
	case hasFieldPrefix(line, "transfer-encoding:"):
		c.te = true
	}
	c.lineLen = 0
}

func hasFieldPrefix(line []byte, name string) bool {
	return len(line) >= len(name) && strings.EqualFold(string(line[:len(name)]), name)
}

// refuseConflictingFraming answers 400 conflicting_framing, and closes the
// connection, for a request whose connection carried a header section with
// both Content-Length and Transfer-Encoding (GuardFraming): net/http reads
// such a request by its Transfer-Encoding (chunked), or, over HTTP/1.0, by
// its Content-Length. Other requests on such a connection, read before it,
// are served.
func refuseConflictingFraming(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, ok := r.Context().Value(framingKey{}).(*framingConn); ok && c.conflicting.Load() &&
				(len(r.TransferEncoding) > 0 || !r.ProtoAtLeast(1, 1)) {
				w.Header().Set("Connection", "close")
				writeError(w, r, log, httpapi.ErrConflictingFraming)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
