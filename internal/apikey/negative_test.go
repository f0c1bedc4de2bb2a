package apikey_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
)

type negFixture struct {
	*fixture
	counting *pometest.CountingStore
}

// newNegFixture is newFixture with the verifier reading through a counting store.
func newNegFixture(t *testing.T) *negFixture {
	t.Helper()
	f := newFixture(t)
	cs := pometest.NewCountingStore(f.store)
	f.verifier = apikey.NewVerifier(cs, pome.DefaultKeyFormat, time.Minute, f.clock.Now)
	f.keys = apikey.New(f.store, pome.DefaultKeyFormat, f.verifier, f.clock.Now)
	return &negFixture{fixture: f, counting: cs}
}

func mustGenerate(t *testing.T) string {
	t.Helper()
	k, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The same unknown key costs one store read per negative TTL, however often
// it is presented.
func TestNegativeCacheOneLookupPerTTL(t *testing.T) {
	t.Parallel()
	f := newNegFixture(t)
	forged := mustGenerate(t)
	for round := range 3 {
		for range 100 {
			if _, err := f.verifier.Verify(t.Context(), forged); !errors.Is(err, pome.ErrInvalidAPIKey) {
				t.Fatalf("Verify(forged) = %v, want ErrInvalidAPIKey", err)
			}
		}
		if got := f.counting.Count("KeyByDigest"); got != round+1 {
			t.Fatalf("round %d: KeyByDigest calls = %d, want %d", round, got, round+1)
		}
		f.clock.Advance(apikey.DefaultNegativeTTL)
	}
}

// A key that appears in the store after it was found unknown (created on
// another node) works once the TTL has passed, or at once after
// ForgetUnknown, which a creation on this node calls.
func TestNegativeCacheForgetUnknown(t *testing.T) {
	t.Parallel()
	f := newNegFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	key := mustGenerate(t)
	if _, err := f.verifier.Verify(t.Context(), key); !errors.Is(err, pome.ErrInvalidAPIKey) {
		t.Fatalf("Verify(not yet stored) = %v, want ErrInvalidAPIKey", err)
	}
	k := pome.Key{ID: pome.NewID("key_"), TeamID: m.Team.ID, CreatedBy: m.User.ID, Name: "elsewhere",
		Prefix: key[:12], Digest: pome.DigestOf(key), Role: pome.RoleOwner, CreatedAt: f.clock.Now()}
	if err := f.store.CreateKey(t.Context(), k, pometest.Event(pome.AuditKeyCreated)); err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if _, err := f.verifier.Verify(t.Context(), key); !errors.Is(err, pome.ErrInvalidAPIKey) {
		t.Fatalf("Verify(created elsewhere, within TTL) = %v, want ErrInvalidAPIKey from the negative cache", err)
	}
	f.verifier.ForgetUnknown(pome.DigestOf(key))
	if _, err := f.verifier.Verify(t.Context(), key); err != nil {
		t.Fatalf("Verify after ForgetUnknown = %v, want nil", err)
	}
}

// A key created on this node works on its very first request, and a key
// created elsewhere at most one negative TTL after it was last refused.
func TestNegativeCacheTTLBoundsStaleness(t *testing.T) {
	t.Parallel()
	f := newNegFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatalf("Verify(just created) = %v, want nil", err)
	}
	key := mustGenerate(t)
	f.verifier.Verify(t.Context(), key)
	k := pome.Key{ID: pome.NewID("key_"), TeamID: m.Team.ID, CreatedBy: m.User.ID, Name: "elsewhere",
		Prefix: key[:12], Digest: pome.DigestOf(key), Role: pome.RoleOwner, CreatedAt: f.clock.Now()}
	if err := f.store.CreateKey(t.Context(), k, pometest.Event(pome.AuditKeyCreated)); err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	f.clock.Advance(apikey.DefaultNegativeTTL)
	if _, err := f.verifier.Verify(t.Context(), key); err != nil {
		t.Fatalf("Verify(created elsewhere, one TTL later) = %v, want nil", err)
	}
}

// unavailableStore cannot reach its database.
type unavailableStore struct {
	pome.Store
	calls int
}

func (s *unavailableStore) KeyByDigest(context.Context, pome.Digest) (pome.KeyOwner, error) {
	s.calls++
	return pome.KeyOwner{}, pome.ErrUnavailable.WithCause(errors.New("database is gone"))
}

// An unreachable store is never mistaken for an unknown key: Verify answers
// Unavailable, every time, and remembers nothing: each retry a second apart
// (the outage's probes) reads the store again.
func TestNegativeCacheNotOnUnavailable(t *testing.T) {
	t.Parallel()
	s := &unavailableStore{}
	clock := pometest.NewClock(pometest.Epoch)
	v := apikey.NewVerifier(s, pome.DefaultKeyFormat, time.Minute, clock.Now)
	key := mustGenerate(t)
	for i := range 3 {
		_, err := v.Verify(t.Context(), key)
		if pome.AsError(err).Kind != pome.Unavailable {
			t.Fatalf("Verify #%d with the store down = %v, want an Unavailable error", i+1, err)
		}
		clock.Advance(time.Second)
	}
	if s.calls != 3 {
		t.Errorf("KeyByDigest calls = %d, want 3 (nothing cached)", s.calls)
	}
}

// The cache can be turned off.
func TestNegativeCacheOff(t *testing.T) {
	t.Parallel()
	f := newNegFixture(t)
	f.verifier.SetNegativeCache(0, 0)
	forged := mustGenerate(t)
	for range 5 {
		f.verifier.Verify(t.Context(), forged)
	}
	if got := f.counting.Count("KeyByDigest"); got != 5 {
		t.Errorf("KeyByDigest calls with the cache off = %d, want 5", got)
	}
}

// VerifyGated calls the gate exactly when the store is about to be read, and
// a failing gate keeps the store unread.
func TestVerifyGated(t *testing.T) {
	t.Parallel()
	f := newNegFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	good := f.mustCreate(t, m, apikey.CreateParams{}).Plaintext
	forged := mustGenerate(t)
	errGate := errors.New("gate closed")
	for _, c := range []struct {
		name      string
		key       string
		gateErr   error
		wantGate  int
		wantStore int
		wantErr   error
	}{
		{"uncached good key", good, nil, 1, 1, nil},
		{"cached good key", good, nil, 0, 0, nil},
		{"malformed", "pme_nope", nil, 0, 0, pome.ErrInvalidAPIKey},
		{"unknown", forged, nil, 1, 1, pome.ErrInvalidAPIKey},
		{"unknown again: negative cache", forged, nil, 0, 0, pome.ErrInvalidAPIKey},
		{"gate refuses", mustGenerate(t), errGate, 1, 0, errGate},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.counting.Reset()
			calls := 0
			_, _, err := f.verifier.VerifyGated(t.Context(), c.key, func() error { calls++; return c.gateErr })
			if !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
				t.Errorf("VerifyGated = %v, want %v", err, c.wantErr)
			}
			if calls != c.wantGate {
				t.Errorf("gate calls = %d, want %d", calls, c.wantGate)
			}
			if got := f.counting.Count("KeyByDigest"); got != c.wantStore {
				t.Errorf("KeyByDigest calls = %d, want %d", got, c.wantStore)
			}
		})
	}
}

// Names with control, bidi or invisible characters are refused (the text
// rule of pome.CheckText); a description may hold newlines and tabs.
func TestCreateRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	for _, c := range []struct {
		name, desc string
		ok         bool
	}{
		{"plain", "", true},
		{"émoji 🔑 ok", "line one\nline two\tand a tab", true},
		{"nul\x00", "", false},
		{"newline\n", "", false},
		{"tab\t", "", false},
		{"escape \x1b[31mred", "", false},
		{"del\x7f", "", false},
		{"c1 \u0085", "", false},
		{"bidi \u202egnp.exe", "", false},
		{"isolate \u2066x", "", false},
		{"ok", "escape \x1b[2J", false},
		{"ok", "bidi \u202e", false},
		{"pro\u200bd", "", false},
		{"ok", "zero\u200bwidth", false},
		{"ok", "soft\u00adhyphen", false},
		{"bom\ufeff", "", false},
		{"ok", "line\u2028separator", false},
	} {
		_, err := f.keys.Create(t.Context(), m, apikey.CreateParams{Name: &c.name, Description: c.desc})
		if c.ok && err != nil {
			t.Errorf("Create(name %q, description %q) = %v, want nil", c.name, c.desc, err)
		}
		if !c.ok && pome.AsError(err).Code != "invalid_parameter" {
			t.Errorf("Create(name %q, description %q) = %v, want invalid_parameter", c.name, c.desc, err)
		}
	}
}

// VerifyGated names the key that its status refuses (revoked, expired,
// team banned), for the gate to count the refusal in the key's usage, while
// the owner it answers stays empty, as Verify's: no surface learns more of
// a refused key than before. An unknown key is named by no id.
func TestVerifyGatedNamesRefusedKeys(t *testing.T) {
	t.Parallel()
	f := newNegFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	revoked := f.mustCreate(t, m, apikey.CreateParams{})
	if _, err := f.keys.Revoke(t.Context(), m, revoked.Key.ID); err != nil {
		t.Fatal(err)
	}
	expired := f.mustCreate(t, m, apikey.CreateParams{ExpiresInDays: ptr(1)})
	valid := f.mustCreate(t, m, apikey.CreateParams{})
	banned := f.member(t, nil, pome.RoleOwner)
	ofBanned := f.mustCreate(t, banned, apikey.CreateParams{})
	if err := f.store.UpdateTeam(t.Context(), pome.Team{ID: banned.Team.ID, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, f.clock.Now(), pometest.Event(pome.AuditTeamBanned)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(25 * time.Hour)
	for _, c := range []struct {
		name, key, wantID string
		wantErr           error
	}{
		{"valid", valid.Plaintext, valid.Key.ID, nil},
		{"revoked", revoked.Plaintext, revoked.Key.ID, pome.ErrKeyRevoked},
		{"expired", expired.Plaintext, expired.Key.ID, pome.ErrKeyExpired},
		{"team banned", ofBanned.Plaintext, ofBanned.Key.ID, pome.ErrTeamBanned},
		{"unknown", mustGenerate(t), "", pome.ErrInvalidAPIKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, pass := range []string{"from the store", "from the cache"} {
				o, id, err := f.verifier.VerifyGated(t.Context(), c.key, nil)
				if id != c.wantID || !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
					t.Errorf("%s: VerifyGated = %q, %v; want %q, %v", pass, id, err, c.wantID, c.wantErr)
				}
				if err != nil && o.Key.ID != "" {
					t.Errorf("%s: VerifyGated of a refused key answered its owner %+v", pass, o)
				}
			}
		})
	}
}
