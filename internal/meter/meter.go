// Package meter counts API key usage in memory and writes it to the store in
// batches: one transaction per flush, never a write per request; after each
// flush it has the store compact what it recorded.
package meter

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/periodic"
)

// shardCount is how many independently locked parts the pending counts are
// split into, by a hash of the key id: concurrent requests of different keys
// rarely wait for one another, and a flush holds each part only to swap it.
const shardCount = 64

// Store is where a Meter writes usage: pome.Store's usage writes, which
// every store implements.
type Store interface {
	// AddUsage records one flush of counts in one transaction.
	AddUsage(ctx context.Context, deltas []pome.UsageDelta) error
	// CompactUsage is the store's upkeep of what AddUsage recorded, at now;
	// it changes no answer of any read.
	CompactUsage(ctx context.Context, now time.Time) error
}

// Meter accumulates per-key verification counts, by outcome, between
// flushes. Record takes no
// global lock; counts stay exact (a flush moves each shard's counts whole).
type Meter struct {
	store  Store
	seed   maphash.Seed
	shards [shardCount]shard

	flushes, flushErrors, flushedKeys atomic.Uint64
	compactions, compactErrors        atomic.Uint64
	writeNanos                        atomic.Int64
}

type shard struct {
	mu      sync.Mutex
	pending map[string]*tally
	_       [48]byte // one shard per cache line: no false sharing between cores
}

// Stats is what a Meter has written so far.
type Stats struct {
	Flushes       uint64 // transactions written (flushes with counts)
	FlushErrors   uint64 // flushes that failed (their counts were kept)
	FlushedKeys   uint64 // key deltas written, over all flushes
	Compactions   uint64 // calls of the store's CompactUsage that succeeded
	CompactErrors uint64 // and that failed (the next one catches up)
	// FlushDuration is the time spent in the store writing usage: its
	// AddUsage and CompactUsage, over all flushes and compactions.
	FlushDuration time.Duration
}

// New returns a Meter that flushes into store.
func New(store Store) *Meter {
	m := &Meter{store: store, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].pending = make(map[string]*tally)
	}
	return m
}

// Record counts one verification of a known key that ended with o, at time
// at, from the client address from (the zero Addr: unknown): a valid one is
// also the key's last use, from which last_used_ip is recorded. It
// allocates only for a key's first verification, and first refusal, since
// the last flush: TestRecordAllocs.
func (m *Meter) Record(keyID string, o pome.Outcome, at time.Time, from netip.Addr) {
	i := o.Index()
	if i < 0 {
		return // not an outcome: nothing a key's usage could show
	}
	s := &m.shards[maphash.String(m.seed, keyID)%shardCount]
	s.mu.Lock()
	t, ok := s.pending[keyID]
	if !ok {
		t = new(tally)
		s.pending[keyID] = t
	}
	t.count(i, at, from)
	s.mu.Unlock()
}

// Flush writes every pending count in one transaction. On failure the counts
// are kept and retried by the next flush, so a database outage loses nothing
// while the process lives.
func (m *Meter) Flush(ctx context.Context) error {
	var batches [shardCount]map[string]*tally
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		if batch := s.pending; len(batch) > 0 {
			s.pending = make(map[string]*tally, len(batch))
			batches[i] = batch
			n += len(batch)
		}
		s.mu.Unlock()
	}
	// One allocation of the exact size: a flush of 20,000 keys is 3 MB of
	// deltas, which an appended slice would allocate about twice over.
	deltas := make([]pome.UsageDelta, 0, n)
	for _, batch := range batches {
		for keyID, t := range batch {
			deltas = append(deltas, t.delta(keyID))
		}
	}
	if len(deltas) == 0 {
		return nil
	}
	start := time.Now()
	err := m.store.AddUsage(ctx, deltas)
	m.writeNanos.Add(int64(time.Since(start)))
	if err != nil {
		m.flushErrors.Add(1)
		m.restore(deltas)
		return err
	}
	m.flushes.Add(1)
	m.flushedKeys.Add(uint64(len(deltas)))
	return nil
}

// Compact has the store compact the usage it recorded (Store.CompactUsage),
// at the time of the call. It changes no count that the store answers:
// Run calls it after each flush, on the flushes' schedule.
func (m *Meter) Compact(ctx context.Context) error {
	start := time.Now()
	err := m.store.CompactUsage(ctx, start)
	m.writeNanos.Add(int64(time.Since(start)))
	if err != nil {
		m.compactErrors.Add(1)
		return err
	}
	m.compactions.Add(1)
	return nil
}

// Stats returns the flushes and compactions so far.
func (m *Meter) Stats() Stats {
	return Stats{Flushes: m.flushes.Load(), FlushErrors: m.flushErrors.Load(),
		FlushedKeys: m.flushedKeys.Load(), Compactions: m.compactions.Load(),
		CompactErrors: m.compactErrors.Load(), FlushDuration: time.Duration(m.writeNanos.Load())}
}

// restore merges counts that failed to flush back into the pending set.
func (m *Meter) restore(deltas []pome.UsageDelta) {
	for _, old := range deltas {
		s := &m.shards[maphash.String(m.seed, old.KeyID)%shardCount]
		s.mu.Lock()
		t, ok := s.pending[old.KeyID]
		if !ok {
			t = new(tally)
			s.pending[old.KeyID] = t
		}
		t.merge(&old)
		s.mu.Unlock()
	}
}

// The retries of the final flush: a fault that passes within about a
// second and a half (a disk full for a moment, a database restarting) loses
// nothing at shutdown. Run's finalTimeout bounds them all.
const (
	finalAttempts = 5
	finalBackoff  = 100 * time.Millisecond // doubled after each attempt
)

// Run flushes every interval until ctx ends, each flush that did not fail
// followed by a compaction (even with nothing to flush, so that what the
// store holds apart is folded in while the keys are idle); then it flushes
// once more, so that a graceful shutdown writes everything counted: with a
// fresh context that ends finalTimeout after the stop (a periodic flush in
// flight then included), retrying a failed flush with backoff within it. It
// returns that flush's error, which says how many counts were lost. The
// last flush is not compacted: reads answer the same without, and the next
// process's compactions fold it (TestRunCompactsAfterEachFlush).
func (m *Meter) Run(ctx context.Context, interval, finalTimeout time.Duration, log *slog.Logger) error {
	return periodic.Run(ctx, interval, finalTimeout, func(fctx context.Context) {
		if err := m.Flush(fctx); err != nil {
			if ctx.Err() == nil {
				log.Warn("usage flush failed; counts kept for the next flush", "err", err)
			}
			return // the database is likely down: no compaction either
		}
		if err := m.Compact(ctx); err != nil && ctx.Err() == nil {
			log.Warn("usage compaction failed; the next one catches up", "err", err)
		}
	}, func(fctx context.Context) error { return m.finalFlush(fctx, log) })
}

// finalFlush is Run's last flush (see Run).
func (m *Meter) finalFlush(fctx context.Context, log *slog.Logger) error {
	wait := finalBackoff
	for attempt := 1; ; attempt++ {
		err := m.Flush(fctx)
		if err == nil {
			return nil
		}
		if attempt == finalAttempts || fctx.Err() != nil {
			counts, keys := m.pending()
			return fmt.Errorf("meter: final usage flush failed %d times; lost %d usage counts of %d key(s): %w", attempt, counts, keys, err)
		}
		log.Warn("final usage flush failed; retrying", "attempt", attempt, "retry_in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-fctx.Done():
		}
		wait *= 2
	}
}

// pending is what was counted and not written: verifications, and keys.
func (m *Meter) pending() (counts int64, keys int) {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for _, t := range s.pending {
			counts += t.total()
		}
		keys += len(s.pending)
		s.mu.Unlock()
	}
	return counts, keys
}
