// Package periodic runs a node's background work: a step every interval
// until a stop, then a last one bounded from the stop. The meter's flushes
// and the credit ledger's settles run on it.
package periodic

import (
	"context"
	"sync/atomic"
	"time"
)

// Run calls tick every interval until ctx ends, then last once; it returns
// last's error.
//
// A tick's context is not cut short by the stop: a write canceled while
// its commit is in flight may have been made all the same, and what it
// carried, kept for the last step, would be written twice
// (meter.TestStopMidFlushCountsOnce). It ends finalTimeout after the
// tick's start instead, and last's ends finalTimeout after the stop,
// whatever a tick in flight then took of that: so a stop waits for a tick
// in flight and the last step together at most finalTimeout, and fits a
// termination grace period even with the database hung
// (TestServeDatabaseHung).
//
// No tick starts once ctx has ended (TestNoTickAfterStop): when a tick
// returns, the ticker often has the next ready as well as the stop, and
// select would pick either.
func Run(ctx context.Context, interval, finalTimeout time.Duration, tick func(context.Context), last func(context.Context) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var stoppedAt atomic.Int64
	defer context.AfterFunc(ctx, func() { stoppedAt.Store(time.Now().UnixNano()) })()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-t.C:
			if ctx.Err() == nil {
				tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalTimeout)
				tick(tctx)
				cancel()
			}
		}
	}
	deadline := time.Now().Add(finalTimeout)
	if at := stoppedAt.Load(); at != 0 {
		deadline = time.Unix(0, at).Add(finalTimeout)
	}
	lctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	return last(lctx)
}
