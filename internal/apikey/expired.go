package apikey

import (
	"context"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// expiredLog remembers which expired keys this node has recorded a
// key.expired audit event for, so that a client retrying an expired key
// costs one write per key and node, not one per request. The store keeps
// one such event per key whatever the number of nodes.
type expiredLog struct {
	mu   sync.Mutex
	done map[string]bool
}

// record appends the key.expired event of o's key, the first time this node
// refuses it. A failed write is forgotten, to be tried on the next refusal.
func (l *expiredLog) record(ctx context.Context, store VerifierStore, o *pome.KeyOwner, now time.Time) {
	id := o.Key.ID
	l.mu.Lock()
	if l.done[id] {
		l.mu.Unlock()
		return
	}
	if l.done == nil {
		l.done = make(map[string]bool)
	}
	l.done[id] = true
	l.mu.Unlock()

	ev := pome.NewAuditEvent(ctx, pome.AuditKeyExpired, now).On(o.Team.ID, pome.TargetKey, id)
	ev.ActorType, ev.ActorID, ev.Result = pome.ActorKey, id, pome.ResultFailure
	if o.Key.ExpiresAt != nil {
		ev.Details = map[string]any{"expires_at": o.Key.ExpiresAt.UTC().Format(time.RFC3339)}
	}
	if err := store.AppendAudit(ctx, ev); err != nil {
		l.mu.Lock()
		delete(l.done, id)
		l.mu.Unlock()
	}
}
