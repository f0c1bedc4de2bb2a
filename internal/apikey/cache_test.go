package apikey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

// A key revoked on this node is refused on the very next request, though it
// was cached (docs/api.md), and so is the old key of a roll with no grace.
func TestCachedKeyRevokedOnNextRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	t.Run("revoke", func(t *testing.T) {
		c := f.mustCreate(t, m, apikey.CreateParams{})
		for range 3 {
			if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
				t.Fatalf("Verify(cached key) = %v", err)
			}
		}
		if _, err := f.keys.Revoke(t.Context(), m, c.Key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
			t.Fatalf("Verify(revoked while cached) = %v, want key_revoked", err)
		}
	})
	t.Run("roll without grace", func(t *testing.T) {
		c := f.mustCreate(t, m, apikey.CreateParams{})
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
			t.Fatal(err)
		}
		if _, err := f.keys.Roll(t.Context(), m, c.Key.ID, apikey.RollParams{GraceHours: ptr(0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyExpired) {
			t.Fatalf("Verify(rolled away while cached) = %v, want key_expired", err)
		}
	})
}

// An invalidation that never arrives (no change log followed, a revocation
// straight on the database) is healed by the time-to-live: the cached answer
// stands until the ttl, and not after.
func TestLostInvalidationHealedByTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // ttl: one minute
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.RevokeKey(t.Context(), m.Team.ID, c.Key.ID, f.clock.Now(), pometest.Event(pome.AuditKeyRevoked)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute - time.Millisecond)
	if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatalf("Verify(revoked elsewhere, within the ttl) = %v, want the cached answer", err)
	}
	f.clock.Advance(time.Millisecond)
	if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
		t.Fatalf("Verify(revoked elsewhere, one ttl after caching) = %v, want key_revoked", err)
	}
}

// The cache holds at most its size; an evicted key still verifies, from the
// store.
func TestCacheBounded(t *testing.T) {
	t.Parallel()
	db := pometest.NewStore(t)
	store := pometest.NewCountingStore(db)
	clock := pometest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	v := apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Hour, clock.Now)
	v.SetCacheSize(20)
	f := &fixture{store: db, clock: clock, verifier: v, keys: apikey.New(store, pome.DefaultKeyFormat, v, clock.Now)}
	m := f.member(t, nil, pome.RoleOwner)
	var keys []string
	for range 200 {
		keys = append(keys, f.mustCreate(t, m, apikey.CreateParams{}).Plaintext)
	}
	for _, k := range keys {
		if _, err := v.Verify(t.Context(), k); err != nil {
			t.Fatalf("Verify = %v", err)
		}
	}
	v.CleanUp()
	if n := v.Stats().Entries; n > 20 {
		t.Fatalf("cache entries after 200 keys = %d, want at most 20", n)
	}
	store.Reset()
	for _, k := range keys {
		if _, err := v.Verify(t.Context(), k); err != nil {
			t.Fatalf("Verify(maybe evicted) = %v", err)
		}
	}
	if n := store.Count("KeyByDigest"); n < 200-20 {
		t.Fatalf("store reads verifying 200 keys through a cache of 20 = %d, want at least 180", n)
	}
}

// Keys of one creator in one team share one owner record, and invalidating
// a member or a team drops exactly their keys.
func TestForgetMemberAndTeam(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	dev := f.member(t, &owner.Team, pome.RoleDeveloper)
	other := f.member(t, nil, pome.RoleOwner) // another team
	ownerKey := f.mustCreate(t, owner, apikey.CreateParams{})
	devKeys := []apikey.Created{f.mustCreate(t, dev, apikey.CreateParams{}), f.mustCreate(t, dev, apikey.CreateParams{})}
	otherKey := f.mustCreate(t, other, apikey.CreateParams{})
	all := []string{ownerKey.Plaintext, devKeys[0].Plaintext, devKeys[1].Plaintext, otherKey.Plaintext}
	verifyAll := func(t *testing.T) {
		t.Helper()
		for _, k := range all {
			if _, err := f.verifier.Verify(t.Context(), k); err != nil {
				t.Fatalf("Verify = %v", err)
			}
		}
	}
	store := pometest.NewCountingStore(f.store)
	v := apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Hour, f.clock.Now)
	f.verifier = v
	verifyAll(t)

	store.Reset()
	v.ForgetMember(owner.Team.ID, dev.User.ID)
	verifyAll(t)
	if n := store.Count("KeyByDigest"); n != 2 {
		t.Errorf("store reads after ForgetMember(dev) = %d, want 2 (the developer's keys)", n)
	}
	store.Reset()
	v.ForgetTeam(owner.Team.ID)
	verifyAll(t)
	if n := store.Count("KeyByDigest"); n != 3 {
		t.Errorf("store reads after ForgetTeam = %d, want 3 (the team's keys)", n)
	}
	store.Reset()
	v.ForgetKeyID(otherKey.Key.ID)
	verifyAll(t)
	if n := store.Count("KeyByDigest"); n != 1 {
		t.Errorf("store reads after ForgetKeyID = %d, want 1", n)
	}
}

// losingStore reads the change log as empty: every invalidation made
// elsewhere is lost, while the log itself stays readable.
type losingStore struct{ *sqlite.DB }

func (losingStore) Changes(context.Context, int64, int) ([]pome.Change, error) { return nil, nil }

// While the change log is read, a cached key is trusted past the ttl, up to
// the followed ttl, which heals a lost invalidation; once the log is no
// longer read, the ttl bounds it again.
func TestFollowedTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := apikey.NewVerifier(losingStore{f.store}, pome.DefaultKeyFormat, time.Minute, f.clock.Now)
	v.SetFollowedTTL(time.Hour)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	other := f.mustCreate(t, m, apikey.CreateParams{})

	synctest.Test(t, func(t *testing.T) {
		// Follow reads the log every millisecond (of the bubble's fake
		// time), so it is followed while its last read began within 2 ms of
		// the verifier's clock, which moves only when told.
		stop := startFollow(t, v, time.Millisecond)
		// followed runs one poll, and checks it began at the clock's time.
		followed := func() {
			t.Helper()
			elapse(time.Millisecond)
			if !v.FollowedAt().Equal(f.clock.Now()) {
				t.Fatalf("Follow: last read of the change log at %v, want one at %v", v.FollowedAt(), f.clock.Now())
			}
		}
		verify := func(key string, wantErr error, wantReads uint64, what string) {
			t.Helper()
			if _, err := v.Verify(t.Context(), key); !errors.Is(err, wantErr) {
				t.Fatalf("Verify(%s) = %v, want %v", what, err, wantErr)
			}
			if n := v.Stats().StoreReads; n != wantReads {
				t.Fatalf("store reads after Verify(%s) = %d, want %d", what, n, wantReads)
			}
		}

		followed()
		verify(c.Plaintext, nil, 1, "new key")
		verify(other.Plaintext, nil, 2, "other new key")
		if _, err := f.store.RevokeKey(t.Context(), m.Team.ID, c.Key.ID, f.clock.Now(), pometest.Event(pome.AuditKeyRevoked)); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(59 * time.Minute)
		followed()
		verify(c.Plaintext, nil, 2, "cached past the ttl, log followed")
		f.clock.Advance(time.Minute)
		followed()
		verify(c.Plaintext, pome.ErrKeyRevoked, 3, "revoked, invalidation lost, one followed ttl after caching")

		verify(other.Plaintext, nil, 4, "other key, one followed ttl after caching")
		stop()
		f.clock.Advance(time.Minute - time.Millisecond)
		verify(other.Plaintext, nil, 4, "within the ttl, log no longer followed")
		f.clock.Advance(time.Millisecond)
		verify(other.Plaintext, nil, 5, "past the ttl, log no longer followed")
	})
}

// Verifying a cached key, the public API's every request, does not allocate
// (the claim on cachedKey.keyOwner), nor does refusing a well-formed key the
// negative cache remembers as unknown (a flood of one forged key). Both
// keys are heap strings, as a request's header values are. (Not parallel:
// AllocsPerRun counts the whole process's allocations.)
func TestVerifyAllocs(t *testing.T) {
	f := newFixture(t)
	c := f.mustCreate(t, f.member(t, nil, pome.RoleOwner), apikey.CreateParams{})
	forged, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		key     string
		wantErr error
	}{
		{"cached key", c.Plaintext, nil},
		{"negative-cache hit", forged, pome.ErrInvalidAPIKey},
	} {
		key := strings.Clone(tc.key)
		// The first call reads the store and caches the answer.
		if _, err := f.verifier.Verify(ctx, key); !errors.Is(err, tc.wantErr) {
			t.Fatalf("Verify(%s) = %v, want %v", tc.name, err, tc.wantErr)
		}
		reads := f.verifier.Stats().StoreReads
		if n := testing.AllocsPerRun(100, func() { f.verifier.Verify(ctx, key) }); n != 0 {
			t.Errorf("Verify(%s) allocs = %v, want 0", tc.name, n)
		}
		if got := f.verifier.Stats().StoreReads; got != reads {
			t.Errorf("Verify(%s): %d store reads while measured, want 0 (answered from memory)", tc.name, got-reads)
		}
	}
}
