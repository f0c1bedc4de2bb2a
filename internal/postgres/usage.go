package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// A flush appends its counts to usage_pending (AddUsage), and CompactUsage
// folds them into api_keys and usage_daily a slice of keys at a time, as
// SQLite does (ARCHITECTURE.md, "Usage"): a flush then costs one INSERT of
// narrow rows whatever the number of keys, and a key's flushes of a sweep
// become one write of its wide api_keys row. Reads add the pending rows.

// usageSlots is how many slices usage_pending's slot column (a hash of the
// key id, 0012_usage_outcomes.sql) divides the keys into; pendingOfKey is
// the condition that finds a key's rows through the (slot, key_id) index.
const (
	usageSlots   = 64
	pendingOfKey = `p.slot = ascii(right(k.id, 1)) % 64 AND p.key_id = k.id`
)

// slotOf is the slot column of a key id's rows in usage_pending (as the
// column's expression computes it, for ASCII ids).
func slotOf(keyID string) int {
	if keyID == "" {
		return 0
	}
	return int(keyID[len(keyID)-1]) % usageSlots
}

// usageFoldPeriod is about how long a count waits in usage_pending before
// it is folded: one sweep over the slots, spread over the compactions of
// that time.
const usageFoldPeriod = time.Minute

// usageFoldLock is the pg_try_advisory_xact_lock key a fold holds: one
// node folds at a time, and a node that finds it taken leaves its share to
// the next call, so folds never wait for or deadlock with one another.
// ("pomf" in ASCII.)
const usageFoldLock = 0x706f6d66

// usageSweep is where this store's sweep of the slots stands.
type usageSweep struct {
	mu   sync.Mutex
	next int       // the next slot to fold
	last time.Time // the sweep's clock: the slots before next were due at it
	// left is how many slots are still to fold before this store's
	// flushes are all folded: none left, an idle node's compactions touch
	// no database (TestIdleCompactionTouchesNothing). flushed, set by each
	// AddUsage, calls for a whole sweep again.
	left    int
	flushed atomic.Bool
}

// AddUsage records one flush of usage counts: a row per delta appended to
// usage_pending by one COPY (PostgreSQL's bulk load, atomic as any
// statement), for the UTC day of its At, with every outcome's count, its
// last valid use (NULL: none) and that use's address. It locks no row that
// exists, so concurrent flushes of any nodes neither wait nor deadlock
// (TestConcurrentFlushes). Reads add the pending rows to the folded ones,
// so they answer with these counts at once; rows of keys that are gone are
// dropped by the fold, and no read finds them meanwhile.
func (db *DB) AddUsage(ctx context.Context, deltas []pome.UsageDelta) error {
	ctx, cancel := bound(ctx, bulkTimeout)
	defer cancel()
	if len(deltas) == 0 {
		return nil
	}
	// In index order: the copy then adds to a few pages of the (slot,
	// key_id) index at a time rather than to a random page per row.
	order := make([]int32, len(deltas))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		x, y := deltas[a].KeyID, deltas[b].KeyID
		if c := cmp.Compare(slotOf(x), slotOf(y)); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	_, err := db.pool.CopyFrom(ctx, pgx.Identifier{"usage_pending"}, pendingColumns, &pendingRows{deltas: deltas, order: order, i: -1})
	// Whether or not the copy failed: a failure on the commit may have
	// written it all the same.
	db.sweep.flushed.Store(true)
	return db.translate(ctx, "add usage", err)
}

// pendingColumns are the columns AddUsage copies, in pendingRows' order.
var pendingColumns = append(append([]string{"key_id", "day"}, pome.UsageColumns[:]...), "last_used", "last_used_ip")

// pendingRows is deltas as the rows of usage_pending, one at a time: a
// pgx.CopyFromSource that reuses one row's values.
type pendingRows struct {
	deltas []pome.UsageDelta
	order  []int32 // the deltas' indexes, in the order to copy them
	i      int
	row    [len(pome.UsageColumns) + 4]any
}

func (r *pendingRows) Next() bool { r.i++; return r.i < len(r.deltas) }
func (r *pendingRows) Err() error { return nil }

func (r *pendingRows) Values() ([]any, error) {
	d := &r.deltas[r.order[r.i]]
	r.row[0], r.row[1] = d.KeyID, dayOf(d.At)
	for j, n := range d.Outcomes {
		r.row[2+j] = n
	}
	last, ip := lastUse(*d)
	r.row[len(r.row)-2], r.row[len(r.row)-1] = last, ip
	return r.row[:], nil
}

// lastUse is a delta's last valid use and its address, as the columns
// store them: NULL for none, and for an unknown address.
func lastUse(d pome.UsageDelta) (*time.Time, *string) {
	if d.LastUsed.IsZero() {
		return nil, nil
	}
	last := toTS(d.LastUsed)
	return &last, nullText(pome.UsageIP(d.LastIP))
}

// usageColumns is pome.UsageColumns as a column list, each prefixed with
// alias ("p." or "").
func usageColumns(alias string) string {
	cols := make([]string, len(pome.UsageColumns))
	for i, c := range pome.UsageColumns {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}

// CompactUsage folds the slots of usage_pending due at now into api_keys
// and usage_daily, in one transaction: the share of the slots that the time
// since the sweep's clock is of usageFoldPeriod (all of them after a
// period or more). With no slot due, or another node folding, it writes
// nothing; the sweep moves on only when its fold commits. Once a whole
// sweep has run since this store's last flush it does not call the
// database at all: a node that flushes nothing leaves the folding of other
// nodes' rows to them.
func (db *DB) CompactUsage(ctx context.Context, now time.Time) error {
	// A call's bound, not a bulk one: a fold is a slot or two (a sixty-fourth
	// of a minute's flushes each, about 0.4 s for 50,000 keys a second on a
	// loaded machine), and the meter's loop waits for it before its next
	// flush: with the database hung, a fold waiting 10 s delayed the flush
	// that shutdown then waits for (TestServeDatabaseHung).
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	s := &db.sweep
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushed.Swap(false) {
		s.left = usageSlots
	}
	elapsed := now.Sub(s.last)
	if s.left <= 0 || s.last.IsZero() || elapsed < 0 {
		// Nothing of this store's pending, the first call, or a clock gone
		// back: the sweep's time starts here.
		s.last = now
		return nil
	}
	n := int(int64(usageSlots) * int64(elapsed) / int64(usageFoldPeriod))
	last := s.last.Add(time.Duration(n) * usageFoldPeriod / usageSlots)
	if n >= usageSlots {
		n, last = usageSlots, now
	}
	if n == 0 {
		return nil
	}
	slots := make([]int16, n)
	for i := range slots {
		slots[i] = int16((s.next + i) % usageSlots)
	}
	folded := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, usageFoldLock).Scan(&folded); err != nil || !folded {
			return err
		}
		return foldUsage(ctx, tx, slots)
	})
	if err != nil {
		return db.translate(ctx, "compact usage", err)
	}
	if folded {
		s.next, s.last, s.left = (s.next+n)%usageSlots, last, s.left-n
	}
	return nil
}

// foldUsage moves the rows of slots from usage_pending into the totals:
// summed per key and day as it deletes them, then applied by applyUsage.
func foldUsage(ctx context.Context, tx pgx.Tx, slots []int16) error {
	rows, err := tx.Query(ctx, `WITH p AS (DELETE FROM usage_pending WHERE slot = ANY($1) RETURNING *)
		SELECT key_id, day, `+usageSums("")+`,
			max(last_used), (array_agg(last_used_ip ORDER BY last_used DESC NULLS LAST))[1]
		FROM p GROUP BY key_id, day`, slots)
	if err != nil {
		return err
	}
	deltas, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.UsageDelta, error) {
		var d pome.UsageDelta
		var last *time.Time
		var ip *string
		dest := []any{&d.KeyID, &d.At}
		for i := range d.Outcomes {
			dest = append(dest, &d.Outcomes[i])
		}
		if err := row.Scan(append(dest, &last, &ip)...); err != nil {
			return d, err
		}
		if last != nil {
			d.LastUsed = *last
		}
		if ip != nil {
			d.LastIP, err = pome.ParseUsageIP(*ip)
		}
		return d, err
	})
	if err != nil || len(deltas) == 0 {
		return err
	}
	return applyUsage(ctx, tx, deltas)
}

// applyUsage adds folded counts to the totals in two set-based statements
// whatever the number of keys: each key's usage_count (its valid count) and
// last_used with its address (which only move forward: refusals alone
// leave them), and its bucket for the UTC day of each delta's At. Deltas of
// one key (and day) are summed first, since one UPDATE changes a row once.
// Keys are locked in id order, so that the fold never deadlocks with a
// transaction that locks several keys in that order; deltas of keys that
// are gone are dropped by the joins.
func applyUsage(ctx context.Context, tx pgx.Tx, deltas []pome.UsageDelta) error {
	type bucket struct {
		key string
		day time.Time
	}
	totals := make(map[string]*pome.UsageDelta, len(deltas))
	days := make(map[bucket]*pome.OutcomeCounts, len(deltas))
	for _, d := range deltas {
		t := totals[d.KeyID]
		if t == nil {
			t = &pome.UsageDelta{KeyID: d.KeyID}
			totals[d.KeyID] = t
		}
		t.Outcomes[0] += d.Outcomes[0]
		if d.LastUsed.After(t.LastUsed) {
			t.LastUsed, t.LastIP = d.LastUsed, d.LastIP
		}
		b := bucket{d.KeyID, dayOf(d.At)}
		if days[b] == nil {
			days[b] = new(pome.OutcomeCounts)
		}
		days[b].Add(&d.Outcomes)
	}
	ids := make([]string, 0, len(totals))
	for id := range totals {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	counts := make([]int64, len(ids))
	lasts := make([]*time.Time, len(ids))
	ips := make([]*string, len(ids))
	for i, id := range ids {
		counts[i] = totals[id].Outcomes[0]
		lasts[i], ips[i] = lastUse(*totals[id])
	}
	if _, err := tx.Exec(ctx, `WITH d AS (
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[]) AS d (id, n, last, ip)),
		k AS (
			SELECT api_keys.id FROM api_keys JOIN d ON d.id = api_keys.id
			ORDER BY api_keys.id FOR UPDATE OF api_keys)
		UPDATE api_keys SET
			usage_count = usage_count + d.n,
			last_used_ip = CASE WHEN d.last > coalesce(last_used, '-infinity') THEN d.ip ELSE last_used_ip END,
			last_used = greatest(last_used, d.last)
		FROM d, k WHERE api_keys.id = d.id AND k.id = d.id`,
		ids, counts, lasts, ips); err != nil {
		return err
	}

	bs := make([]bucket, 0, len(days))
	for b, c := range days {
		if c.Total() > 0 {
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return nil
	}
	slices.SortFunc(bs, func(a, b bucket) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return a.day.Compare(b.day)
	})
	bKeys := make([]string, len(bs))
	bDays := make([]time.Time, len(bs))
	var bCounts [len(pome.UsageColumns)][]int64
	for i := range bCounts {
		bCounts[i] = make([]int64, len(bs))
	}
	for i, b := range bs {
		bKeys[i], bDays[i] = b.key, b.day
		for j, n := range days[b] {
			bCounts[j][i] = n
		}
	}
	args := []any{bKeys, bDays}
	for _, c := range bCounts {
		args = append(args, c)
	}
	_, err := tx.Exec(ctx, qAddDaily, args...)
	return err
}

// qAddDaily adds applyUsage's buckets to usage_daily, in key order.
var qAddDaily = func() string {
	n := len(pome.UsageColumns)
	params := []string{"$1::text[]", "$2::date[]"}
	sets := make([]string, n)
	for i, c := range pome.UsageColumns {
		params = append(params, fmt.Sprintf("$%d::bigint[]", 3+i))
		sets[i] = fmt.Sprintf("%[1]s = usage_daily.%[1]s + excluded.%[1]s", c)
	}
	return `INSERT INTO usage_daily (key_id, day, ` + usageColumns("") + `)
		SELECT b.* FROM unnest(` + strings.Join(params, ", ") + `) AS b (key_id, day, ` + usageColumns("") + `)
		JOIN api_keys ON api_keys.id = b.key_id
		ORDER BY b.key_id, b.day
		ON CONFLICT (key_id, day) DO UPDATE SET ` + strings.Join(sets, ", ")
}()

// DailyUsage returns a key's non-empty daily counts by outcome from since's
// UTC day on, oldest first: the folded buckets plus the pending rows.
func (db *DB) DailyUsage(ctx context.Context, keyID string, since time.Time) ([]pome.DailyUsage, error) {
	return db.dailyUsage(ctx, "daily usage", `k.id = $2`, since, keyID)
}

// TeamDailyUsage returns the non-empty daily counts by outcome of a team's
// keys (of createdBy's keys only, unless it is empty), summed, from since's
// UTC day on, oldest first: the folded buckets plus the pending rows.
func (db *DB) TeamDailyUsage(ctx context.Context, teamID, createdBy string, since time.Time) ([]pome.DailyUsage, error) {
	return db.dailyUsage(ctx, "team daily usage", qTeamKeys, since, teamID, createdBy)
}

// qTeamKeys selects the keys of team $2, or of its member $3 only when $3
// is not empty.
const qTeamKeys = `k.team_id = $2 AND ($3::text = '' OR k.created_by = $3)`

// usageSums sums each outcome's column, prefixed with alias, over a group.
func usageSums(alias string) string {
	return strings.ReplaceAll("sum("+usageColumns(alias)+")::bigint", ", ", ")::bigint, sum(")
}

// qUsageSums sums each outcome's column over a group of usageRows (u).
var qUsageSums = usageSums("u.")

// usageRows selects day, key_id and the outcome columns of the keys that
// where (a condition on api_keys k) selects, from since's day on ($1).
// Pending rows are added to the folded buckets, so that a count reads as
// soon as AddUsage returns; the join leaves out the pending rows of keys
// that are gone, which the fold will drop.
func usageRows(where string) string {
	return `SELECT d.day, d.key_id, ` + usageColumns("d.") + ` FROM usage_daily d JOIN api_keys k ON k.id = d.key_id
			WHERE ` + where + ` AND d.day >= $1::date
			UNION ALL
			SELECT p.day, p.key_id, ` + usageColumns("p.") + ` FROM usage_pending p JOIN api_keys k ON ` + pendingOfKey + `
			WHERE ` + where + ` AND p.day >= $1::date`
}

// dailyUsage sums per UTC day and outcome, from since's day on ($1), the
// counts of the keys that where (a condition on api_keys k, whose
// arguments args are $2 on) selects, and collects them as days at
// midnight UTC.
func (db *DB) dailyUsage(ctx context.Context, op, where string, since time.Time, args ...any) ([]pome.DailyUsage, error) {
	return queryAll(ctx, db, op, func(row pgx.CollectableRow) (pome.DailyUsage, error) {
		var u pome.DailyUsage
		err := row.Scan(append([]any{&u.Day}, outcomeDest(&u.Outcomes)...)...)
		u.Day = dayOf(u.Day)
		return u, err
	}, `SELECT u.day, `+qUsageSums+` FROM (`+usageRows(where)+`) u
		GROUP BY u.day HAVING `+strings.ReplaceAll(qUsageSums, ", ", " + ")+` > 0 ORDER BY u.day`,
		append([]any{dayOf(since)}, args...)...)
}

// TopKeys returns the keys of a team (of createdBy's only, unless it is
// empty) with the most verifications from since's UTC day on, most first.
func (db *DB) TopKeys(ctx context.Context, teamID, createdBy string, since time.Time, limit int) ([]pome.KeyUsage, error) {
	total := strings.ReplaceAll(qUsageSums, ", ", " + ")
	return queryAll(ctx, db, "top keys", func(row pgx.CollectableRow) (pome.KeyUsage, error) {
		var u pome.KeyUsage
		err := row.Scan(append([]any{&u.KeyID, &u.Name, &u.Prefix}, outcomeDest(&u.Outcomes)...)...)
		return u, err
	}, `SELECT k.id, k.name, k.prefix, `+qUsageSums+` FROM (`+usageRows(qTeamKeys)+`) u
		JOIN api_keys k ON k.id = u.key_id
		GROUP BY k.id HAVING `+total+` > 0 ORDER BY `+total+` DESC, k.id LIMIT $4`,
		dayOf(since), teamID, createdBy, limit)
}

// outcomeDest is where a row's outcome columns scan to.
func outcomeDest(c *pome.OutcomeCounts) []any {
	dest := make([]any, len(c))
	for i := range c {
		dest[i] = &c[i]
	}
	return dest
}
