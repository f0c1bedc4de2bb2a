// Package meter counts API key usage in memory and writes it to the store in
// batches: one transaction per flush, never a write per request (SPEC §7).
package meter

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// Meter accumulates per-key request counts between flushes.
type Meter struct {
	store pome.Store

	mu      sync.Mutex
	pending map[string]*pome.UsageDelta
}

// New returns a Meter that flushes into store.
func New(store pome.Store) *Meter {
	return &Meter{store: store, pending: make(map[string]*pome.UsageDelta)}
}

// Record counts one successful request of a key at time at.
func (m *Meter) Record(keyID string, at time.Time) {
	m.mu.Lock()
	d, ok := m.pending[keyID]
	if !ok {
		d = &pome.UsageDelta{KeyID: keyID}
		m.pending[keyID] = d
	}
	d.Count++
	if at.After(d.LastUsed) {
		d.LastUsed = at
	}
	m.mu.Unlock()
}

// Flush writes every pending count in one transaction. On failure the counts
// are kept and retried by the next flush, so a database outage loses nothing
// while the process lives.
func (m *Meter) Flush(ctx context.Context) error {
	m.mu.Lock()
	if len(m.pending) == 0 {
		m.mu.Unlock()
		return nil
	}
	batch := m.pending
	m.pending = make(map[string]*pome.UsageDelta, len(batch))
	m.mu.Unlock()

	deltas := make([]pome.UsageDelta, 0, len(batch))
	for _, d := range batch {
		deltas = append(deltas, *d)
	}
	if err := m.store.AddUsage(ctx, deltas); err != nil {
		m.restore(deltas)
		return err
	}
	return nil
}

// restore merges counts that failed to flush back into the pending set.
func (m *Meter) restore(deltas []pome.UsageDelta) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, old := range deltas {
		d, ok := m.pending[old.KeyID]
		if !ok {
			d = &pome.UsageDelta{KeyID: old.KeyID}
			m.pending[old.KeyID] = d
		}
		d.Count += old.Count
		if old.LastUsed.After(d.LastUsed) {
			d.LastUsed = old.LastUsed
		}
	}
}

// Run flushes every interval until ctx ends, then flushes once more with a
// fresh context bounded by finalTimeout, so that a graceful shutdown writes
// everything counted.
func (m *Meter) Run(ctx context.Context, interval, finalTimeout time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalTimeout)
			defer cancel()
			if err := m.Flush(fctx); err != nil {
				log.Error("final usage flush failed", "err", err)
			}
			return
		case <-t.C:
			if err := m.Flush(ctx); err != nil && ctx.Err() == nil {
				log.Warn("usage flush failed; counts kept for the next flush", "err", err)
			}
		}
	}
}
