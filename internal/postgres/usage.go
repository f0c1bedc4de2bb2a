package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// AddUsage applies one flush of usage counts in one transaction of two
// statements, whatever the number of keys: each key's total and last_used
// (which only moves forward), and its bucket for the UTC day of the delta's
// LastUsed. Deltas of one key (and day) are summed first, since one UPDATE
// changes a row once. Keys are locked in id order, so that flushes of
// several nodes touching the same keys queue rather than deadlock; deltas of
// keys that are gone are dropped by the joins.
func (db *DB) AddUsage(ctx context.Context, deltas []pome.UsageDelta) error {
	ctx, cancel := bound(ctx, bulkTimeout)
	defer cancel()
	if len(deltas) == 0 {
		return nil
	}
	type total struct {
		count int64
		last  time.Time
	}
	type bucket struct {
		key string
		day time.Time
	}
	totals := make(map[string]*total, len(deltas))
	days := make(map[bucket]int64, len(deltas))
	for _, d := range deltas {
		t := totals[d.KeyID]
		if t == nil {
			t = &total{last: d.LastUsed}
			totals[d.KeyID] = t
		}
		t.count += d.Outcomes[0]
		if d.LastUsed.After(t.last) {
			t.last = d.LastUsed
		}
		if d.Outcomes[0] > 0 {
			days[bucket{d.KeyID, dayOf(d.LastUsed)}] += d.Outcomes[0]
		}
	}
	ids := make([]string, 0, len(totals))
	for id := range totals {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	counts := make([]int64, len(ids))
	lasts := make([]time.Time, len(ids))
	for i, id := range ids {
		counts[i], lasts[i] = totals[id].count, toTS(totals[id].last)
	}
	bs := make([]bucket, 0, len(days))
	for b := range days {
		bs = append(bs, b)
	}
	slices.SortFunc(bs, func(a, b bucket) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return a.day.Compare(b.day)
	})
	bKeys := make([]string, len(bs))
	bDays := make([]time.Time, len(bs))
	bCounts := make([]int64, len(bs))
	for i, b := range bs {
		bKeys[i], bDays[i], bCounts[i] = b.key, b.day, days[b]
	}

	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `WITH d AS (
				SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS d (id, n, last)),
			k AS (
				SELECT api_keys.id FROM api_keys JOIN d ON d.id = api_keys.id
				ORDER BY api_keys.id FOR UPDATE OF api_keys)
			UPDATE api_keys SET
				usage_count = usage_count + d.n,
				last_used = greatest(last_used, d.last)
			FROM d, k WHERE api_keys.id = d.id AND k.id = d.id`,
			ids, counts, lasts); err != nil {
			return err
		}
		if len(bs) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO usage_daily (key_id, day, count)
			SELECT b.key_id, b.day, b.n
			FROM unnest($1::text[], $2::date[], $3::bigint[]) AS b (key_id, day, n)
			JOIN api_keys ON api_keys.id = b.key_id
			ORDER BY b.key_id, b.day
			ON CONFLICT (key_id, day) DO UPDATE SET count = usage_daily.count + excluded.count`,
			bKeys, bDays, bCounts)
		return err
	})
	return db.translate(ctx, "add usage", err)
}

// CompactUsage has nothing to do: AddUsage adds to api_keys and usage_daily
// at once, in two set-based statements whatever the number of keys, and
// keeps nothing apart to fold in later.
func (db *DB) CompactUsage(ctx context.Context, now time.Time) error { return nil }

// DailyUsage returns a key's non-empty daily counts from since's UTC day on,
// oldest first.
func (db *DB) DailyUsage(ctx context.Context, keyID string, since time.Time) ([]pome.DailyUsage, error) {
	return db.dailyUsage(ctx, "daily usage",
		`SELECT day, count FROM usage_daily WHERE key_id = $1 AND day >= $2::date ORDER BY day`,
		keyID, dayOf(since))
}

// TeamDailyUsage returns the non-empty daily counts of a team's keys (of
// createdBy's keys only, unless it is empty), summed, from since's UTC day
// on, oldest first.
func (db *DB) TeamDailyUsage(ctx context.Context, teamID, createdBy string, since time.Time) ([]pome.DailyUsage, error) {
	return db.dailyUsage(ctx, "team daily usage",
		`SELECT d.day, sum(d.count)::bigint FROM usage_daily d JOIN api_keys k ON k.id = d.key_id
		WHERE k.team_id = $1 AND ($2::text = '' OR k.created_by = $2) AND d.day >= $3::date
		GROUP BY d.day ORDER BY d.day`,
		teamID, createdBy, dayOf(since))
}

// dailyUsage runs query, whose rows are a day and its count, and collects
// them as days at midnight UTC.
func (db *DB) dailyUsage(ctx context.Context, op, query string, args ...any) ([]pome.DailyUsage, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, db.translate(ctx, op, err)
	}
	us, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.DailyUsage, error) {
		var u pome.DailyUsage
		err := row.Scan(&u.Day, &u.Outcomes[0])
		u.Day = dayOf(u.Day)
		return u, err
	})
	if err != nil {
		return nil, db.translate(ctx, op, err)
	}
	return us, nil
}
