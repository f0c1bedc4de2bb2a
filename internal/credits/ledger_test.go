package credits_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/credits"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

// In steady state a node writes a key's credits at most once a second (at
// its flush), however many requests spend them; a burst on a new lease
// settles a few more times while the armed part doubles to the key's rate.
func TestSteadyStateWrites(t *testing.T) {
	t.Parallel()
	r := newLedgerRig(t, 1<<40)
	store, clock, keyID, l := r.store, r.clock, r.keyID, r.ledger
	const perSecond, seconds = 1000, 20
	var warmup int
	for s := range seconds {
		for range perSecond {
			if _, err := l.Spend(t.Context(), keyID, clock.Now(), 1); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second / perSecond)
		}
		if err := l.Flush(t.Context(), false); err != nil {
			t.Fatal(err)
		}
		if s == 1 {
			warmup = store.Count("SettleCredits.keys")
		}
	}
	steady := store.Count("SettleCredits.keys") - warmup
	if steady > seconds-2 {
		t.Errorf("%d settles of the key in %d seconds of steady traffic, want at most one a second", steady, seconds-2)
	}
	if warmup > 12 {
		t.Errorf("%d settles in the first two seconds, want the armed part to double to the rate in a few", warmup)
	}
}

// ledgerRig is one node's ledger on a counting store over a SQLite file,
// with a key of given credits and a clock of its own.
type ledgerRig struct {
	db     *sqlite.DB
	store  *pometest.CountingStore
	clock  *pometest.Clock
	keyID  string
	ledger *credits.Ledger
}

func newLedgerRig(t *testing.T, remaining int64) ledgerRig {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "pome.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := ledgerRig{db: db, store: pometest.NewCountingStore(db), clock: pometest.NewClock(pometest.Epoch)}
	r.keyID = seedMeteredKey(t, db, remaining)
	r.ledger = credits.New(r.store, "node", credits.DefaultLeaseTTL, r.clock.Now)
	return r
}

// seedMeteredKey stores a team and a key with remaining credits.
func seedMeteredKey(t *testing.T, s pome.Store, remaining int64) string {
	t.Helper()
	now := pometest.Epoch
	ev := pome.NewAuditEvent(t.Context(), pome.AuditSignup, now)
	ev.ActorType = pome.ActorSystem
	u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "x", CreatedAt: now}
	team := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: now}
	if err := s.CreateUserWithTeam(t.Context(), u, team, ev); err != nil {
		t.Fatal(err)
	}
	plain, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	k := pome.Key{ID: pome.NewID("key_"), TeamID: team.ID, CreatedBy: u.ID, Name: "k", Role: pome.RoleDeveloper,
		Prefix: pome.DefaultKeyFormat.DisplayPrefix(plain), Digest: pome.DigestOf(plain), CreatedAt: now,
		Credits: &pome.Credits{Remaining: remaining}}
	if err := s.CreateKey(t.Context(), k, ev); err != nil {
		t.Fatal(err)
	}
	return k.ID
}

// A key that cannot pay is refused from memory, not with a store call per
// request; a change of its credits (Forget, as the change log calls it)
// has the next request ask the store again.
func TestSpentKeyAsksTheStoreOnce(t *testing.T) {
	t.Parallel()
	r := newLedgerRig(t, 3)
	db, store, clock, keyID, l := r.db, r.store, r.clock, r.keyID, r.ledger
	for i := range 3 {
		if _, err := l.Spend(t.Context(), keyID, clock.Now(), 1); err != nil {
			t.Fatalf("spend %d of 3 = %v", i+1, err)
		}
	}
	settles := store.Count("SettleCredits")
	for range 100 {
		if _, err := l.Spend(t.Context(), keyID, clock.Now(), 1); !errors.Is(err, pome.ErrQuotaExceeded) {
			t.Fatalf("spend past the credits = %v, want quota exceeded", err)
		}
		if _, err := l.Spend(t.Context(), keyID, clock.Now(), 5); !errors.Is(err, pome.ErrQuotaExceeded) {
			t.Fatalf("spend of 5 past the credits = %v, want quota exceeded", err)
		}
	}
	if got := store.Count("SettleCredits") - settles; got > 1 {
		t.Errorf("200 refused spends called the store %d times, want at most once", got)
	}
	k, err := db.KeyByIDAnyTeam(t.Context(), keyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateKey(t.Context(), k.TeamID, keyID, func(k *pome.Key) error {
		k.Credits.Remaining += 2
		return nil
	}, clock.Now(), updateEvent(t)); err != nil {
		t.Fatal(err)
	}
	l.Forget(keyID)
	if left, err := l.Spend(t.Context(), keyID, clock.Now(), 1); err != nil || left != 1 {
		t.Fatalf("spend after 2 were added = %d, %v; want 1 left", left, err)
	}
}

func updateEvent(t *testing.T) pome.AuditEvent {
	ev := pome.NewAuditEvent(t.Context(), pome.AuditKeyUpdated, pometest.Epoch)
	ev.ActorType = pome.ActorSystem
	return ev
}
