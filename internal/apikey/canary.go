package apikey

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/pomehq/pome"
)

// canaryQueueSize bounds the canary uses waiting for their audit event: a
// flood of them (each already charged to its client's failure limit) costs
// this much memory at most; past it they are counted and logged as lost.
const canaryQueueSize = 4096

// canaryLog carries the uses of canary keys from the request path to
// RecordCanaries, which writes their key.canary_used events. A canary is
// answered as an unknown key is, as fast: the request only queues
// (TestCanaryAnsweredAsUnknown, BenchmarkVerifyCanary).
type canaryLog struct {
	queue chan canaryUse
	lost  atomic.Uint64 // uses dropped on a full queue, not yet logged
}

// canaryUse is one use of a canary key: what its event needs, nothing that
// allocates on the request path.
type canaryUse struct {
	keyID, teamID string
	info          pome.RequestInfo
	at            time.Time
}

func newCanaryLog() canaryLog { return canaryLog{queue: make(chan canaryUse, canaryQueueSize)} }

// add queues a use without waiting.
func (l *canaryLog) add(ctx context.Context, c *cachedKey, at time.Time) {
	u := canaryUse{keyID: c.text[:c.idLen], teamID: c.owner.Value().teamID, info: pome.RequestInfoFrom(ctx), at: at}
	select {
	case l.queue <- u:
	default:
		l.lost.Add(1)
	}
}

// event is the audit event of u: by nobody known, on the key, with the
// client's address and user agent.
func (u *canaryUse) event() pome.AuditEvent {
	ev := pome.NewAuditEvent(pome.WithRequestInfo(context.Background(), u.info), pome.AuditKeyCanaryUsed, u.at).
		On(u.teamID, pome.TargetKey, u.keyID)
	ev.ActorType, ev.Result = pome.ActorAnonymous, pome.ResultFailure
	return ev
}

// RecordCanaries writes the key.canary_used event of every use of a canary
// key this Verifier answered, until ctx ends; then, within final, those
// still queued. A write that fails, and a use dropped on a full queue, are
// logged: never lost silently. internal/node runs it.
func (v *Verifier) RecordCanaries(ctx context.Context, final time.Duration, log *slog.Logger) {
	l := &v.canaries
	// A write under way when ctx ends still finishes: the store bounds it.
	wctx := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		select {
		case u := <-l.queue:
			l.write(wctx, v.store, &u, log)
		case <-ctx.Done():
		}
	}
	wctx, cancel := context.WithTimeout(wctx, final)
	defer cancel()
	for {
		select {
		case u := <-l.queue:
			l.write(wctx, v.store, &u, log)
		default:
			return
		}
	}
}

// write appends the event of u, and logs what could not be recorded.
func (l *canaryLog) write(ctx context.Context, store VerifierStore, u *canaryUse, log *slog.Logger) {
	if err := store.AppendAudit(ctx, u.event()); err != nil {
		log.Error("canary use not recorded", "key_id", u.keyID, "ip", u.info.IP, "err", err)
	}
	if n := l.lost.Swap(0); n > 0 {
		log.Error("canary uses not recorded: queue full", "count", n)
	}
}
