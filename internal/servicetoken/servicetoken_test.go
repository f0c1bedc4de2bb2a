package servicetoken_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/servicetoken"
)

// countingTokens counts the store reads of authentication.
type countingTokens struct {
	servicetoken.Store
	reads int
}

func (c *countingTokens) ServiceTokenByDigest(ctx context.Context, d pome.Digest) (pome.ServiceToken, error) {
	c.reads++
	return c.Store.ServiceTokenByDigest(ctx, d)
}

// A token is trusted from the cache for CacheTTL of the process's clock
// (time.Now, as production passes it), and read again from then on: a
// revocation made elsewhere (`pome admin service-token revoke` on the
// database) is honoured here within CacheTTL, and not one store read a
// request is paid meanwhile. The synctest bubble's fake clock makes the
// boundary exact. A cache that never expired fails "refused"; one that
// expired early, or not at all, fails the read counts.
func TestCachedTokenExpires(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		db := pometest.NewStore(t)
		store := &countingTokens{Store: db}
		s := servicetoken.New(store, time.Now)
		c, err := s.Create(t.Context(), "billing", nil)
		if err != nil {
			t.Fatal(err)
		}
		authenticate := func(wantErr error, wantReads int, when string) {
			t.Helper()
			if _, err := s.Authenticate(t.Context(), c.Plaintext, nil); !errors.Is(err, wantErr) {
				t.Fatalf("Authenticate %s = %v, want %v", when, err, wantErr)
			}
			if n := store.reads; n != wantReads {
				t.Fatalf("store reads after Authenticate %s = %d, want %d", when, n, wantReads)
			}
		}
		authenticate(nil, 1, "first")
		// Revoked straight on the database, as another process does: this
		// Service's cache does not know.
		if _, err := db.RevokeServiceToken(t.Context(), c.Token.ID, time.Now(), pometest.Event(pome.AuditServiceTokenRevoked)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(servicetoken.CacheTTL - time.Nanosecond)
		authenticate(nil, 1, "1ns before CacheTTL (cached)")
		time.Sleep(time.Nanosecond)
		authenticate(pome.ErrInvalidServiceToken, 2, "at CacheTTL, revoked elsewhere")
		time.Sleep(servicetoken.CacheTTL / 2)
		authenticate(pome.ErrInvalidServiceToken, 2, "revoked, cached as such")
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	clock := pometest.NewClock(pometest.Epoch)
	store := &countingTokens{Store: pometest.NewStore(t)}
	s := servicetoken.New(store, clock.Now)
	c, err := s.Create(t.Context(), "billing", nil)
	if err != nil {
		t.Fatal(err)
	}
	gated := 0
	gate := func() error { gated++; return nil }

	t.Run("malformed: no store read, no gate", func(t *testing.T) {
		// The token with its last character changed: a wrong checksum.
		last := "x"
		if c.Plaintext[39:] == last {
			last = "y"
		}
		for _, cand := range []string{"", "pst_abc", c.Plaintext[:39] + last, "pme" + c.Plaintext[3:]} {
			if _, err := s.Authenticate(t.Context(), cand, gate); !errors.Is(err, pome.ErrInvalidServiceToken) {
				t.Errorf("Authenticate(%q) = %v, want ErrInvalidServiceToken", cand, err)
			}
		}
		if store.reads != 0 || gated != 0 {
			t.Errorf("reads %d, gate calls %d; want 0, 0", store.reads, gated)
		}
	})
	t.Run("one read per TTL", func(t *testing.T) {
		for range 3 {
			st, err := s.Authenticate(t.Context(), c.Plaintext, gate)
			if err != nil || st.ID != c.Token.ID {
				t.Fatalf("Authenticate = %+v, %v; want %s", st, err, c.Token.ID)
			}
		}
		clock.Advance(servicetoken.CacheTTL)
		s.Authenticate(t.Context(), c.Plaintext, gate)
		if store.reads != 2 || gated != 2 {
			t.Errorf("reads %d, gate calls %d; want 2, 2", store.reads, gated)
		}
	})
	t.Run("a refusing gate stops the read", func(t *testing.T) {
		unknown, _ := pome.ServiceTokenFormat.Generate()
		refuse := errors.New("over the limit")
		before := store.reads
		if _, err := s.Authenticate(t.Context(), unknown, func() error { return refuse }); err != refuse {
			t.Errorf("Authenticate(unknown, refusing gate) = %v, want the gate's error", err)
		}
		if store.reads != before {
			t.Errorf("a refused gate still read the store")
		}
	})
	t.Run("revoked here: refused at once", func(t *testing.T) {
		if _, err := s.Revoke(t.Context(), c.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(t.Context(), c.Plaintext, nil); !errors.Is(err, pome.ErrInvalidServiceToken) {
			t.Errorf("Authenticate(revoked) = %v, want ErrInvalidServiceToken", err)
		}
	})
	t.Run("create gives the scopes asked, keys:verify when none", func(t *testing.T) {
		for _, c := range []struct {
			asked []string
			want  []pome.Scope
		}{
			{nil, []pome.Scope{pome.ScopeKeysVerify}},
			{[]string{"keys:read", "teams:write"}, []pome.Scope{pome.ScopeKeysRead, pome.ScopeTeamsWrite}},
		} {
			c2, err := s.Create(t.Context(), "scoped", c.asked)
			if err != nil {
				t.Fatalf("Create(scopes %q) = %v", c.asked, err)
			}
			got, err := s.Authenticate(t.Context(), c2.Plaintext, nil)
			if err != nil || !slices.Equal(got.Scopes, c.want) {
				t.Errorf("Create(scopes %q), authenticated: scopes %v, %v; want %v", c.asked, got.Scopes, err, c.want)
			}
		}
		if _, err := s.Create(t.Context(), "scoped", []string{"keys:admin"}); pome.AsError(err).Code != "invalid_parameter" {
			t.Errorf("Create(scope keys:admin) = %v, want invalid_parameter", err)
		}
	})
	t.Run("create validates the name", func(t *testing.T) {
		if _, err := s.Create(t.Context(), "", nil); !errors.Is(err, pome.MissingParameter("name")) {
			t.Errorf("Create(\"\") = %v, want missing_required_parameter", err)
		}
		long := make([]byte, 101)
		for i := range long {
			long[i] = 'a'
		}
		if _, err := s.Create(t.Context(), string(long), nil); pome.AsError(err).Code != "invalid_parameter" {
			t.Errorf("Create(101 chars) = %v, want invalid_parameter", err)
		}
		// The text rule of every name (pome.CheckText).
		for _, name := range []string{"bill\x1bing", "bill\u202eing", "bill\u200bing", "bill\xffing"} {
			if _, err := s.Create(t.Context(), name, nil); pome.AsError(err).Code != "invalid_parameter" {
				t.Errorf("Create(%q) = %v, want invalid_parameter", name, err)
			}
		}
	})
}
