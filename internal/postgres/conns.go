package postgres

import (
	"context"
	"net"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// conns are the store's open network connections, the pool's, the LISTEN
// connection and those of pgx's cancel requests, so that Close can cut
// them when the database does not answer. pgx cannot be told to give up
// sooner: a connection whose query was cancelled is closed in the
// background after a cancel request whose answer it awaits for 15 s, and
// the pool's Close waits for that.
type conns struct {
	mu       sync.Mutex
	open     map[*conn]struct{}
	refusing bool // set by cut: no new connection
}

// conn is a connection that leaves the set when closed.
type conn struct {
	net.Conn
	set *conns
}

func (c *conn) Close() error {
	c.set.mu.Lock()
	delete(c.set.open, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

// dialer wraps pgx's dial function (pgconn.ParseConfig always sets one) so
// that every connection it makes is in the set.
func (s *conns) dialer(dial pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.refusing {
			nc.Close()
			return nil, net.ErrClosed
		}
		if s.open == nil {
			s.open = make(map[*conn]struct{})
		}
		c := &conn{Conn: nc, set: s}
		s.open[c] = struct{}{}
		return c, nil
	}
}

// cut closes every connection and refuses new ones: what waits on them
// (a read, pgx's cleanup after a cancelled query) ends at once.
func (s *conns) cut() {
	s.mu.Lock()
	s.refusing = true
	open := s.open
	s.open = nil
	s.mu.Unlock()
	for c := range open {
		c.Conn.Close()
	}
}
