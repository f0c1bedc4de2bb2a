package sqlite_test

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/sqlite"
)

// usageSeed is one team with n keys in a fresh store. Their ids sort in
// the order of keys, so that the sweep's order is known.
func usageSeed(t *testing.T, n int) (db *sqlite.DB, path string, team pome.Team, keys []pome.Key) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "pome.db")
	db = mustOpen(t, path)
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	u := pome.User{ID: pome.NewID("usr_"), Email: "a@example.com", PasswordHash: "h", CreatedAt: created}
	team = pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: created}
	if err := db.CreateUserWithTeam(t.Context(), u, team, sysEvent(pome.AuditSignup)); err != nil {
		t.Fatalf("CreateUserWithTeam = %v", err)
	}
	for i := range n {
		k := pome.Key{ID: fmt.Sprintf("key_%03d", i), TeamID: team.ID, CreatedBy: u.ID, Name: fmt.Sprint("k", i),
			Prefix: "pme_x", Digest: pome.DigestOf(fmt.Sprint("k", i)), Role: pome.RoleOwner, CreatedAt: created}
		if err := db.CreateKey(t.Context(), k, sysEvent(pome.AuditKeyCreated)); err != nil {
			t.Fatalf("CreateKey = %v", err)
		}
		keys = append(keys, k)
	}
	return db, path, team, keys
}

// usageView is everything a store answers about the usage of keys, as one
// string.
func usageView(t *testing.T, db *sqlite.DB, team pome.Team, keys []pome.Key) string {
	t.Helper()
	ctx := t.Context()
	list, err := db.ListKeys(ctx, pome.KeyFilter{TeamID: team.ID, Now: time.Now()})
	if err != nil {
		t.Fatalf("ListKeys = %v", err)
	}
	var s string
	for _, k := range list {
		if !slices.ContainsFunc(keys, func(want pome.Key) bool { return want.ID == k.ID }) {
			continue
		}
		byID, err := db.KeyByID(ctx, team.ID, k.ID)
		if err != nil {
			t.Fatalf("KeyByID = %v", err)
		}
		if byID.UsageCount != k.UsageCount || !sameTime(byID.LastUsed, k.LastUsed) {
			t.Errorf("KeyByID(%s) usage %d, %v; ListKeys says %d, %v", k.ID, byID.UsageCount, byID.LastUsed, k.UsageCount, k.LastUsed)
		}
		days, err := db.DailyUsage(ctx, k.ID, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("DailyUsage = %v", err)
		}
		last := "never"
		if k.LastUsed != nil {
			last = k.LastUsed.Format(time.RFC3339Nano)
		}
		s += fmt.Sprintf("%s: %d, %s from %v, %v\n", k.Name, k.UsageCount, last, k.LastUsedIP, days)
	}
	return s
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// pendingRows counts usage_pending's rows in the file itself.
func pendingRows(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM usage_pending`).Scan(&n); err != nil {
		t.Fatalf("count usage_pending: %v", err)
	}
	return n
}

func TestUsageFold(t *testing.T) {
	day1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)

	t.Run("folding changes no answer", func(t *testing.T) {
		db, path, team, keys := usageSeed(t, 3)
		ctx := t.Context()
		db.SetUsageFold(time.Minute, day1) // AddUsage folds nothing; CompactUsage does, below
		gone := pome.NewID("key_")
		flush := func(ds ...pome.UsageDelta) {
			t.Helper()
			if err := db.AddUsage(ctx, ds); err != nil {
				t.Fatalf("AddUsage = %v", err)
			}
		}
		ip := netip.MustParseAddr
		flush(pome.UsageDelta{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{2}, At: day1.Add(time.Hour), LastUsed: day1.Add(time.Hour), LastIP: ip("192.0.2.1")},
			pome.UsageDelta{KeyID: keys[1].ID, Outcomes: pome.OutcomeCounts{5}, At: day1.Add(23 * time.Hour), LastUsed: day1.Add(23 * time.Hour), LastIP: ip("192.0.2.3")},
			pome.UsageDelta{KeyID: gone, Outcomes: pome.OutcomeCounts{9}, At: day1, LastUsed: day1})
		flush(pome.UsageDelta{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{3}, At: day2.Add(time.Minute), LastUsed: day2.Add(time.Minute), LastIP: ip("192.0.2.2")},
			pome.UsageDelta{KeyID: keys[1].ID, Outcomes: pome.OutcomeCounts{1}, At: day1.Add(time.Minute), LastUsed: day1.Add(time.Minute), LastIP: ip("192.0.2.4")}) // late: last_used and its address stay
		want := "k0: 5, 2025-03-11T00:01:00Z from 192.0.2.2, [{2025-03-10 00:00:00 +0000 UTC [2 0 0 0 0 0 0 0 0 0]} {2025-03-11 00:00:00 +0000 UTC [3 0 0 0 0 0 0 0 0 0]}]\n"
		if got := usageView(t, db, team, keys[:1]); got != want {
			t.Fatalf("pending usage of k0 = %q, want %q", got, want)
		}
		before := usageView(t, db, team, keys)
		if n := pendingRows(t, path); n != 4 {
			t.Fatalf("usage_pending holds %d rows, want 4 (k0 on two days, k1, the unknown key)", n)
		}

		if err := db.FoldAllUsage(ctx, day1); err != nil {
			t.Fatalf("FoldAllUsage = %v", err)
		}
		if n := pendingRows(t, path); n != 0 || db.PendingUsageRows() != 0 {
			t.Errorf("after a fold usage_pending holds %d rows (sweep counts %d), want 0", n, db.PendingUsageRows())
		}
		if after := usageView(t, db, team, keys); after != before {
			t.Errorf("after the fold:\n%s\nwant what it was before:\n%s", after, before)
		}
		var total int64
		if err := rawDB(t, path).QueryRow(`SELECT usage_count FROM key_usage WHERE key_id = ?`, keys[1].ID).Scan(&total); err != nil || total != 6 {
			t.Errorf("key_usage.usage_count of k1 = %d, %v, want 6 (folded)", total, err)
		}
		if k1, err := db.KeyByID(ctx, team.ID, keys[1].ID); err != nil || k1.LastUsedIP != ip("192.0.2.3") {
			t.Errorf("folded last use of k1 from %v, %v; want 192.0.2.3 (the late delta's address is older)", k1.LastUsedIP, err)
		}

		// Folded and pending counts of one key and one day add up.
		flush(pome.UsageDelta{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{10}, At: day2.Add(time.Second), LastUsed: day2.Add(time.Second)},
			pome.UsageDelta{KeyID: keys[2].ID, Outcomes: pome.OutcomeCounts{1}, At: day2, LastUsed: day2})
		want = "k0: 15, 2025-03-11T00:01:00Z from 192.0.2.2, [{2025-03-10 00:00:00 +0000 UTC [2 0 0 0 0 0 0 0 0 0]} {2025-03-11 00:00:00 +0000 UTC [13 0 0 0 0 0 0 0 0 0]}]\n"
		if got := usageView(t, db, team, keys[:1]); got != want {
			t.Errorf("folded + pending usage of k0 = %q, want %q", got, want)
		}
		mixed := usageView(t, db, team, keys)
		if err := db.FoldAllUsage(ctx, day1); err != nil {
			t.Fatalf("FoldAllUsage = %v", err)
		}
		if after := usageView(t, db, team, keys); after != mixed {
			t.Errorf("after the second fold:\n%s\nwant:\n%s", after, mixed)
		}
	})

	t.Run("each compaction folds the elapsed share of the sweep, in key order", func(t *testing.T) {
		db, path, _, keys := usageSeed(t, 40)
		ctx := t.Context()
		now := day1
		db.SetUsageFold(time.Minute, now)
		var all []pome.UsageDelta
		for _, k := range keys[:39] {
			all = append(all, pome.UsageDelta{KeyID: k.ID, Outcomes: pome.OutcomeCounts{1}, At: day1, LastUsed: day1})
		}
		// A flush folds nothing: its rows wait for the sweep.
		if err := db.AddUsage(ctx, all); err != nil {
			t.Fatalf("AddUsage = %v", err)
		}
		if n := pendingRows(t, path); n != 39 {
			t.Fatalf("usage_pending holds %d rows, want 39", n)
		}
		pendingIDs := func() []string {
			t.Helper()
			rows, err := rawDB(t, path).Query(`SELECT key_id FROM usage_pending ORDER BY key_id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				out = append(out, id)
			}
			return out
		}
		ids := func(ks []pome.Key) []string {
			var out []string
			for _, k := range ks {
				out = append(out, k.ID)
			}
			return out
		}
		// A step is a compaction d after the previous one, then a flush
		// of one count of k.
		step := func(d time.Duration, k pome.Key, want []string) {
			t.Helper()
			now = now.Add(d)
			if err := db.CompactUsage(ctx, now); err != nil {
				t.Fatalf("CompactUsage = %v", err)
			}
			if err := db.AddUsage(ctx, []pome.UsageDelta{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{1}, At: day1, LastUsed: day1}}); err != nil {
				t.Fatalf("AddUsage = %v", err)
			}
			if got := pendingIDs(); !slices.Equal(got, want) {
				t.Errorf("pending after %v = %v, want %v", d, got, want)
			}
			if got := db.PendingUsageRows(); got != int64(len(want)) {
				t.Errorf("sweep counts %d pending rows, want %d", got, len(want))
			}
		}

		// A quarter of the period later, a quarter of the rows (rounded
		// up: 10 of 39), those of the lowest key ids, are folded.
		step(15*time.Second, keys[39], ids(keys[10:]))
		// A period later, every row after the sweep's place is due: the
		// sweep folds them all and stands at the last id.
		step(time.Minute, keys[39], ids(keys[39:]))
		// Nothing is left after it: the sweep starts over, next compaction.
		step(time.Minute, keys[0], []string{keys[0].ID, keys[39].ID})
		step(time.Minute, keys[1], ids(keys[1:2]))
		for _, want := range []struct {
			k pome.Key
			n int64
		}{{keys[0], 2}, {keys[1], 2}, {keys[2], 1}, {keys[39], 2}} {
			got, err := db.KeyByID(ctx, want.k.TeamID, want.k.ID)
			if err != nil || got.UsageCount != want.n {
				t.Errorf("KeyByID(%s).UsageCount = %d, %v, want %d", want.k.ID, got.UsageCount, err, want.n)
			}
		}
	})

	t.Run("pending rows survive a restart and are swept after it", func(t *testing.T) {
		db, path, team, keys := usageSeed(t, 2)
		ctx := t.Context()
		db.SetUsageFold(time.Minute, day1)
		if err := db.AddUsage(ctx, []pome.UsageDelta{{KeyID: keys[0].ID, Outcomes: pome.OutcomeCounts{4}, At: day1, LastUsed: day1},
			{KeyID: keys[1].ID, Outcomes: pome.OutcomeCounts{1}, At: day1, LastUsed: day1}}); err != nil {
			t.Fatalf("AddUsage = %v", err)
		}
		before := usageView(t, db, team, keys)
		if err := db.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		db = mustOpen(t, path)
		if got := usageView(t, db, team, keys); got != before {
			t.Errorf("after re-open:\n%s\nwant:\n%s", got, before)
		}
		if db.PendingUsageRows() != 2 {
			t.Errorf("after re-open the sweep counts %d pending rows, want 2", db.PendingUsageRows())
		}
		if err := db.FoldAllUsage(ctx, day1); err != nil {
			t.Fatalf("FoldAllUsage = %v", err)
		}
		if n := pendingRows(t, path); n != 0 {
			t.Errorf("usage_pending holds %d rows after the fold, want 0", n)
		}
		if got := usageView(t, db, team, keys); got != before {
			t.Errorf("after the fold:\n%s\nwant:\n%s", got, before)
		}
	})
}
