package authz_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/credits"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/sqlite"
)

// creditGate is a gate on a real SQLite store holding one key of each
// kind: unmetered, and with credits (more than any run spends).
func creditGate(tb testing.TB, remaining int64) (gate *authz.Gate, unmetered, metered string) {
	tb.Helper()
	store, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "pome.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "x", CreatedAt: now}
	team := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: now}
	ev := pome.NewAuditEvent(tb.Context(), pome.AuditSignup, now)
	ev.ActorType = pome.ActorSystem
	if err := store.CreateUserWithTeam(tb.Context(), u, team, ev); err != nil {
		tb.Fatal(err)
	}
	mint := func(c *pome.Credits) string {
		plain, err := pome.DefaultKeyFormat.Generate()
		if err != nil {
			tb.Fatal(err)
		}
		k := pome.Key{ID: pome.NewID("key_"), TeamID: team.ID, CreatedBy: u.ID, Name: "k", Role: pome.RoleDeveloper,
			Prefix: pome.DefaultKeyFormat.DisplayPrefix(plain), Digest: pome.DigestOf(plain), CreatedAt: now, Credits: c}
		if err := store.CreateKey(tb.Context(), k, ev); err != nil {
			tb.Fatal(err)
		}
		return plain
	}
	gate = authz.New(authz.Config{
		Verifier: apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Minute, time.Now),
		Meter:    meter.New(store),
		Credits:  credits.New(store, "node", credits.DefaultLeaseTTL, time.Now),
	})
	return gate, mint(nil), mint(&pome.Credits{Remaining: remaining})
}

// The credits are spent last: a refused attempt spends none, and one
// without credits left is refused with quota_exceeded.
func TestAuthorizeSpendsCredits(t *testing.T) {
	t.Parallel()
	gate, _, metered := creditGate(t, 2)
	viewerOnly := authz.Attempt{Key: metered, Action: pome.ActionAPIRead, Scopes: []string{"docs:read"}}
	if _, err := gate.Authorize(t.Context(), viewerOnly); !errors.Is(err, pome.ErrKeyInsufficientScope) {
		t.Fatalf("Authorize with a scope the key lacks = %v", err)
	}
	for want := int64(1); want >= 0; want-- {
		g, err := gate.Authorize(t.Context(), authz.Attempt{Key: metered, Action: pome.ActionAPIRead})
		if err != nil || !g.Credits.Metered || g.Credits.Remaining != want {
			t.Fatalf("Authorize = %+v, %v; want %d left: the refused attempt spent nothing", g.Credits, err, want)
		}
	}
	g, err := gate.Authorize(t.Context(), authz.Attempt{Key: metered, Action: pome.ActionAPIRead})
	if !errors.Is(err, pome.ErrQuotaExceeded) || g.Credits.RetryAfter != 0 {
		t.Fatalf("Authorize at 0 = %+v, %v; want quota exceeded, no refill to wait for", g.Credits, err)
	}
	if got := gate.OutcomeCount(pome.OutcomeQuotaExceeded); got != 1 {
		t.Errorf("OutcomeCount(quota_exceeded) = %d, want 1", got)
	}
}

// A key with credits costs about what one without does once its lease is
// armed: compare the two sub-benchmarks of one run.
func BenchmarkAuthorizeCredits(b *testing.B) {
	gate, unmetered, metered := creditGate(b, pome.MaxCredits)
	for _, c := range []struct{ name, key string }{{"unmetered", unmetered}, {"credits", metered}} {
		b.Run(c.name, func(b *testing.B) {
			a := authz.Attempt{Key: c.key, Action: pome.ActionAPIRead}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := gate.Authorize(b.Context(), a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
