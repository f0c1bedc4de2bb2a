// Package logbuf batches log lines into few writes. The access log writes a
// line per request (docs/api.md), and a write system call a line cost more than
// encoding it; a Writer gathers the lines and writes them out when its buffer
// fills, every interval (Run), when Run ends, and at once for a record of
// warning level or above (Handler). A crash of the process loses at most the
// lines of one interval, none of them a warning or an error.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Writer buffers what is written to it for out. It is safe for concurrent
// use; each Write is kept whole, so lines never interleave.
type Writer struct {
	mu  sync.Mutex
	out io.Writer
	buf []byte
}

// New returns a Writer that holds up to size bytes before writing to out.
func New(out io.Writer, size int) *Writer {
	return &Writer{out: out, buf: make([]byte, 0, size)}
}

// Write keeps p for the next flush; when p does not fit, what is held is
// written first, and a p larger than the whole buffer goes straight out.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf)+len(p) > cap(w.buf) {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > cap(w.buf) {
			return w.out.Write(p)
		}
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes out everything held. On an error the lines are dropped: a log
// that cannot be written must not grow without bound or stop the server.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Run flushes every interval until ctx ends, then once more.
func (w *Writer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.Flush()
			return
		case <-t.C:
			w.Flush()
		}
	}
}

// Handler wraps h, which writes to w, so that a record of level or above is
// written out at once, with every line before it: what comes just before a
// crash is what an operator needs most.
func (w *Writer) Handler(h slog.Handler, level slog.Leveler) slog.Handler {
	return &urgentHandler{Handler: h, w: w, level: level}
}

type urgentHandler struct {
	slog.Handler
	w     *Writer
	level slog.Leveler
}

func (h *urgentHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.level.Level() {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *urgentHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &urgentHandler{Handler: h.Handler.WithAttrs(attrs), w: h.w, level: h.level}
}

func (h *urgentHandler) WithGroup(name string) slog.Handler {
	return &urgentHandler{Handler: h.Handler.WithGroup(name), w: h.w, level: h.level}
}
