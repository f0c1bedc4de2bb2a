package logbuf_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome/internal/logbuf"
)

// recorder is the writer under a logbuf.Writer: it keeps every write apart,
// so that tests see how the lines were batched.
type recorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func mustWrite(t *testing.T, w *logbuf.Writer, s string) {
	t.Helper()
	if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v, want %d, nil", s, n, err, len(s))
	}
}

// Lines are held until a flush, then written in one call, in order.
func TestHeldUntilFlush(t *testing.T) {
	var out recorder
	w := logbuf.New(&out, 1024)
	mustWrite(t, w, "a\n")
	mustWrite(t, w, "b\n")
	if got := out.all(); len(got) != 0 {
		t.Fatalf("writes before Flush = %q, want none", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush = %v", err)
	}
	if err := w.Flush(); err != nil { // nothing held: no empty write
		t.Fatalf("second Flush = %v", err)
	}
	if got := out.all(); len(got) != 1 || got[0] != "a\nb\n" {
		t.Errorf("writes = %q, want [\"a\\nb\\n\"]", got)
	}
}

// A full buffer is written out before the line that does not fit, so a line
// is never split across writes; one larger than the buffer goes out alone,
// after what was held.
func TestFullBuffer(t *testing.T) {
	var out recorder
	w := logbuf.New(&out, 8)
	mustWrite(t, w, "1234\n")
	mustWrite(t, w, "567\n") // 9 bytes would not fit in 8
	mustWrite(t, w, "0123456789\n")
	mustWrite(t, w, "x\n")
	w.Flush()
	want := []string{"1234\n", "567\n", "0123456789\n", "x\n"}
	if got := out.all(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("writes = %q, want %q", got, want)
	}
}

// An info record waits for the flush; a warning is written out at once, with
// everything logged before it, also through a logger with attributes or a
// group.
func TestUrgentRecordsAreWrittenAtOnce(t *testing.T) {
	var out recorder
	w := logbuf.New(&out, 1<<16)
	log := slog.New(w.Handler(slog.NewJSONHandler(w, nil), slog.LevelWarn)).With("node", "a").WithGroup("g")
	log.Info("request")
	if got := out.all(); len(got) != 0 {
		t.Fatalf("writes after an info record = %q, want none", got)
	}
	log.Warn("disk slow")
	got := out.all()
	if len(got) != 1 || !strings.Contains(got[0], `"msg":"request"`) || !strings.Contains(got[0], `"msg":"disk slow"`) ||
		!strings.Contains(got[0], `"node":"a"`) {
		t.Fatalf("writes after a warning = %q, want both lines in one write", got)
	}
	log.Error("failed")
	if got := out.all(); len(got) != 2 || !strings.Contains(got[1], `"msg":"failed"`) {
		t.Errorf("writes after an error = %q, want it written at once", got)
	}
}

// Run flushes every interval, and once more when its context ends.
func TestRunFlushesEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out recorder
		w := logbuf.New(&out, 1024)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { w.Run(ctx, 100*time.Millisecond); close(done) }()

		mustWrite(t, w, "a\n")
		time.Sleep(99 * time.Millisecond)
		synctest.Wait()
		if got := out.all(); len(got) != 0 {
			t.Fatalf("writes before the interval = %q, want none", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := out.all(); len(got) != 1 || got[0] != "a\n" {
			t.Fatalf("writes after the interval = %q, want [\"a\\n\"]", got)
		}
		mustWrite(t, w, "b\n")
		cancel()
		<-done
		if got := out.all(); len(got) != 2 || got[1] != "b\n" {
			t.Errorf("writes after Run ended = %q, want the last line flushed", got)
		}
	})
}

// Concurrent writers never interleave inside a line, and nothing is lost.
func TestConcurrentLinesStayWhole(t *testing.T) {
	var out bytes.Buffer
	w := logbuf.New(&out, 100) // small: many flushes under contention
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range lines {
				fmt.Fprintf(w, "writer %d line %03d %s\n", i, j, strings.Repeat("x", i*5))
			}
		})
	}
	wg.Wait()
	w.Flush()
	want := make(map[string]bool, writers*lines)
	for i := range writers {
		for j := range lines {
			want[fmt.Sprintf("writer %d line %03d %s", i, j, strings.Repeat("x", i*5))] = true
		}
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("lines written = %d, want %d", len(got), len(want))
	}
	for _, l := range got {
		if !want[l] {
			t.Fatalf("line %q is not one whole write", l)
		}
		delete(want, l)
	}
}
