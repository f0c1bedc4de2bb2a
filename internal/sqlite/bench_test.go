package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/sqlite"
	"github.com/pomehq/pome/internal/storetest"
)

const benchKeys = 100_000

// seedKeys opens a fresh store holding n keys of one team, seeded in bulk,
// and returns it with the keys' ids and digests.
func seedKeys(b *testing.B, n int) (*sqlite.DB, []string, []pome.Digest) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	db := mustOpen(b, path)
	m, keys := storetest.BulkAccount(n)
	ids := make([]string, n)
	digests := make([]pome.Digest, n)
	for i, k := range keys {
		ids[i], digests[i] = k.ID, k.Digest
	}
	one := func(yield func(pome.Member, []pome.Key) bool) { yield(m, keys) }
	if err := db.SeedAccounts(b.Context(), one); err != nil {
		b.Fatalf("SeedAccounts = %v", err)
	}
	return db, ids, digests
}

// BenchmarkKeyByDigest is verification on a cache miss: one lookup by
// digest among 100k keys, spread over the table.
func BenchmarkKeyByDigest(b *testing.B) {
	db, _, digests := seedKeys(b, benchKeys)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := digests[(i*7919)%len(digests)]
		if _, err := db.KeyByDigest(ctx, d); err != nil {
			b.Fatalf("KeyByDigest = %v", err)
		}
		i++
	}
}

// BenchmarkKeyByDigestParallel is the same lookup from concurrent requests,
// through the read pool.
func BenchmarkKeyByDigestParallel(b *testing.B) {
	db, _, digests := seedKeys(b, benchKeys)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := db.KeyByDigest(ctx, digests[(i*7919)%len(digests)]); err != nil {
				b.Errorf("KeyByDigest = %v", err)
				return
			}
			i++
		}
	})
}

// BenchmarkAddUsage is one meter flush a second, of 1,000, 9,000 or 20,000
// keys among 100k (20,000: a node at full load with every key in use), each
// key drawn at random, and the compaction that follows it: the sweep of
// usage_pending runs as in production (each op is one second of its
// clock), so an op is one flush with its share of the fold. The
// compaction's part is reported as compact-ns/op.
func BenchmarkAddUsage(b *testing.B) {
	db, ids, _ := seedKeys(b, benchKeys)
	ctx := b.Context()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	db.SetUsageFold(time.Minute, now)
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1000, 9000, 20_000} {
		b.Run(fmt.Sprint("keys=", n), func(b *testing.B) {
			deltas := make([]pome.UsageDelta, n)
			var compacting time.Duration
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(time.Second)
				for j := range deltas {
					deltas[j] = pome.UsageDelta{KeyID: ids[r.IntN(len(ids))], Outcomes: pome.OutcomeCounts{int64(j%17 + 1)}, At: now, LastUsed: now}
				}
				if err := db.AddUsage(ctx, deltas); err != nil {
					b.Fatalf("AddUsage = %v", err)
				}
				start := time.Now()
				if err := db.CompactUsage(ctx, now); err != nil {
					b.Fatalf("CompactUsage = %v", err)
				}
				compacting += time.Since(start)
			}
			b.ReportMetric(float64(compacting.Nanoseconds())/float64(b.N), "compact-ns/op")
		})
	}
}

// BenchmarkAuditOutbox is the cost webhooks add to a change: appending a
// webhook event with no endpoint, and with 5 endpoints subscribed to it
// (5 messages queued in the same transaction).
func BenchmarkAuditOutbox(b *testing.B) {
	for _, endpoints := range []int{0, 5} {
		b.Run(fmt.Sprintf("endpoints=%d", endpoints), func(b *testing.B) {
			db, ids, _ := seedKeys(b, 1)
			k, err := db.KeyByIDAnyTeam(b.Context(), ids[0])
			if err != nil {
				b.Fatal(err)
			}
			for range endpoints {
				e := pome.WebhookEndpoint{ID: pome.NewID("whk_"), URL: "https://hooks.example.com/", TeamID: k.TeamID,
					Events: []string{pome.AuditKeyRevoked}, Secret: []byte("s"), CreatedAt: time.Now()}
				if err := db.CreateWebhookEndpoint(b.Context(), e, benchEvent(pome.AuditWebhookCreated, k)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := db.AppendAudit(b.Context(), benchEvent(pome.AuditKeyRevoked, k)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchEvent(action string, k pome.Key) pome.AuditEvent {
	ev := pome.NewAuditEvent(context.Background(), action, time.Now()).On(k.TeamID, pome.TargetKey, k.ID)
	ev.ActorType = pome.ActorSystem
	return ev
}
