package meter_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// seed opens a store holding one team with n keys and returns their ids.
func seed(t *testing.T, n int) (*sqlite.DB, []string) {
	t.Helper()
	db := pometest.NewStore(t)
	u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "x", CreatedAt: t0}
	tm := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: t0}
	if err := db.CreateUserWithTeam(t.Context(), u, tm, pometest.Event(pome.AuditSignup)); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range n {
		k, _ := pome.DefaultKeyFormat.Generate()
		key := pome.Key{ID: pome.NewID("key_"), TeamID: tm.ID, CreatedBy: u.ID, Name: "k", Prefix: k[:12],
			Digest: pome.DigestOf(k), Role: pome.RoleOwner, CreatedAt: t0}
		if err := db.CreateKey(t.Context(), key, pometest.Event(pome.AuditKeyCreated)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, key.ID)
	}
	return db, ids
}

func usage(t *testing.T, db *sqlite.DB, teamID, keyID string) pome.Key {
	t.Helper()
	k, err := db.KeyByID(t.Context(), teamID, keyID)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func teamOf(t *testing.T, db *sqlite.DB) string {
	t.Helper()
	tm, err := db.TeamBySlug(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return tm.ID
}

// Concurrent counts are exact after a flush, and last_used is the latest time.
func TestRecordConcurrentExact(t *testing.T) {
	db, ids := seed(t, 3)
	m := meter.New(db)
	var wg sync.WaitGroup
	for w := range 30 {
		wg.Go(func() {
			for i := range 99 { // 33 requests of each key
				m.Record(ids[i%3], t0.Add(time.Duration(w)*time.Second))
			}
		})
	}
	wg.Wait()
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	m.Record(ids[0], t0) // an older time must not move last_used back
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	team := teamOf(t, db)
	for i, id := range ids {
		k := usage(t, db, team, id)
		want := int64(30 * 33)
		if i == 0 {
			want++
		}
		if k.UsageCount != want || k.LastUsed == nil || !k.LastUsed.Equal(t0.Add(29*time.Second)) {
			t.Errorf("key %d: usage_count %d last_used %v, want %d and %v", i, k.UsageCount, k.LastUsed, want, t0.Add(29*time.Second))
		}
	}
}

// failingStore fails AddUsage while failing is set: a database that goes away
// mid-flush, which cannot be made real without losing the file.
type failingStore struct {
	pome.Store
	mu      sync.Mutex
	failing bool
}

func (s *failingStore) AddUsage(ctx context.Context, d []pome.UsageDelta) error {
	s.mu.Lock()
	failing := s.failing
	s.mu.Unlock()
	if failing {
		return pome.ErrUnavailable
	}
	return s.Store.AddUsage(ctx, d)
}

// A failed flush keeps its counts for the next one.
func TestFlushFailureKeepsCounts(t *testing.T) {
	db, ids := seed(t, 1)
	fs := &failingStore{Store: db, failing: true}
	m := meter.New(fs)
	for range 7 {
		m.Record(ids[0], t0)
	}
	if err := m.Flush(t.Context()); !errors.Is(err, pome.ErrUnavailable) {
		t.Fatalf("Flush() on a failing store = %v, want unavailable", err)
	}
	m.Record(ids[0], t0.Add(time.Second))
	fs.mu.Lock()
	fs.failing = false
	fs.mu.Unlock()
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if k := usage(t, db, teamOf(t, db), ids[0]); k.UsageCount != 8 {
		t.Fatalf("usage_count after a failed and a good flush = %d, want 8", k.UsageCount)
	}
}

// Run flushes once more when its context ends, so shutdown loses nothing.
func TestRunFlushesOnStop(t *testing.T) {
	db, ids := seed(t, 1)
	m := meter.New(db)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		m.Run(ctx, time.Hour, 5*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	for range 42 {
		m.Record(ids[0], t0)
	}
	cancel()
	<-done
	if k := usage(t, db, teamOf(t, db), ids[0]); k.UsageCount != 42 {
		t.Fatalf("usage_count after Run stopped = %d, want 42", k.UsageCount)
	}
}

func BenchmarkRecord(b *testing.B) {
	m := meter.New(nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Record("key_0123456789abcdef", t0)
		}
	})
}

// BenchmarkRecordKeys is Record from concurrent requests of 10,000 keys:
// the sharded counters keep requests of different keys from waiting on one
// lock.
func BenchmarkRecordKeys(b *testing.B) {
	m := meter.New(nil)
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = pome.NewID("key_")
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Record(ids[i%len(ids)], t0)
			i += 7
		}
	})
}

// Flushes running while requests are counted lose and double nothing.
func TestRecordDuringFlush(t *testing.T) {
	db, ids := seed(t, 3)
	m := meter.New(db)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 300 {
				m.Record(ids[i%3], t0)
			}
		})
	}
	stop := make(chan struct{})
	flushed := make(chan error)
	go func() {
		for {
			select {
			case <-stop:
				flushed <- nil
				return
			default:
			}
			if err := m.Flush(t.Context()); err != nil {
				flushed <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	team := teamOf(t, db)
	for _, id := range ids {
		if k := usage(t, db, team, id); k.UsageCount != 800 {
			t.Errorf("usage_count = %d, want 800 (8 × 100)", k.UsageCount)
		}
	}
}
