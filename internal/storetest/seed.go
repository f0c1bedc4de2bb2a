package storetest

import (
	"context"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// Seeder is a store that also takes accounts in bulk, for benchmarks and
// tests that need many (sqlite.DB and postgres.DB have SeedAccounts, which
// is no pome.Store method: Pome itself never seeds).
type Seeder interface {
	pome.Store
	SeedAccounts(ctx context.Context, accounts iter.Seq2[pome.Member, []pome.Key]) error
}

// RunSeed checks SeedAccounts on fresh stores from open, each as a named
// subtest: what it stores reads back through the Store as the Store's own
// methods would have stored it, without audit events or change-log entries,
// and a seed that fails stores nothing.
func RunSeed(t *testing.T, open func(t *testing.T) Seeder) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s Seeder)
	}{
		{"reads back as stored", testSeedReadsBack},
		{"all or nothing", testSeedAllOrNothing},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// seedAccounts is n accounts of keys keys each, the first an owner's, the
// next ones an admin's; the second key of each is expired, revoked and used.
func seedAccounts(n, keys int) ([]pome.Member, [][]pome.Key) {
	var ms []pome.Member
	var ks [][]pome.Key
	for i := range n {
		a := account{
			User: pome.User{ID: pome.NewID("usr_"), Email: fmt.Sprintf("seed%d@example.com", i), PasswordHash: "x", CreatedAt: at(time.Duration(i) * time.Second)},
			Team: pome.Team{ID: pome.NewID("tm_"), Slug: fmt.Sprint("seed-", i), Name: fmt.Sprint("Seed ", i), PlanTier: pome.PlanPro,
				Status: pome.TeamActive, CreatedAt: at(time.Duration(i)*time.Second + time.Millisecond)},
		}
		role := pome.RoleAdmin
		if i == 0 {
			role = pome.RoleOwner
		}
		ms = append(ms, pome.Member{User: a.User, Team: a.Team, Role: role})
		var these []pome.Key
		for j := range keys {
			k := newKey(a, fmt.Sprint("key ", j), at(time.Duration(i)*time.Second+time.Duration(j+2)*time.Millisecond))
			if j == 1 {
				k.ExpiresAt, k.RevokedAt, k.LastUsed, k.UsageCount = ptr(at(time.Hour)), ptr(at(2*time.Hour)), ptr(at(time.Minute)), 42
			}
			these = append(these, k)
		}
		ks = append(ks, these)
	}
	return ms, ks
}

// pairs yields ms[i] with ks[i].
func pairs(ms []pome.Member, ks [][]pome.Key) iter.Seq2[pome.Member, []pome.Key] {
	return func(yield func(pome.Member, []pome.Key) bool) {
		for i := range ms {
			if !yield(ms[i], ks[i]) {
				return
			}
		}
	}
}

func testSeedReadsBack(t *testing.T, s Seeder) {
	ctx := t.Context()
	ms, ks := seedAccounts(3, 4)
	if err := s.SeedAccounts(ctx, pairs(ms, ks)); err != nil {
		t.Fatalf("SeedAccounts = %v, want nil", err)
	}
	for i, m := range ms {
		if u, err := s.UserByID(ctx, m.User.ID); err != nil || !sameUser(u, m.User) {
			t.Errorf("UserByID(%q) = %+v, %v, want %+v", m.User.ID, u, err, m.User)
		}
		if tm, err := s.TeamBySlug(ctx, m.Team.Slug); err != nil || !sameTeam(tm, m.Team) {
			t.Errorf("TeamBySlug(%q) = %+v, %v, want %+v", m.Team.Slug, tm, err, m.Team)
		}
		if mem, err := s.Member(ctx, m.Team.ID, m.User.ID); err != nil || mem.Role != m.Role || !sameTime(mem.JoinedAt, m.Team.CreatedAt) {
			t.Errorf("Member(%q, %q) = %+v, %v, want role %s joined %s", m.Team.ID, m.User.ID, mem, err, m.Role, m.Team.CreatedAt)
		}
		if got, err := s.Memberships(ctx, m.User.ID); err != nil || len(got) != 1 || got[0].Role != m.Role || !sameTeam(got[0].Team, m.Team) {
			t.Errorf("Memberships(%q) = %+v, %v, want only %s in %s", m.User.ID, got, err, m.Role, m.Team.Slug)
		}
		for _, k := range ks[i] {
			if got := mustKeyByID(t, s, m.Team.ID, k.ID); !sameKey(got, k) {
				t.Errorf("KeyByID(%q) = %s, want %s", k.ID, fmtKey(got), fmtKey(k))
			}
			o, err := s.KeyByDigest(ctx, k.Digest)
			if err != nil || !sameKey(o.Key, k) || !sameTeam(o.Team, m.Team) || o.User.ID != m.User.ID || o.CreatorRole != m.Role {
				t.Errorf("KeyByDigest(%x) = %s of %s by %s (%s), %v, want %s of %s by %s (%s)", k.Digest[:4], fmtKey(o.Key), o.Team.Slug,
					o.User.ID, o.CreatorRole, err, fmtKey(k), m.Team.Slug, m.User.ID, m.Role)
			}
		}
		list, err := s.ListKeys(ctx, pome.KeyFilter{TeamID: m.Team.ID, Now: t0})
		if err != nil || len(list) != len(ks[i]) {
			t.Errorf("ListKeys(%s) = %s, %v, want %d keys", m.Team.Slug, fmtKeyIDs(list), err, len(ks[i]))
		}
		if evs, err := s.AuditEvents(ctx, pome.AuditFilter{TeamID: m.Team.ID, Limit: 100}); err != nil || len(evs) != 0 {
			t.Errorf("AuditEvents(%s) = %d events, %v, want none: a seed records no event", m.Team.Slug, len(evs), err)
		}
	}
	if seq, err := s.LastChange(ctx); err != nil || seq != 0 {
		t.Errorf("LastChange() = %d, %v, want 0: a seed appends no change", seq, err)
	}

	// A seeded store goes on as any: the Store's methods work on what it holds.
	a := account{User: ms[0].User, Team: ms[0].Team}
	k := mustKey(t, s, a, "after the seed", at(time.Hour))
	if err := s.AddUsage(ctx, []pome.UsageDelta{{KeyID: ks[0][0].ID, Outcomes: pome.OutcomeCounts{3}, At: at(time.Minute), LastUsed: at(time.Minute)}}); err != nil {
		t.Fatalf("AddUsage = %v, want nil", err)
	}
	if got := mustKeyByID(t, s, a.Team.ID, ks[0][0].ID); got.UsageCount != 3 {
		t.Errorf("KeyByID(%q).UsageCount = %d, want 3", ks[0][0].ID, got.UsageCount)
	}
	if list, err := s.ListKeys(ctx, pome.KeyFilter{TeamID: a.Team.ID, Now: t0}); err != nil || len(list) != len(ks[0])+1 || list[0].ID != k.ID {
		t.Errorf("ListKeys(%s) = %s, %v, want %s first of %d", a.Team.Slug, fmtKeyIDs(list), err, k.ID, len(ks[0])+1)
	}
}

func testSeedAllOrNothing(t *testing.T, s Seeder) {
	ctx := t.Context()
	ms, ks := seedAccounts(3, 2)
	ks[2][1].ID = ks[0][0].ID // the last key's id is taken by the first
	if err := s.SeedAccounts(ctx, pairs(ms, ks)); err == nil {
		t.Fatalf("SeedAccounts(a key id twice) = nil, want an error")
	}
	for _, m := range ms {
		if _, err := s.TeamBySlug(ctx, m.Team.Slug); !isErr(err, pome.ErrTeamNotFound) {
			t.Errorf("TeamBySlug(%q) after a failed seed = %v, want ErrTeamNotFound", m.Team.Slug, err)
		}
	}
	// Nothing was left half done: the same accounts seed afterwards.
	ks[2][1].ID = pome.NewID("key_")
	if err := s.SeedAccounts(ctx, pairs(ms, ks)); err != nil {
		t.Fatalf("SeedAccounts after a failed one = %v, want nil", err)
	}
}
