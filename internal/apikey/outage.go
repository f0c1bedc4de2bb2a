package apikey

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/pomehq/pome"
)

// probeInterval is how often, while the store cannot be reached, one
// verification may try it again; every other one that needs the store is
// answered Unavailable at once. Without it, each request of an uncached key
// would cost a connection attempt (or a call's whole deadline, on a hung
// database), and a node would pile up waiting requests.
const probeInterval = time.Second

// errStoreDown answers, without a store read, the verifications that need
// the store while it cannot be reached.
var errStoreDown = pome.ErrUnavailable.WithCause(errors.New("apikey: the database could not be reached at the last try; it is tried again once a second"))

// outage is a circuit breaker in front of the store's reads by the
// verifier: closed while the store answers, open from the first call that
// finds it unreachable (Unavailable) until one succeeds, with a probe let
// through at most every probeInterval. Follow's reads of the change log
// report to it too, so that either notices first. It logs the start and the
// end of each outage, once each, not a line per request.
type outage struct {
	now   func() time.Time
	log   *slog.Logger
	since atomic.Int64 // unix nanoseconds: when the outage began; 0: none
	probe atomic.Int64 // unix nanoseconds: the next probe's time
}

// allow reports whether a store read may be tried at now: always, unless an
// outage is on; then one caller per probeInterval.
func (o *outage) allow(now int64) bool {
	if o.since.Load() == 0 {
		return true
	}
	next := o.probe.Load()
	return now >= next && o.probe.CompareAndSwap(next, now+int64(probeInterval))
}

// on reports whether an outage is on.
func (o *outage) on() bool { return o.since.Load() != 0 }

// report records the outcome of a store call. An Unavailable error starts
// an outage, or keeps it on until the next probe; any other answer of the
// store, a NotFound included, ends it. A context error (the caller gone)
// says nothing of the store.
func (o *outage) report(err error) {
	switch {
	case err != nil && unavailable(err):
		now := o.now().UnixNano()
		o.probe.Store(now + int64(probeInterval))
		if o.since.CompareAndSwap(0, now) {
			o.log.Warn("database unreachable: serving cached keys without it, answering 503 for the others, until it answers", "err", err)
		}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
	case o.since.Load() != 0:
		if since := o.since.Swap(0); since != 0 {
			d := time.Duration(o.now().UnixNano() - since)
			o.log.Info("database reachable again", "outage", d.Round(time.Millisecond).String())
		}
	}
}

// unavailable reports an error of a store that could not be reached.
func unavailable(err error) bool {
	e, ok := errors.AsType[*pome.Error](err)
	return ok && e.Kind == pome.Unavailable
}
