package meter_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
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
	t.Parallel()
	db, ids := seed(t, 3)
	m := meter.New(db)
	var wg sync.WaitGroup
	for w := range 30 {
		wg.Go(func() {
			for i := range 99 { // 33 requests of each key
				m.Record(ids[i%3], pome.OutcomeValid, t0.Add(time.Duration(w)*time.Second), netip.Addr{})
			}
		})
	}
	wg.Wait()
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	m.Record(ids[0], pome.OutcomeValid, t0, netip.Addr{}) // an older time must not move last_used back
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
	t.Parallel()
	db, ids := seed(t, 1)
	fs := &failingStore{Store: db, failing: true}
	m := meter.New(fs)
	for range 7 {
		m.Record(ids[0], pome.OutcomeValid, t0, netip.Addr{})
	}
	if err := m.Flush(t.Context()); !errors.Is(err, pome.ErrUnavailable) {
		t.Fatalf("Flush() on a failing store = %v, want unavailable", err)
	}
	m.Record(ids[0], pome.OutcomeValid, t0.Add(time.Second), netip.Addr{})
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
	t.Parallel()
	db, ids := seed(t, 1)
	m := meter.New(db)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		m.Run(ctx, time.Hour, 5*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	for range 42 {
		m.Record(ids[0], pome.OutcomeValid, t0, netip.Addr{})
	}
	cancel()
	<-done
	if k := usage(t, db, teamOf(t, db), ids[0]); k.UsageCount != 42 {
		t.Fatalf("usage_count after Run stopped = %d, want 42", k.UsageCount)
	}
}

// flushEvery is the flush interval of the Run tests. They run in a
// testing/synctest bubble, where it passes in no real time.
const flushEvery = time.Second

// startRun runs m.Run every flushEvery, in the synctest bubble of t, until
// stop is called (or the test ends), logging to log (nil: nowhere); done
// receives Run's error when it returns.
func startRun(t *testing.T, m *meter.Meter, finalTimeout time.Duration, log io.Writer) (stop func(), done <-chan error) {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan error, 1)
	go func() { ch <- m.Run(ctx, flushEvery, finalTimeout, slog.New(slog.NewTextHandler(log, nil))) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ch:
		default: // taken by the test
		}
	})
	return cancel, ch
}

// elapse lets d of the bubble's fake time pass, and returns once every
// goroutine of the bubble is waiting again (Run done with the flushes due).
func elapse(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// Run writes what was counted once an interval: counts reach the store
// within one interval of being recorded, in one transaction an interval,
// and an interval with nothing counted writes nothing. A Run that flushed
// only on stop, or once, fails the second round; one that flushed early
// fails the "not yet" checks.
func TestRunFlushesEveryInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		db, ids := seed(t, 1)
		team := teamOf(t, db)
		m := meter.New(db)
		startRun(t, m, 5*time.Second, nil)
		var want int64
		for round, n := range []int{3, 2} {
			for range n {
				m.Record(ids[0], pome.OutcomeValid, t0, netip.Addr{})
			}
			want += int64(n)
			elapse(flushEvery - time.Nanosecond)
			if k := usage(t, db, team, ids[0]); k.UsageCount != want-int64(n) {
				t.Fatalf("round %d: usage_count 1ns before the flush = %d, want %d", round, k.UsageCount, want-int64(n))
			}
			elapse(time.Nanosecond)
			if k := usage(t, db, team, ids[0]); k.UsageCount != want {
				t.Fatalf("round %d: usage_count at the flush = %d, want %d", round, k.UsageCount, want)
			}
			if st := m.Stats(); st.Flushes != uint64(round+1) {
				t.Fatalf("round %d: Flushes = %d, want %d", round, st.Flushes, round+1)
			}
			elapse(3 * flushEvery) // nothing counted: nothing written
			if st := m.Stats(); st.Flushes != uint64(round+1) {
				t.Fatalf("round %d: Flushes after 3 idle intervals = %d, want %d", round, st.Flushes, round+1)
			}
		}
	})
}

// A flush that fails inside Run keeps its counts, and the next interval's
// flush writes them: an outage of a few intervals loses nothing.
func TestRunRetriesFailedFlush(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		db, ids := seed(t, 1)
		fs := &failingStore{Store: db, failing: true}
		m := meter.New(fs)
		var log strings.Builder
		startRun(t, m, 5*time.Second, &syncWriter{w: &log})
		for range 7 {
			m.Record(ids[0], pome.OutcomeValid, t0, netip.Addr{})
		}
		elapse(2 * flushEvery)
		if st := m.Stats(); st.FlushErrors != 2 || st.Flushes != 0 {
			t.Fatalf("Stats after 2 intervals of a failing store = %+v, want 2 errors, no flush", st)
		}
		fs.mu.Lock()
		fs.failing = false
		fs.mu.Unlock()
		elapse(flushEvery)
		if k := usage(t, db, teamOf(t, db), ids[0]); k.UsageCount != 7 {
			t.Fatalf("usage_count one interval after the store is back = %d, want 7", k.UsageCount)
		}
		if n := strings.Count(log.String(), "usage flush failed"); n != 2 {
			t.Errorf("warnings logged = %d, want 2 (one a failed flush):\n%s", n, log.String())
		}
	})
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// hungStore's AddUsage waits for its context to end: a database that stopped
// answering. It is a fake, not SQLite, because a real database cannot be
// made to hang on cue; only the timing of Run is under test here.
type hungStore struct {
	pome.Store
	calls chan error // the context's error when AddUsage was called
}

func (s *hungStore) AddUsage(ctx context.Context, _ []pome.UsageDelta) error {
	s.calls <- ctx.Err()
	<-ctx.Done()
	return ctx.Err()
}

// Stopping Run flushes once more with a context of its own, live though
// Run's has ended, and bounded by finalTimeout: a shutdown with the
// database hung waits finalTimeout, and no longer. A final flush on the
// ended context would be cut short (fails "live"); one without a bound would
// never return.
func TestRunFinalFlushBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &hungStore{calls: make(chan error, 1)}
		m := meter.New(store)
		var log strings.Builder
		const final = 5 * time.Second
		stop, done := startRun(t, m, final, &syncWriter{w: &log})
		m.Record("key_1", pome.OutcomeValid, t0, netip.Addr{})
		stop()
		if err := <-store.calls; err != nil {
			t.Fatalf("final flush called with an ended context (%v), want a live one", err)
		}
		elapse(final - time.Nanosecond)
		select {
		case <-done:
			t.Fatalf("Run returned before the final flush's timeout")
		default:
		}
		elapse(time.Nanosecond)
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "lost 1 usage counts of 1 key(s)") {
				t.Errorf("Run = %v, want the counts lost", err)
			}
		default:
			t.Fatalf("Run still flushing %v after stop, want it to give up at %v", final, final)
		}
	})
}

// A final flush that fails is tried again, backing off, so that a fault
// that passes within a second or so (a disk full for a moment, a database
// restarting) loses nothing at shutdown; one that lasts is given up after
// finalAttempts, in about 1.5 s, and Run's error says how many counts of
// how many keys were lost.
func TestRunFinalFlushRetries(t *testing.T) {
	t.Parallel()
	t.Run("a fault that passes", func(t *testing.T) { synctest.Test(t, testFinalFlushRecovers) })
	t.Run("a fault that lasts", func(t *testing.T) { synctest.Test(t, testFinalFlushGivesUp) })
}

func testFinalFlushRecovers(t *testing.T) {
	db, ids := seed(t, 2)
	fs := &failingStore{Store: db, failing: true}
	m := meter.New(fs)
	var log strings.Builder
	stop, done := startRun(t, m, 5*time.Second, &syncWriter{w: &log})
	for range 4 {
		m.Record(ids[0], pome.OutcomeValid, t0, netip.Addr{})
	}
	m.Record(ids[1], pome.OutcomeValid, t0, netip.Addr{})
	stop()
	elapse(250 * time.Millisecond) // attempts at 0, 100 ms and 300 ms
	if n := strings.Count(log.String(), "final usage flush failed; retrying"); n != 2 {
		t.Fatalf("retries logged after 250 ms = %d, want 2:\n%s", n, log.String())
	}
	fs.mu.Lock()
	fs.failing = false
	fs.mu.Unlock()
	elapse(50 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil once the store is back", err)
	}
	if k := usage(t, db, teamOf(t, db), ids[0]); k.UsageCount != 4 {
		t.Errorf("usage_count after the retried final flush = %d, want 4", k.UsageCount)
	}
}

func testFinalFlushGivesUp(t *testing.T) {
	fs := &failingStore{failing: true}
	m := meter.New(fs)
	stop, done := startRun(t, m, 5*time.Second, nil)
	for range 4 {
		m.Record("key_1", pome.OutcomeValid, t0, netip.Addr{})
	}
	m.Record("key_2", pome.OutcomeValid, t0, netip.Addr{})
	stop()
	elapse(1500*time.Millisecond - time.Nanosecond) // attempts at 0, .1, .3, .7 and 1.5 s
	select {
	case <-done:
		t.Fatalf("Run gave up before its fifth attempt")
	default:
	}
	elapse(time.Nanosecond)
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "failed 5 times; lost 5 usage counts of 2 key(s)") ||
		!errors.Is(err, pome.ErrUnavailable) {
		t.Errorf("Run = %v, want 5 attempts, the counts lost, and the cause", err)
	}
}

// Record of a key already counted since the last flush does not allocate
// (the claim on Meter.Record), whatever the outcome and address: it runs on
// every request.
func TestRecordAllocs(t *testing.T) {
	m := meter.New(nil)
	id := pome.NewID("key_")
	from := netip.MustParseAddr("2001:db8::1")
	m.Record(id, pome.OutcomeValid, t0, from)
	if n := testing.AllocsPerRun(100, func() {
		m.Record(id, pome.OutcomeValid, t0, from)
		m.Record(id, pome.OutcomeRateLimited, t0, from)
	}); n != 0 {
		t.Errorf("Record(key counted since the last flush) allocs = %v, want 0", n)
	}
}

func BenchmarkRecord(b *testing.B) {
	m := meter.New(nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Record("key_0123456789abcdef", pome.OutcomeValid, t0, netip.Addr{})
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
			m.Record(ids[i%len(ids)], pome.OutcomeValid, t0, netip.Addr{})
			i += 7
		}
	})
}

// Flushes running while requests are counted lose and double nothing.
func TestRecordDuringFlush(t *testing.T) {
	t.Parallel()
	db, ids := seed(t, 3)
	m := meter.New(db)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 300 {
				m.Record(ids[i%3], pome.OutcomeValid, t0, netip.Addr{})
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

// commitThenCancel writes a flush, then answers as a database driver may
// when its caller's context ends while the commit is in flight: with the
// context's error, though the counts are written.
type commitThenCancel struct {
	meter.Store
	started, release chan struct{}
	once             sync.Once
}

func (s *commitThenCancel) AddUsage(ctx context.Context, deltas []pome.UsageDelta) error {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.started)
		<-s.release
	}
	if err := s.Store.AddUsage(context.WithoutCancel(ctx), deltas); err != nil {
		return err
	}
	return ctx.Err()
}

// A stop in the middle of a periodic flush does not cut it short: a flush
// canceled while its commit is in flight may be written all the same, and
// its counts, kept for the final flush, would then count twice.
func TestStopMidFlushCountsOnce(t *testing.T) {
	t.Parallel()
	db, ids := seed(t, 1)
	store := &commitThenCancel{Store: db, started: make(chan struct{}), release: make(chan struct{})}
	m := meter.New(store)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	for range 42 {
		m.Record(ids[0], pome.OutcomeValid, t0, netip.Addr{})
	}
	go func() { done <- m.Run(ctx, 10*time.Millisecond, 5*time.Second, slog.New(slog.DiscardHandler)) }()
	<-store.started
	cancel()
	close(store.release)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if k := usage(t, db, teamOf(t, db), ids[0]); k.UsageCount != 42 {
		t.Fatalf("usage_count after a stop during a flush = %d, want 42", k.UsageCount)
	}
}
