package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/storetest"
	"github.com/pomehq/pome/internal/testenv"
)

// seedKeys stores n keys of one team in a fresh schema.
func seedKeys(b *testing.B, n int) (pome.Store, []pome.Key) {
	b.Helper()
	db := mustOpen(b, testenv.FreshSchema(b))
	user, team := seedAccount(b, db)
	keys := make([]pome.Key, n)
	for i := range keys {
		keys[i] = newKey(user, team, i)
		if err := db.CreateKey(b.Context(), keys[i], sysEvent(pome.AuditKeyCreated)); err != nil {
			b.Fatal(err)
		}
	}
	return db, keys
}

// BenchmarkKeyByDigest is the verification read of a cache miss.
func BenchmarkKeyByDigest(b *testing.B) {
	db, keys := seedKeys(b, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := db.KeyByDigest(b.Context(), keys[i%len(keys)].Digest); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAddUsage1000 is one flush of 1,000 keys' counts: one COPY into
// usage_pending, whatever the number of keys.
func BenchmarkAddUsage1000(b *testing.B) {
	db, keys := seedKeys(b, 1000)
	deltas := make([]pome.UsageDelta, len(keys))
	for i, k := range keys {
		deltas[i] = pome.UsageDelta{KeyID: k.ID, Outcomes: pome.OutcomeCounts{int64(i%7 + 1)}, At: time.Now(), LastUsed: time.Now()}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.AddUsage(b.Context(), deltas); err != nil {
			b.Fatal(fmt.Errorf("AddUsage: %w", err))
		}
	}
}

// BenchmarkAddUsage is one meter flush a second of 1,000, 20,000 or 50,000
// distinct keys among 100,000 (a meter sends one delta per key), drawn at
// random, each with valid counts and a share of refusals, and the
// compaction that follows it: the sweep of usage_pending runs as in
// production (each op is one second of its clock), so an op is one flush
// with its share of the fold, which is reported as compact-ns/op. The
// PostgreSQL row of docs/performance.md's "Usage flushes".
func BenchmarkAddUsage(b *testing.B) {
	const stored = 100_000
	db := mustOpen(b, testenv.FreshSchema(b))
	m, keys := storetest.BulkAccount(stored)
	one := func(yield func(pome.Member, []pome.Key) bool) { yield(m, keys) }
	if err := db.SeedAccounts(b.Context(), one); err != nil {
		b.Fatalf("SeedAccounts = %v", err)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := db.CompactUsage(b.Context(), now); err != nil { // starts the sweep's clock
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1000, 20_000, 50_000} {
		b.Run(fmt.Sprint("keys=", n), func(b *testing.B) {
			deltas := make([]pome.UsageDelta, n)
			var compacting time.Duration
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				now = now.Add(time.Second)
				for j, i := range r.Perm(stored)[:n] {
					d := pome.UsageDelta{KeyID: keys[i].ID, At: now, LastUsed: now}
					d.Outcomes[0] = int64(j%17 + 1)
					if j%4 == 0 {
						d.Outcomes[pome.OutcomeRateLimited.Index()] = int64(j%5 + 1)
					}
					deltas[j] = d
				}
				b.StartTimer()
				if err := db.AddUsage(b.Context(), deltas); err != nil {
					b.Fatalf("AddUsage = %v", err)
				}
				start := time.Now()
				if err := db.CompactUsage(b.Context(), now); err != nil {
					b.Fatalf("CompactUsage = %v", err)
				}
				compacting += time.Since(start)
			}
			b.ReportMetric(float64(compacting.Nanoseconds())/float64(b.N), "compact-ns/op")
		})
	}
}
