package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

var keyTests = []test{
	{"CreateKey then KeyByID returns every field", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := newKey(a, "ci-prod", at(time.Minute))
		k.Role = pome.RoleAdmin
		k.ExpiresAt = ptr(at(48 * time.Hour))
		k.Lifetime = 48*time.Hour - time.Minute
		k.IssuedTo = pome.NewID("usr_")
		mustCreateKey(t, s, k)
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); !sameKey(got, k) {
			t.Errorf("KeyByID(%q) = %s, want %s", k.ID, fmtKey(got), fmtKey(k))
		}
		if o, err := s.KeyByDigest(t.Context(), k.Digest); err != nil || o.Key.Lifetime != k.Lifetime {
			t.Errorf("KeyByDigest(%x).Key.Lifetime = %v, %v; want %v", k.Digest[:4], o.Key.Lifetime, err, k.Lifetime)
		}
	}},
	{"KeyByID not found", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		id := pome.NewID("key_")
		_, err := s.KeyByID(t.Context(), a.Team.ID, id)
		wantErr(t, "KeyByID("+id+")", err, pome.ErrKeyNotFound)
	}},
	{"KeyByID of another team's key is not found", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		k := mustKey(t, s, b, "theirs", t0)
		_, err := s.KeyByID(t.Context(), a.Team.ID, k.ID)
		wantErr(t, "KeyByID(other team's key)", err, pome.ErrKeyNotFound)
	}},
	{"KeyByDigest returns key, team and creator", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		mustKey(t, s, a, "other", t0)
		k := newKey(a, "ci", at(time.Minute))
		k.ExpiresAt = ptr(at(time.Hour))
		mustCreateKey(t, s, k)
		o, err := s.KeyByDigest(t.Context(), k.Digest)
		if err != nil {
			t.Fatalf("KeyByDigest(%x) = %v, want nil", k.Digest[:4], err)
		}
		if !sameKey(o.Key, k) {
			t.Errorf("KeyByDigest(%x).Key = %s, want %s", k.Digest[:4], fmtKey(o.Key), fmtKey(k))
		}
		if !sameTeam(o.Team, a.Team) {
			t.Errorf("KeyByDigest(%x).Team = %+v, want %+v", k.Digest[:4], o.Team, a.Team)
		}
		// The creator comes without a password hash: verification has no use
		// for it and caches what it gets.
		wantUser := a.User
		wantUser.PasswordHash = ""
		if !sameUser(o.User, wantUser) {
			t.Errorf("KeyByDigest(%x).User = %+v, want %+v", k.Digest[:4], o.User, wantUser)
		}
	}},
	{"KeyByDigest not found", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		mustKey(t, s, a, "ci", t0)
		_, err := s.KeyByDigest(t.Context(), pome.DigestOf("pme_unknown"))
		wantErr(t, "KeyByDigest(unknown)", err, pome.ErrKeyNotFound)
	}},
	{"KeyByDigest sees revocation and usage", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		if err := s.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{3}, At: at(time.Minute), LastUsed: at(time.Minute)}}); err != nil {
			t.Fatalf("AddUsage = %v, want nil", err)
		}
		if _, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, at(time.Hour), sysEvent(pome.AuditKeyRevoked, at(time.Hour))); err != nil {
			t.Fatalf("RevokeKey = %v, want nil", err)
		}
		o, err := s.KeyByDigest(t.Context(), k.Digest)
		want := k
		want.RevokedAt, want.LastUsed, want.UsageCount = ptr(at(time.Hour)), ptr(at(time.Minute)), 3
		if err != nil || !sameKey(o.Key, want) {
			t.Errorf("KeyByDigest(%x) = %s, %v, want %s", k.Digest[:4], fmtKey(o.Key), err, fmtKey(want))
		}
	}},
}

var listKeyTests = []test{
	{"newest first, ties by id descending", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k1 := mustKey(t, s, a, "one", at(1*time.Minute))
		k3 := mustKey(t, s, a, "three", at(3*time.Minute))
		k2a := mustKey(t, s, a, "two-a", at(2*time.Minute))
		k2b := mustKey(t, s, a, "two-b", at(2*time.Minute))
		two := []pome.Key{k2a, k2b}
		slices.SortFunc(two, func(x, y pome.Key) int { return strings.Compare(y.ID, x.ID) })
		want := []pome.Key{k3, two[0], two[1], k1}
		got, err := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: a.Team.ID, Now: at(time.Hour)})
		if err != nil || len(got) != len(want) {
			t.Fatalf("ListKeys(team) = %s, %v, want %s", fmtKeyIDs(got), err, fmtKeyIDs(want))
		}
		for i := range want {
			if !sameKey(got[i], want[i]) {
				t.Errorf("ListKeys(team)[%d] = %s, want %s", i, fmtKey(got[i]), fmtKey(want[i]))
			}
		}
	}},
	{"searches names in any case and prefixes from their start", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		ci := mustKey(t, s, a, "CI-Production", at(1*time.Minute))
		billing := mustKey(t, s, a, "billing 100%_off", at(2*time.Minute))
		mustKey(t, s, b, "ci-theirs", at(3*time.Minute))
		for _, c := range []struct {
			search string
			want   []pome.Key
		}{
			{"ci-prod", []pome.Key{ci}},
			{"PRODUCTION", []pome.Key{ci}},
			{"%_", []pome.Key{billing}}, // no pattern: LIKE's wildcards are characters
			{ci.Prefix[:8], []pome.Key{ci}},
			{ci.Prefix[2:8], nil}, // a prefix matches from its start only
			{"nothing", nil},
		} {
			f := pome.KeyFilter{TeamID: a.Team.ID, Now: at(time.Hour), Search: c.search}
			got, err := s.ListKeys(t.Context(), f)
			if err != nil || fmtKeyIDs(got) != fmtKeyIDs(c.want) {
				t.Errorf("ListKeys(search %q) = %s, %v, want %s", c.search, fmtKeyIDs(got), err, fmtKeyIDs(c.want))
			}
			if n, err := s.CountKeys(t.Context(), f); err != nil || n != len(c.want) {
				t.Errorf("CountKeys(search %q) = %d, %v, want %d", c.search, n, err, len(c.want))
			}
		}
	}},
	{"only the team's keys", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		mine := mustKey(t, s, a, "mine", t0)
		mustKey(t, s, b, "theirs", t0)
		got, err := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: a.Team.ID, Now: t0})
		if err != nil || len(got) != 1 || got[0].ID != mine.ID {
			t.Errorf("ListKeys(team a) = %s, %v, want [%s]", fmtKeyIDs(got), err, mine.ID)
		}
		none, err := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: pome.NewID("tm_"), Now: t0})
		if err != nil || len(none) != 0 {
			t.Errorf("ListKeys(unknown team) = %s, %v, want [], nil", fmtKeyIDs(none), err)
		}
	}},
	{"filters by status at Now and creator", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		ctx := t.Context()
		now := at(24 * time.Hour)
		active := mustKey(t, s, a, "active", at(1*time.Minute))
		future := newKey(a, "expires later", at(2*time.Minute))
		future.ExpiresAt = ptr(now.Add(time.Millisecond))
		mustCreateKey(t, s, future)
		expiredNow := newKey(a, "expires exactly now", at(3*time.Minute))
		expiredNow.ExpiresAt = ptr(now)
		mustCreateKey(t, s, expiredNow)
		expired := newKey(a, "expired", at(4*time.Minute))
		expired.ExpiresAt = ptr(at(time.Hour))
		mustCreateKey(t, s, expired)
		revoked := mustKey(t, s, a, "revoked", at(5*time.Minute))
		revokedExpired := newKey(a, "revoked and expired", at(6*time.Minute))
		revokedExpired.ExpiresAt = ptr(at(time.Hour))
		mustCreateKey(t, s, revokedExpired)
		for _, k := range []pome.Key{revoked, revokedExpired} {
			if _, err := s.RevokeKey(ctx, a.Team.ID, k.ID, at(30*time.Minute), sysEvent(pome.AuditKeyRevoked, at(30*time.Minute))); err != nil {
				t.Fatalf("RevokeKey(%q) = %v, want nil", k.ID, err)
			}
		}
		// A second member's key, seeded through a second account's user.
		other := mustAccount(t, s, "other")
		byOther := newKey(a, "by other", at(7*time.Minute))
		byOther.CreatedBy = other.User.ID
		mustCreateKey(t, s, byOther)

		for _, tc := range []struct {
			name string
			f    pome.KeyFilter
			want []pome.Key
		}{
			{"all", pome.KeyFilter{}, []pome.Key{byOther, revokedExpired, revoked, expired, expiredNow, future, active}},
			{"active", pome.KeyFilter{Status: pome.KeyActive}, []pome.Key{byOther, future, active}},
			{"revoked", pome.KeyFilter{Status: pome.KeyRevoked}, []pome.Key{revokedExpired, revoked}},
			{"expired", pome.KeyFilter{Status: pome.KeyExpired}, []pome.Key{expired, expiredNow}},
			{"by creator", pome.KeyFilter{CreatedBy: a.User.ID}, []pome.Key{revokedExpired, revoked, expired, expiredNow, future, active}},
			{"by other creator, active", pome.KeyFilter{CreatedBy: other.User.ID, Status: pome.KeyActive}, []pome.Key{byOther}},
			{"by creator, revoked", pome.KeyFilter{CreatedBy: a.User.ID, Status: pome.KeyRevoked}, []pome.Key{revokedExpired, revoked}},
			{"unknown creator", pome.KeyFilter{CreatedBy: pome.NewID("usr_")}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.f.TeamID, tc.f.Now = a.Team.ID, now
				got, err := s.ListKeys(ctx, tc.f)
				if err != nil {
					t.Fatalf("ListKeys(%+v) = %v, want nil", tc.f, err)
				}
				if fmtKeyIDs(got) != fmtKeyIDs(tc.want) {
					t.Errorf("ListKeys(%+v) = %s, want %s", tc.f, fmtKeyIDs(got), fmtKeyIDs(tc.want))
				}
				if n, err := s.CountKeys(ctx, tc.f); err != nil || n != len(tc.want) {
					t.Errorf("CountKeys(%+v) = %d, %v, want %d", tc.f, n, err, len(tc.want))
				}
				// Each listed key's own Status agrees with the filter.
				for _, k := range got {
					if tc.f.Status != "" && k.Status(now) != tc.f.Status {
						t.Errorf("ListKeys(%+v) lists %q with Status %q", tc.f, k.Name, k.Status(now))
					}
				}
			})
		}
	}},
}

var keyPageTests = []test{
	{"pages by Before and Limit list each key once, in order", func(t *testing.T, s pome.Store) {
		ctx := t.Context()
		a := mustAccount(t, s, "acme")
		other := mustAccount(t, s, "other")
		// 120 keys, three to a millisecond (so that a page boundary falls
		// inside a tie), every fourth by a second member, every fifth
		// revoked.
		for i := range 120 {
			k := newKey(a, fmt.Sprintf("k%03d", i), at(time.Duration(i/3)*time.Millisecond))
			if i%4 == 0 {
				k.CreatedBy = other.User.ID
			}
			mustCreateKey(t, s, k)
			if i%5 == 0 {
				if _, err := s.RevokeKey(ctx, a.Team.ID, k.ID, at(time.Hour), sysEvent(pome.AuditKeyRevoked, at(time.Hour))); err != nil {
					t.Fatalf("RevokeKey(%q) = %v, want nil", k.ID, err)
				}
			}
		}
		mustKey(t, s, other, "another team's", at(time.Millisecond))
		now := at(2 * time.Hour)
		for _, f := range []pome.KeyFilter{
			{},
			{Status: pome.KeyActive},
			{Status: pome.KeyRevoked},
			{CreatedBy: other.User.ID},
			{CreatedBy: a.User.ID, Status: pome.KeyActive},
		} {
			f.TeamID, f.Now = a.Team.ID, now
			t.Run(fmt.Sprintf("%s %s", f.Status, f.CreatedBy), func(t *testing.T) {
				all, err := s.ListKeys(ctx, f)
				if err != nil || len(all) == 0 {
					t.Fatalf("ListKeys(%+v) = %d keys, %v, want some", f, len(all), err)
				}
				for _, limit := range []int{1, 7, 50, len(all), len(all) + 1} {
					var paged []pome.Key
					p := f
					p.Limit = limit
					for range len(all) + 2 {
						page, err := s.ListKeys(ctx, p)
						if err != nil || len(page) > limit {
							t.Fatalf("ListKeys(%+v) = %d keys, %v, want at most %d", p, len(page), err, limit)
						}
						paged = append(paged, page...)
						if len(page) < limit {
							break
						}
						last := page[len(page)-1]
						p.Before = &pome.KeyPosition{CreatedAt: last.CreatedAt, ID: last.ID}
					}
					if fmtKeyIDs(paged) != fmtKeyIDs(all) {
						t.Errorf("ListKeys pages of %d = %s, want %s", limit, fmtKeyIDs(paged), fmtKeyIDs(all))
					}
				}
				// The count ignores the position and the page size.
				p := f
				p.Before, p.Limit = &pome.KeyPosition{CreatedAt: all[0].CreatedAt, ID: all[0].ID}, 1
				if n, err := s.CountKeys(ctx, p); err != nil || n != len(all) {
					t.Errorf("CountKeys(%+v) = %d, %v, want %d", p, n, err, len(all))
				}
			})
		}
	}},
	{"a position from another team lists only this team's keys", func(t *testing.T, s pome.Store) {
		ctx := t.Context()
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		older := mustKey(t, s, a, "older", at(time.Minute))
		mustKey(t, s, b, "theirs, older", at(2*time.Minute))
		theirs := mustKey(t, s, b, "theirs", at(3*time.Minute))
		mustKey(t, s, a, "newer", at(4*time.Minute))
		f := pome.KeyFilter{TeamID: a.Team.ID, Now: t0, Limit: 10,
			Before: &pome.KeyPosition{CreatedAt: theirs.CreatedAt, ID: theirs.ID}}
		got, err := s.ListKeys(ctx, f)
		if err != nil || fmtKeyIDs(got) != fmtKeyIDs([]pome.Key{older}) {
			t.Errorf("ListKeys(%+v) = %s, %v, want %s", f, fmtKeyIDs(got), err, older.ID)
		}
	}},
	{"a position past the oldest key is an empty page", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "only", at(time.Minute))
		f := pome.KeyFilter{TeamID: a.Team.ID, Now: t0, Limit: 10, Before: &pome.KeyPosition{CreatedAt: k.CreatedAt, ID: k.ID}}
		if got, err := s.ListKeys(t.Context(), f); err != nil || len(got) != 0 {
			t.Errorf("ListKeys(%+v) = %s, %v, want none", f, fmtKeyIDs(got), err)
		}
	}},
}

var revokeTests = []test{
	{"sets revoked_at and logs one change", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		got, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, at(time.Hour), sysEvent(pome.AuditKeyRevoked, at(time.Hour)))
		want := k
		want.RevokedAt = ptr(at(time.Hour))
		if err != nil || !sameKey(got, want) {
			t.Fatalf("RevokeKey(%q) = %s, %v, want %s", k.ID, fmtKey(got), err, fmtKey(want))
		}
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); !sameKey(got, want) {
			t.Errorf("KeyByID(%q) = %s, want %s", k.ID, fmtKey(got), fmtKey(want))
		}
		cs := mustChanges(t, s, 0, 10)
		wantC := pome.Change{Kind: pome.ChangeKeyRevoked, TeamID: a.Team.ID, KeyID: k.ID, At: at(time.Hour)}
		if len(cs) != 1 || !sameChange(cs[0], wantC) {
			t.Errorf("Changes(0, 10) = %+v, want [%+v]", cs, wantC)
		}
	}},
	{"idempotent: keeps the first time, one change", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		first := at(time.Hour)
		for i, when := range []time.Time{first, at(2 * time.Hour), at(3 * time.Hour)} {
			got, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, when, sysEvent(pome.AuditKeyRevoked, when))
			if err != nil || got.RevokedAt == nil || !sameTime(*got.RevokedAt, first) {
				t.Fatalf("RevokeKey(%q) call %d = %s, %v, want revoked at %v", k.ID, i+1, fmtKey(got), err, first)
			}
		}
		if cs := mustChanges(t, s, 0, 10); len(cs) != 1 {
			t.Errorf("Changes(0, 10) = %+v, want one key_revoked entry", cs)
		}
	}},
	{"another team's key is not found and stays active", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		k := mustKey(t, s, b, "theirs", t0)
		_, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, at(time.Hour), sysEvent(pome.AuditKeyRevoked, at(time.Hour)))
		wantErr(t, "RevokeKey(other team's key)", err, pome.ErrKeyNotFound)
		if got := mustKeyByID(t, s, b.Team.ID, k.ID); got.RevokedAt != nil {
			t.Errorf("KeyByID(%q).RevokedAt = %v, want nil", k.ID, fmtTime(got.RevokedAt))
		}
		if seq, err := s.LastChange(t.Context()); err != nil || seq != 0 {
			t.Errorf("LastChange() = %d, %v, want 0, nil", seq, err)
		}
	}},
	{"unknown key is not found", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		_, err := s.RevokeKey(t.Context(), a.Team.ID, pome.NewID("key_"), at(time.Hour), sysEvent(pome.AuditKeyRevoked, at(time.Hour)))
		wantErr(t, "RevokeKey(unknown)", err, pome.ErrKeyNotFound)
	}},
	{"revokes only that key", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		other := mustKey(t, s, a, "other", t0)
		if _, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, at(time.Hour), sysEvent(pome.AuditKeyRevoked, at(time.Hour))); err != nil {
			t.Fatalf("RevokeKey(%q) = %v, want nil", k.ID, err)
		}
		if got := mustKeyByID(t, s, a.Team.ID, other.ID); got.RevokedAt != nil {
			t.Errorf("KeyByID(%q).RevokedAt = %v, want nil", other.ID, fmtTime(got.RevokedAt))
		}
	}},
}

// RunLifetimeBackfill checks the migration that gives keys a lifetime
// (0010_key_lifetime): a key made before it with an expiry gets the
// distance from its creation to that expiry, one without keeps none. undo
// takes the store s, returns its database to the schema before the
// migration and opens it again, migrating.
func RunLifetimeBackfill(t *testing.T, s pome.Store, undo func(t *testing.T, s pome.Store) pome.Store) {
	a := mustAccount(t, s, "acme")
	expiring := newKey(a, "expiring", at(time.Minute))
	expiring.ExpiresAt = ptr(at(90*24*time.Hour + time.Minute))
	mustCreateKey(t, s, expiring)
	forever := mustKey(t, s, a, "forever", at(time.Minute))
	s = undo(t, s)
	for _, c := range []struct {
		key  pome.Key
		want time.Duration
	}{{expiring, 90 * 24 * time.Hour}, {forever, 0}} {
		if got := mustKeyByID(t, s, a.Team.ID, c.key.ID); got.Lifetime != c.want {
			t.Errorf("%s: Lifetime after the migration = %v, want %v", c.key.Name, got.Lifetime, c.want)
		}
	}
}
