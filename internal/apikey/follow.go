package apikey

import (
	"context"
	"time"
)

// changeBatch is how many change-log entries one poll reads at most.
const changeBatch = 500

// Follow polls the change log every interval and invalidates the cache
// entries that changes made elsewhere (another node, `pome admin`) have made
// stale. It returns when ctx ends. While the database cannot be read it
// keeps polling, and its reads tell the verifier when the database is
// unreachable and when it answers again (outage), which is logged once
// each; the cache's time-to-live bounds staleness meanwhile. Any other
// failure to read the log is logged (SetLog) at each poll.
//
// Follow also reads the log as soon as signal's channel is closed (nil
// signal: never): the node passes the store's notifications (PostgreSQL's
// NOTIFY of an entry, or of a reconnection after which notifications may
// have been lost), so that changes made on another node apply here within
// milliseconds, and within one interval when notifications fail. signal is
// called before each read of the log.
//
// Each complete read of the log marks the Verifier as followed for two
// intervals from its start (SetFollowedTTL).
func (v *Verifier) Follow(ctx context.Context, interval time.Duration, signal func() <-chan struct{}) {
	after := int64(-1) // unknown until the first successful read
	v.followLag.Store(int64(2 * interval))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// Asked for before the read, so that an entry committed after
		// the read wakes the next one.
		var wake <-chan struct{} // nil: never ready
		if signal != nil {
			wake = signal()
		}
		// Every change committed before start is applied once the read
		// below completes.
		start := v.now()
		if after < 0 {
			last, err := v.store.LastChange(ctx)
			v.readLog(ctx, err)
			if err == nil {
				after = last
				// Changes made before we knew where the log stood may be
				// missed: start from an empty cache.
				v.forgetAll()
			}
		}
		for after >= 0 {
			changes, err := v.store.Changes(ctx, after, changeBatch)
			v.readLog(ctx, err)
			if err != nil {
				break
			}
			v.apply(changes)
			if len(changes) > 0 {
				after = changes[len(changes)-1].Seq
			}
			if len(changes) < changeBatch {
				v.followedAt.Store(start.UnixNano())
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

// readLog reports the outcome of a read of the change log: to the outage,
// and to the log if it failed otherwise than by an unreachable database.
func (v *Verifier) readLog(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return // stopping: the read was cut short
	}
	v.outage.report(err)
	if err != nil && !unavailable(err) {
		v.outage.log.Warn("change log unreadable", "err", err)
	}
}
