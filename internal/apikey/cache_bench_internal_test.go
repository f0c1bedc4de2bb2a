package apikey

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// manyKeys serves n keys, ten per team (one creator each), from memory.
type manyKeys struct {
	pome.Store
	owners map[pome.Digest]pome.KeyOwner
}

func (s *manyKeys) KeyByDigest(_ context.Context, d pome.Digest) (pome.KeyOwner, error) {
	o, ok := s.owners[d]
	if !ok {
		return pome.KeyOwner{}, pome.ErrKeyNotFound
	}
	return o, nil
}

func newManyKeys(tb testing.TB, n int) (*manyKeys, []string) {
	tb.Helper()
	s := &manyKeys{owners: make(map[pome.Digest]pome.KeyOwner, n)}
	keys := make([]string, n)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var team pome.Team
	var user pome.User
	for i := range keys {
		if i%10 == 0 {
			team = pome.Team{ID: pome.NewID("tm_"), Slug: fmt.Sprint("team-", i), Name: fmt.Sprint("Team ", i),
				PlanTier: pome.PlanPro, Status: pome.TeamActive, CreatedAt: created}
			user = pome.User{ID: pome.NewID("usr_"), Email: fmt.Sprintf("user%d@example.com", i), CreatedAt: created}
		}
		k, err := pome.DefaultKeyFormat.Generate()
		if err != nil {
			tb.Fatal(err)
		}
		keys[i] = k
		d := pome.DigestOf(k)
		s.owners[d] = pome.KeyOwner{
			Key: pome.Key{ID: pome.NewID("key_"), TeamID: team.ID, CreatedBy: user.ID, Name: fmt.Sprint("key number ", i),
				Prefix: k[:12], Digest: d, Role: pome.Role(string([]byte("developer"))), CreatedAt: created},
			Team: team, User: user, CreatorRole: pome.Role(string([]byte("owner"))),
		}
	}
	return s, keys
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkVerifyCached100k is verification from a cache holding 100,000
// keys, cycling through all of them (the HTTP benchmark's load). It reports
// the heap each cached key costs (cache entry, interned team and creator
// record, key-id index), and how long a full garbage collection takes with
// the cache full: the lesson of docs/performance.md is that the collector, not the lookup,
// is what a large cache costs.
func BenchmarkVerifyCached100k(b *testing.B) {
	const n = 100_000
	store, keys := newManyKeys(b, n)
	ctx := context.Background()
	gcEmpty := timeGC()
	before := heapInUse()
	v := NewVerifier(store, pome.DefaultKeyFormat, time.Hour, time.Now)
	for _, k := range keys {
		if _, err := v.Verify(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
	v.cache.CleanUp()
	after := heapInUse()
	gcFull := timeGC()
	if reads := v.Stats().StoreReads; reads != n {
		b.Fatalf("store reads filling the cache = %d, want %d", reads, n)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := v.Verify(ctx, keys[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == n {
			i = 0
		}
	}
	b.ReportMetric(float64(after-before)/n, "heap-B/key")
	b.ReportMetric(float64(gcFull-gcEmpty)/1e6, "gc-ms-added")
	if reads := v.Stats().StoreReads; reads != n {
		b.Fatalf("store reads = %d after the loop, want %d: every key should have stayed cached", reads, n)
	}
	runtime.KeepAlive(store)
}

// timeGC is how long one forced collection takes, the best of three.
func timeGC() time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		runtime.GC()
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkVerifyForged is a well-formed key the store does not know,
// answered from the negative cache after the first read.
func BenchmarkVerifyForged(b *testing.B) {
	store, _ := newManyKeys(b, 10)
	v := NewVerifier(store, pome.DefaultKeyFormat, time.Hour, time.Now)
	forged, _ := pome.DefaultKeyFormat.Generate()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, forged); err != pome.ErrInvalidAPIKey {
			b.Fatal(err)
		}
	}
	if reads := v.Stats().StoreReads; reads != 1 {
		b.Fatalf("store reads = %d, want 1 for one forged key", reads)
	}
}
