package httpserver

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// net/http moves a connection's deadlines six to eight times a request when
// the server has timeouts (ReadHeaderTimeout, ReadTimeout, WriteTimeout,
// IdleTimeout): each future deadline arms or moves a runtime timer, and the
// next clears it. Profiled under load that was about a microsecond a
// request (docs/performance.md). CoarseDeadlines keeps the future
// deadlines itself instead, a field write each, and one watchdog goroutine
// applies those that pass, so that a timeout ends I/O as before, up to
// deadlineTick late. A deadline already past, which is how net/http
// interrupts a read it no longer wants, reaches the connection at once.

// deadlineTick is how often the watchdog looks for passed deadlines: how
// late a timeout may end a connection's I/O.
const deadlineTick = 100 * time.Millisecond

// CoarseDeadlines returns ln with its connections' future deadlines kept by
// a watchdog (above). The watchdog stops once ln is closed and its last
// connection is.
func CoarseDeadlines(ln net.Listener) net.Listener {
	w := &watchdog{conns: make(map[*deadlineConn]struct{})}
	w.now.Store(time.Now().UnixNano())
	go w.run()
	return &deadlineListener{Listener: ln, w: w}
}

type deadlineListener struct {
	net.Listener
	w *watchdog
}

func (l *deadlineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	dc := &deadlineConn{Conn: c, w: l.w}
	l.w.mu.Lock()
	l.w.conns[dc] = struct{}{}
	l.w.mu.Unlock()
	return dc, nil
}

func (l *deadlineListener) Close() error {
	err := l.Listener.Close()
	l.w.mu.Lock()
	l.w.closed = true
	l.w.mu.Unlock()
	return err
}

// watchdog applies its connections' passed deadlines every deadlineTick.
type watchdog struct {
	mu     sync.Mutex
	conns  map[*deadlineConn]struct{}
	closed bool // the listener is: stop with the last connection
	// now is the last tick's time, unix nanoseconds: a deadline before it
	// has passed. Atomic: every deadline set reads it.
	now atomic.Int64
}

func (w *watchdog) run() {
	t := time.NewTicker(deadlineTick)
	defer t.Stop()
	for now := range t.C {
		if !w.tick(now) {
			return
		}
	}
}

// tick applies the deadlines passed at now; false when the watchdog is done.
func (w *watchdog) tick(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	ns := now.UnixNano()
	w.now.Store(ns)
	for c := range w.conns {
		c.mu.Lock()
		c.read.expire(ns, c.Conn.SetReadDeadline)
		c.write.expire(ns, c.Conn.SetWriteDeadline)
		c.mu.Unlock()
	}
	return !w.closed || len(w.conns) > 0
}

// passed reports whether t is before the last tick: no later tick would
// apply it, so it is applied at once.
func (w *watchdog) passed(t time.Time) bool { return t.UnixNano() <= w.now.Load() }

// deadlineConn is a connection whose future deadlines its watchdog keeps.
type deadlineConn struct {
	net.Conn
	w *watchdog

	mu          sync.Mutex
	read, write deadline
}

// deadline is one direction's deadline.
type deadline struct {
	at    int64 // unix nanoseconds of the deadline the watchdog keeps; 0: none
	fired bool  // the connection holds a passed deadline: its I/O fails
}

// set makes t the deadline, the connection's lock held; apply sets it on
// the connection itself.
func (d *deadline) set(t time.Time, passed bool, apply func(time.Time) error) error {
	switch {
	case t.IsZero():
		d.at = 0
	case passed:
		d.at, d.fired = 0, true
		return apply(t)
	default:
		d.at = t.UnixNano()
	}
	if d.fired { // lift the passed one: I/O goes on until the new deadline
		d.fired = false
		return apply(time.Time{})
	}
	return nil
}

// expire applies the deadline if it passed by now, the connection's lock
// held.
func (d *deadline) expire(now int64, apply func(time.Time) error) {
	if d.at != 0 && d.at <= now {
		d.at, d.fired = 0, true
		apply(time.Unix(1, 0)) // an error here is the connection's, already closed
	}
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	passed := !t.IsZero() && c.w.passed(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read.set(t, passed, c.Conn.SetReadDeadline)
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	passed := !t.IsZero() && c.w.passed(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.write.set(t, passed, c.Conn.SetWriteDeadline)
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

func (c *deadlineConn) Close() error {
	c.w.mu.Lock()
	delete(c.w.conns, c)
	c.w.mu.Unlock()
	return c.Conn.Close()
}
