package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

var usageTests = []test{
	{"additive across flushes, last used moves forward only", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		for _, flush := range [][]pome.UsageDelta{
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{5}, At: at(2 * time.Minute), LastUsed: at(2 * time.Minute)}},
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{7}, At: at(5 * time.Minute), LastUsed: at(5 * time.Minute)}},
			// A late flush (another node, a slow clock) must not move it back.
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{1}, At: at(1 * time.Minute), LastUsed: at(1 * time.Minute)}},
		} {
			if err := s.AddUsage(t.Context(), flush); err != nil {
				t.Fatalf("AddUsage(%+v) = %v, want nil", flush, err)
			}
		}
		got := mustKeyByID(t, s, a.Team.ID, k.ID)
		if got.UsageCount != 13 || !sameTimePtr(got.LastUsed, ptr(at(5*time.Minute))) {
			t.Errorf("KeyByID(%q) usage = %d, last used %s, want 13, %s", k.ID, got.UsageCount, fmtTime(got.LastUsed), at(5*time.Minute))
		}
	}},
	{"several deltas of one key in one flush add up", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		err := s.AddUsage(t.Context(), []pome.UsageDelta{
			{KeyID: k.ID, Outcomes: pome.OutcomeCounts{2}, At: at(time.Minute), LastUsed: at(time.Minute)},
			{KeyID: k.ID, Outcomes: pome.OutcomeCounts{3}, At: at(time.Second), LastUsed: at(time.Second)},
		})
		if err != nil {
			t.Fatalf("AddUsage = %v, want nil", err)
		}
		got := mustKeyByID(t, s, a.Team.ID, k.ID)
		if got.UsageCount != 5 || !sameTimePtr(got.LastUsed, ptr(at(time.Minute))) {
			t.Errorf("KeyByID(%q) usage = %d, last used %s, want 5, %s", k.ID, got.UsageCount, fmtTime(got.LastUsed), at(time.Minute))
		}
	}},
	{"daily buckets per UTC day", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		day1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		day2, day4 := day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 3)
		// 01:30 on day 2 at UTC+05:00 is 20:30 UTC on day 1.
		plus5 := time.FixedZone("UTC+5", 5*3600)
		flushes := [][]pome.UsageDelta{
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{1}, At: day1.Add(10 * time.Hour), LastUsed: day1.Add(10 * time.Hour)}},
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{2}, At: time.Date(2025, 3, 11, 1, 30, 0, 0, plus5), LastUsed: time.Date(2025, 3, 11, 1, 30, 0, 0, plus5)}},
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{4}, At: day2.Add(-time.Millisecond), LastUsed: day2.Add(-time.Millisecond)}},
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{8}, At: day2, LastUsed: day2}},
			{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{16}, At: day4.Add(23 * time.Hour), LastUsed: day4.Add(23 * time.Hour)}},
		}
		for _, f := range flushes {
			if err := s.AddUsage(t.Context(), f); err != nil {
				t.Fatalf("AddUsage(%+v) = %v, want nil", f, err)
			}
		}
		for _, tc := range []struct {
			since time.Time
			want  []pome.DailyUsage
		}{
			{day1.AddDate(0, 0, -30), []pome.DailyUsage{{Day: day1, Outcomes: pome.OutcomeCounts{7}}, {Day: day2, Outcomes: pome.OutcomeCounts{8}}, {Day: day4, Outcomes: pome.OutcomeCounts{16}}}},
			{day1, []pome.DailyUsage{{Day: day1, Outcomes: pome.OutcomeCounts{7}}, {Day: day2, Outcomes: pome.OutcomeCounts{8}}, {Day: day4, Outcomes: pome.OutcomeCounts{16}}}},
			// since is taken from its day's midnight UTC: noon of day 2 includes day 2.
			{day2.Add(12 * time.Hour), []pome.DailyUsage{{Day: day2, Outcomes: pome.OutcomeCounts{8}}, {Day: day4, Outcomes: pome.OutcomeCounts{16}}}},
			{day2.AddDate(0, 0, 1), []pome.DailyUsage{{Day: day4, Outcomes: pome.OutcomeCounts{16}}}},
			{day4.AddDate(0, 0, 1), nil},
		} {
			got, err := s.DailyUsage(t.Context(), k.ID, tc.since)
			if err != nil || fmtDaily(got) != fmtDaily(tc.want) {
				t.Errorf("DailyUsage(%q, %v) = %s, %v, want %s", k.ID, tc.since, fmtDaily(got), err, fmtDaily(tc.want))
			}
			for _, d := range got {
				if d.Day.Location() != time.UTC {
					t.Errorf("DailyUsage(%q, %v) day %v not in UTC", k.ID, tc.since, d.Day)
				}
			}
		}
	}},
	{"deltas of unknown keys are dropped, the others applied", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k1 := mustKey(t, s, a, "one", t0)
		k2 := mustKey(t, s, a, "two", t0)
		gone := pome.NewID("key_")
		err := s.AddUsage(t.Context(), []pome.UsageDelta{
			{KeyID: k1.ID, Outcomes: pome.OutcomeCounts{1}, At: at(time.Minute), LastUsed: at(time.Minute)},
			{KeyID: gone, Outcomes: pome.OutcomeCounts{100}, At: at(time.Minute), LastUsed: at(time.Minute)},
			{KeyID: k2.ID, Outcomes: pome.OutcomeCounts{2}, At: at(time.Minute), LastUsed: at(time.Minute)},
		})
		if err != nil {
			t.Fatalf("AddUsage(with unknown key) = %v, want nil", err)
		}
		for _, want := range []struct {
			k pome.Key
			n int64
		}{{k1, 1}, {k2, 2}} {
			if got := mustKeyByID(t, s, a.Team.ID, want.k.ID); got.UsageCount != want.n {
				t.Errorf("KeyByID(%q).UsageCount = %d, want %d", want.k.ID, got.UsageCount, want.n)
			}
		}
		if got, err := s.DailyUsage(t.Context(), gone, t0.AddDate(0, 0, -1)); err != nil || len(got) != 0 {
			t.Errorf("DailyUsage(unknown key) = %s, %v, want [], nil", fmtDaily(got), err)
		}
	}},
	{"empty flush", func(t *testing.T, s pome.Store) {
		if err := s.AddUsage(t.Context(), nil); err != nil {
			t.Errorf("AddUsage(nil) = %v, want nil", err)
		}
	}},
	{"TeamDailyUsage sums the team's keys per day, folded and pending, by creator", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		dev := mustAccount(t, s, "dev")
		mustAddMember(t, s, a, dev, pome.RoleDeveloper, t0)
		other := mustAccount(t, s, "other")
		own := mustKey(t, s, a, "own", t0)
		revoked := mustKey(t, s, a, "revoked", t0)
		expiring := newKey(a, "expiring", t0)
		expiring.CreatedBy, expiring.ExpiresAt = dev.User.ID, ptr(at(time.Hour))
		mustCreateKey(t, s, expiring)
		others := mustKey(t, s, other, "others", t0)
		day1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		day2, day3 := day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 2)
		add := func(deltas ...pome.UsageDelta) {
			t.Helper()
			if err := s.AddUsage(t.Context(), deltas); err != nil {
				t.Fatalf("AddUsage(%+v) = %v, want nil", deltas, err)
			}
		}
		add(pome.UsageDelta{KeyID: own.ID, Outcomes: pome.OutcomeCounts{1}, At: day1.Add(time.Hour), LastUsed: day1.Add(time.Hour)},
			pome.UsageDelta{KeyID: expiring.ID, Outcomes: pome.OutcomeCounts{2}, At: day1.Add(2 * time.Hour), LastUsed: day1.Add(2 * time.Hour)},
			pome.UsageDelta{KeyID: others.ID, Outcomes: pome.OutcomeCounts{100}, At: day1, LastUsed: day1})
		// Folded: the next counts are added to these while still pending.
		for _, d := range compactions {
			if err := s.CompactUsage(t.Context(), at(d)); err != nil {
				t.Fatalf("CompactUsage(%s) = %v, want nil", at(d), err)
			}
		}
		add(pome.UsageDelta{KeyID: own.ID, Outcomes: pome.OutcomeCounts{4}, At: day2, LastUsed: day2},
			pome.UsageDelta{KeyID: revoked.ID, Outcomes: pome.OutcomeCounts{8}, At: day1.Add(3 * time.Hour), LastUsed: day1.Add(3 * time.Hour)},
			pome.UsageDelta{KeyID: expiring.ID, Outcomes: pome.OutcomeCounts{16}, At: day3.Add(time.Hour), LastUsed: day3.Add(time.Hour)},
			pome.UsageDelta{KeyID: others.ID, Outcomes: pome.OutcomeCounts{200}, At: day2, LastUsed: day2},
			pome.UsageDelta{KeyID: pome.NewID("key_"), Outcomes: pome.OutcomeCounts{1000}, At: day1, LastUsed: day1})
		if _, err := s.RevokeKey(t.Context(), a.Team.ID, revoked.ID, day3, sysEvent(pome.AuditKeyRevoked, day3)); err != nil {
			t.Fatalf("RevokeKey(%q) = %v, want nil", revoked.ID, err)
		}
		month := day1.AddDate(0, 0, -30)
		for _, tc := range []struct {
			team, by string
			since    time.Time
			want     []pome.DailyUsage
		}{
			{a.Team.ID, "", month, []pome.DailyUsage{{Day: day1, Outcomes: pome.OutcomeCounts{11}}, {Day: day2, Outcomes: pome.OutcomeCounts{4}}, {Day: day3, Outcomes: pome.OutcomeCounts{16}}}},
			{a.Team.ID, a.User.ID, month, []pome.DailyUsage{{Day: day1, Outcomes: pome.OutcomeCounts{9}}, {Day: day2, Outcomes: pome.OutcomeCounts{4}}}},
			{a.Team.ID, dev.User.ID, month, []pome.DailyUsage{{Day: day1, Outcomes: pome.OutcomeCounts{2}}, {Day: day3, Outcomes: pome.OutcomeCounts{16}}}},
			// since is taken from its day's midnight UTC.
			{a.Team.ID, "", day2.Add(12 * time.Hour), []pome.DailyUsage{{Day: day2, Outcomes: pome.OutcomeCounts{4}}, {Day: day3, Outcomes: pome.OutcomeCounts{16}}}},
			{other.Team.ID, "", month, []pome.DailyUsage{{Day: day1, Outcomes: pome.OutcomeCounts{100}}, {Day: day2, Outcomes: pome.OutcomeCounts{200}}}},
			// A creator filter never reaches out of the team.
			{other.Team.ID, a.User.ID, month, nil},
			{pome.NewID("tm_"), "", month, nil},
		} {
			got, err := s.TeamDailyUsage(t.Context(), tc.team, tc.by, tc.since)
			if err != nil || fmtDaily(got) != fmtDaily(tc.want) {
				t.Errorf("TeamDailyUsage(%q, %q, %v) = %s, %v, want %s", tc.team, tc.by, tc.since, fmtDaily(got), err, fmtDaily(tc.want))
			}
			for _, d := range got {
				if d.Day.Location() != time.UTC {
					t.Errorf("TeamDailyUsage(%q, %q, %v) day %v not in UTC", tc.team, tc.by, tc.since, d.Day)
				}
			}
		}
	}},
	{"TopKeys ranks the team's keys by every outcome, folded and pending, by creator", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		dev := mustAccount(t, s, "dev")
		mustAddMember(t, s, a, dev, pome.RoleDeveloper, t0)
		other := mustAccount(t, s, "other")
		k1, k2 := mustKey(t, s, a, "one", t0), mustKey(t, s, a, "two", t0)
		mustKey(t, s, a, "unused", t0)
		k3 := newKey(a, "devs", t0)
		k3.CreatedBy = dev.User.ID
		mustCreateKey(t, s, k3)
		others := mustKey(t, s, other, "others", t0)
		day1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		day2 := day1.AddDate(0, 0, 1)
		var refused pome.OutcomeCounts
		refused[pome.OutcomeRateLimited.Index()] = 5
		refused[0] = 1
		if err := s.AddUsage(t.Context(), []pome.UsageDelta{
			{KeyID: k1.ID, Outcomes: pome.OutcomeCounts{3}, At: day1, LastUsed: day1},
			{KeyID: k2.ID, Outcomes: refused, At: day1, LastUsed: day1},
			{KeyID: k3.ID, Outcomes: pome.OutcomeCounts{6}, At: day2, LastUsed: day2},
			{KeyID: others.ID, Outcomes: pome.OutcomeCounts{100}, At: day2, LastUsed: day2},
		}); err != nil {
			t.Fatal(err)
		}
		for _, d := range compactions {
			if err := s.CompactUsage(t.Context(), at(d)); err != nil {
				t.Fatalf("CompactUsage(%s) = %v, want nil", at(d), err)
			}
		}
		// Pending, on top of k1's folded count.
		if err := s.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: k1.ID, Outcomes: pome.OutcomeCounts{4}, At: day2, LastUsed: day2}}); err != nil {
			t.Fatal(err)
		}
		// k2 and k3 tie at 6: the lower id first.
		two := pome.KeyUsage{KeyID: k2.ID, Name: "two", Prefix: k2.Prefix, Outcomes: refused}
		devs := pome.KeyUsage{KeyID: k3.ID, Name: "devs", Prefix: k3.Prefix, Outcomes: pome.OutcomeCounts{6}}
		tied := []pome.KeyUsage{two, devs}
		if k3.ID < k2.ID {
			tied = []pome.KeyUsage{devs, two}
		}
		one := pome.KeyUsage{KeyID: k1.ID, Name: "one", Prefix: k1.Prefix, Outcomes: pome.OutcomeCounts{7}}
		for _, tc := range []struct {
			team, by string
			since    time.Time
			limit    int
			want     []pome.KeyUsage
		}{
			{a.Team.ID, "", day1, 10, append([]pome.KeyUsage{one}, tied...)},
			{a.Team.ID, "", day1, 1, []pome.KeyUsage{one}},
			{a.Team.ID, dev.User.ID, day1, 10, []pome.KeyUsage{devs}},
			{a.Team.ID, "", day2, 10, []pome.KeyUsage{devs, {KeyID: k1.ID, Name: "one", Prefix: k1.Prefix, Outcomes: pome.OutcomeCounts{4}}}},
			{other.Team.ID, a.User.ID, day1, 10, nil},
		} {
			got, err := s.TopKeys(t.Context(), tc.team, tc.by, tc.since, tc.limit)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("TopKeys(%q, %q, %v, %d) = %v, %v, want %v", tc.team, tc.by, tc.since, tc.limit, got, err, tc.want)
			}
		}
	}},
	{"DailyUsage of unused key is empty", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		if got, err := s.DailyUsage(t.Context(), k.ID, t0.AddDate(0, 0, -30)); err != nil || len(got) != 0 {
			t.Errorf("DailyUsage(%q) = %s, %v, want [], nil", k.ID, fmtDaily(got), err)
		}
	}},
}

func fmtDaily(ds []pome.DailyUsage) string {
	s := "["
	for i, d := range ds {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s:%v", d.Day.Format(time.RFC3339Nano), d.Outcomes)
	}
	return s + "]"
}
