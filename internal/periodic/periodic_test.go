package periodic_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome/internal/periodic"
)

const (
	interval = time.Second
	final    = 5 * time.Second
)

// A stop in the middle of a tick that hangs (a flush with the database not
// answering) ends Run finalTimeout after the stop: the tick in flight runs
// out its own bound, no tick starts after the stop, and the last step gets
// what is left, live though ctx has ended. When the hung tick returns, the
// ticker has a tick ready as well as the stop, and select picks either: a
// Run that started that tick would end finalTimeout later, so the check
// runs enough times that such a Run fails it with certainty (2⁻⁶⁴).
func TestNoTickAfterStop(t *testing.T) {
	t.Parallel()
	for range 64 {
		synctest.Test(t, testStopDuringHungTick)
	}
}

func testStopDuringHungTick(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	ticks, afterStop := 0, 0
	var stoppedAt time.Time
	var lastDeadline time.Time
	done := make(chan error, 1)
	go func() {
		done <- periodic.Run(ctx, interval, final, func(tctx context.Context) {
			ticks++
			if ctx.Err() != nil {
				afterStop++
			}
			<-tctx.Done() // hung
		}, func(lctx context.Context) error {
			if err := lctx.Err(); err != nil {
				t.Errorf("the last step's context has ended (%v), want it live", err)
			}
			lastDeadline, _ = lctx.Deadline()
			return nil
		})
	}()
	time.Sleep(interval + final/2) // the first tick started, and hangs
	synctest.Wait()
	stop()
	stoppedAt = time.Now()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want the last step's nil", err)
	}
	if took := time.Since(stoppedAt); took > final {
		t.Errorf("Run returned %v after the stop, want at most %v", took, final)
	}
	if want := stoppedAt.Add(final); !lastDeadline.Equal(want) {
		t.Errorf("the last step's deadline is %v after the stop, want %v", lastDeadline.Sub(stoppedAt), final)
	}
	if ticks != 1 || afterStop != 0 {
		t.Errorf("%d ticks, %d of them after the stop; want the one in flight only", ticks, afterStop)
	}
}

// Ticks come every interval while Run runs, each with a context that ends
// finalTimeout after it starts.
func TestTicksEveryInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, stop := context.WithCancel(t.Context())
		start := time.Now()
		var at []time.Duration
		done := make(chan error, 1)
		go func() {
			done <- periodic.Run(ctx, interval, final, func(tctx context.Context) {
				at = append(at, time.Since(start))
				if d, ok := tctx.Deadline(); !ok || time.Until(d) != final {
					t.Errorf("a tick's deadline is %v away, want %v", time.Until(d), final)
				}
			}, func(context.Context) error { return nil })
		}()
		time.Sleep(3*interval + interval/2)
		synctest.Wait()
		stop()
		<-done
		if len(at) != 3 || at[0] != interval || at[1] != 2*interval || at[2] != 3*interval {
			t.Errorf("ticks at %v, want at 1s, 2s and 3s", at)
		}
	})
}
