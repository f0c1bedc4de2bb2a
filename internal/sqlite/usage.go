package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// usageFoldPeriod is about how long a count waits in usage_pending before it
// is folded into key_usage and usage_daily: one sweep over the table's key
// ids, spread over the compactions of that time (CompactUsage). Longer folds
// more flushes of a key into one write of its rows; shorter keeps the table
// smaller.
const usageFoldPeriod = time.Minute

// usageFold is where the sweep of usage_pending stands (see sweep).
type usageFold struct {
	mu     sync.Mutex
	period time.Duration
	state  foldState
}

type foldState struct {
	rows   int64     // rows in usage_pending: counted at Open, then kept
	cursor string    // every key id up to this one was folded this sweep ("": none)
	last   time.Time // the previous fold
}

// openUsageFold counts the rows an earlier process left pending.
func (db *DB) openUsageFold(ctx context.Context) error {
	db.fold.period = usageFoldPeriod
	db.fold.state.last = time.Now()
	return db.writer.QueryRowContext(ctx, `SELECT count(*) FROM usage_pending`).Scan(&db.fold.state.rows)
}

// AddUsage records one flush of usage counts in one transaction: it adds
// each delta to its key's row for the UTC day of its At in usage_pending
// (every outcome's count; last_used, with its address, only moves forward),
// and folds nothing: that is CompactUsage's. Reads add the pending rows to
// the folded ones, so they answer with these counts at once. Deltas of keys
// that are gone (deleted since they were counted, or never there) are
// dropped by the fold, and no read finds them meanwhile.
func (db *DB) AddUsage(ctx context.Context, deltas []pome.UsageDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	err := db.sweep(ctx, func(tx *sql.Tx, st *foldState) error {
		added, err := addPending(ctx, tx, deltas)
		st.rows += added
		return err
	})
	return db.translate(ctx, "add usage", err)
}

// CompactUsage folds the next slice of the sweep of usage_pending into
// key_usage and usage_daily, in one transaction (foldUsage): the share of
// the rows that the time since the previous fold, at now, is of
// usageFoldPeriod. With nothing pending it writes nothing.
func (db *DB) CompactUsage(ctx context.Context, now time.Time) error {
	f := &db.fold
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state.rows <= 0 {
		f.state.last = now // nothing pending: the sweep's time starts with the next row
		return nil
	}
	err := db.sweepLocked(ctx, func(tx *sql.Tx, st *foldState) error {
		return foldUsage(ctx, tx, st, now, f.period)
	})
	return db.translate(ctx, "compact usage", err)
}

// sweep runs fn in one write transaction on a copy of the sweep's state,
// which replaces the state only if the transaction commits. It holds the
// sweep's lock throughout: one change of usage_pending at a time.
func (db *DB) sweep(ctx context.Context, fn func(tx *sql.Tx, st *foldState) error) error {
	db.fold.mu.Lock()
	defer db.fold.mu.Unlock()
	return db.sweepLocked(ctx, fn)
}

// sweepLocked is sweep, for a caller that holds the sweep's lock.
func (db *DB) sweepLocked(ctx context.Context, fn func(tx *sql.Tx, st *foldState) error) error {
	st := db.fold.state
	if err := db.tx(ctx, func(tx *sql.Tx) error { return fn(tx, &st) }); err != nil {
		return err
	}
	db.fold.state = st
	return nil
}

// addPending adds each delta to its row of usage_pending, and returns how
// many rows it created: an UPDATE by primary key per delta, and an INSERT
// for the buckets it finds no row of, each statement prepared once. One
// statement for the whole flush measured slower here (2026-12-06, 9,000
// keys with outcomes, a loaded machine): binding one JSON array read by
// json_each, 190–210 ms against 85–165 ms, since SQLite parses a row's JSON
// again for each of its 14 columns; a multi-row VALUES list (2,340 rows a
// statement), 130–245 ms, parsed anew each flush.
func addPending(ctx context.Context, tx *sql.Tx, deltas []pome.UsageDelta) (int64, error) {
	var stmts [4]*sql.Stmt // update, insert; of every outcome, then of valid uses only
	for i, q := range []string{qUpdatePending, qInsertPending, qUpdateValid, qInsertValid} {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return 0, err
		}
		defer st.Close()
		stmts[i] = st
	}
	var added int64
	args := make([]any, 0, pendingStride)
	// In key order: each UPDATE's search then walks the pages the one
	// before it walked, which are still in the CPU's caches. A flush of
	// 20,000 keys among 100,000: 98–104 ms against 115–129 in random order
	// (BenchmarkAddUsage less its compact-ns/op, 2026-12-06).
	order := make([]int32, len(deltas))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(deltas[a].KeyID, deltas[b].KeyID) })
	var y yielder
	for _, i := range order {
		y.yield()
		d := &deltas[i]
		var last int64
		if !d.LastUsed.IsZero() {
			last = toMS(d.LastUsed)
		}
		update, insert := stmts[0], stmts[1]
		args = append(args[:0], d.KeyID, toMS(dayOf(d.At)))
		if d.Outcomes.Total() == d.Outcomes[0] {
			// Valid uses only, as nearly every delta of a busy node: a
			// third of the parameters to bind (BenchmarkAddUsage).
			update, insert = stmts[2], stmts[3]
			args = append(args, d.Outcomes[0])
		} else {
			for _, n := range d.Outcomes {
				args = append(args, n)
			}
		}
		args = append(args, last, nullText(pome.UsageIP(d.LastIP)))
		res, err := update.ExecContext(ctx, args...)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if n > 0 {
			continue
		}
		if _, err := insert.ExecContext(ctx, args...); err != nil {
			return 0, err
		}
		added++
	}
	return added, nil
}

// pendingStride is how many parameters a delta binds: ?1 the key id, ?2
// the day, the outcomes' counts, then last_used and its address.
const pendingStride = len(pome.UsageColumns) + 4

// qUpdatePending adds a delta to its bucket's row: each outcome summed,
// last_used, with its address, moved only forward.
var qUpdatePending = func() string {
	var q strings.Builder
	q.WriteString(`UPDATE usage_pending SET `)
	for i, c := range pome.UsageColumns {
		fmt.Fprintf(&q, "%s = %s + ?%d, ", c, c, 3+i)
	}
	fmt.Fprintf(&q, `last_used_ip = CASE WHEN ?%[1]d > last_used THEN ?%[2]d ELSE last_used_ip END,
		last_used = max(last_used, ?%[1]d) WHERE key_id = ?1 AND day = ?2`, pendingStride-1, pendingStride)
	return q.String()
}()

// qInsertPending is a delta's new bucket row, with the parameters of
// qUpdatePending.
var qInsertPending = `INSERT INTO usage_pending (key_id, day, ` + usageColumns("") + `, last_used, last_used_ip)
	VALUES (` + strings.Repeat("?, ", pendingStride-1) + `?)`

// qUpdateValid and qInsertValid are qUpdatePending and qInsertPending for a
// delta of valid uses only: ?3 the count, ?4 last_used, ?5 its address.
const (
	qUpdateValid = `UPDATE usage_pending SET count = count + ?3,
		last_used_ip = CASE WHEN ?4 > last_used THEN ?5 ELSE last_used_ip END,
		last_used = max(last_used, ?4) WHERE key_id = ?1 AND day = ?2`
	qInsertValid = `INSERT INTO usage_pending (key_id, day, count, last_used, last_used_ip) VALUES (?1, ?2, ?3, ?4, ?5)`
)

// usageColumns is pome.UsageColumns as a column list, each prefixed with
// alias ("p." or "").
func usageColumns(alias string) string {
	cols := make([]string, len(pome.UsageColumns))
	for i, c := range pome.UsageColumns {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}

// usageTotal is the sum of pome.UsageColumns, prefixed with alias: a
// bucket with none is not a day of usage.
func usageTotal(alias string) string {
	return strings.ReplaceAll(usageColumns(alias), ", ", " + ")
}

// foldUsage moves the next slice of usage_pending into key_usage and
// usage_daily: the rows of the key ids after st.cursor, as many as the
// share of usageFoldPeriod elapsed since the previous fold is of all the
// pending rows (at least one), so that a sweep over every key takes about
// the period however often CompactUsage runs. At the end of the ids the
// sweep starts over.
func foldUsage(ctx context.Context, tx *sql.Tx, st *foldState, now time.Time, period time.Duration) error {
	share := 1.0
	if elapsed := now.Sub(st.last); period > 0 && elapsed < period {
		share = float64(elapsed) / float64(period)
	}
	n := int64(math.Ceil(float64(st.rows) * share))
	if n <= 0 {
		st.last = now // nothing pending, or no time elapsed (a clock gone back)
		return nil
	}
	var upper sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT key_id FROM usage_pending WHERE key_id > ?
		ORDER BY key_id LIMIT 1 OFFSET ?`, st.cursor, n-1).Scan(&upper)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	// The slice is (cursor, upper], or everything after cursor when fewer
	// than n rows are left. Every day of the key upper is in it.
	slice := func(col string) string {
		if upper.Valid {
			return fmt.Sprintf("%[1]s > ?1 AND %[1]s <= ?2", col)
		}
		return col + " > ?1"
	}
	args := []any{st.cursor}
	if upper.Valid {
		args = append(args, upper.String)
	}
	// f.ip is the address of the row with the latest last_used: SQLite
	// takes a bare column from the row that max() picks. A key's last use
	// moves only forward, and refusals only (f.last 0) leave it. Keys that
	// are gone are left out, as from usage_daily below.
	if _, err := tx.ExecContext(ctx, `INSERT INTO key_usage (key_id, usage_count, last_used, last_used_ip)
		SELECT f.key_id, f.n, nullif(f.last, 0), f.ip
		FROM (SELECT p.key_id, sum(p.count) AS n, max(p.last_used) AS last, p.last_used_ip AS ip
			FROM usage_pending p JOIN api_keys k ON k.id = p.key_id
			WHERE `+slice("p.key_id")+` GROUP BY p.key_id) AS f
		WHERE f.n <> 0 OR f.last > 0
		ON CONFLICT (key_id) DO UPDATE SET
			usage_count = usage_count + excluded.usage_count,
			last_used_ip = CASE WHEN coalesce(excluded.last_used, 0) > coalesce(last_used, 0)
				THEN excluded.last_used_ip ELSE last_used_ip END,
			last_used = nullif(max(coalesce(excluded.last_used, 0), coalesce(last_used, 0)), 0)`, args...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily (key_id, day, `+usageColumns("")+`)
		SELECT p.key_id, p.day, `+usageColumns("p.")+` FROM usage_pending p JOIN api_keys k ON k.id = p.key_id
		WHERE `+slice("p.key_id")+` AND `+usageTotal("p.")+` > 0
		ON CONFLICT (key_id, day) DO UPDATE SET `+qAddDaily, args...); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM usage_pending WHERE `+slice("key_id"), args...)
	if err != nil {
		return err
	}
	deleted, err := res.RowsAffected()
	if err != nil {
		return err
	}
	st.rows = max(st.rows-deleted, 0) // a second store on the file may have folded some
	st.cursor = upper.String          // "" when the sweep reached the end
	st.last = now
	return nil
}

// DailyUsage returns a key's non-empty daily counts from since's UTC day on,
// oldest first: the folded buckets plus the pending rows.
func (db *DB) DailyUsage(ctx context.Context, keyID string, since time.Time) ([]pome.DailyUsage, error) {
	return db.dailyUsage(ctx, "daily usage", `k.id = ?2`, since, keyID)
}

// TeamDailyUsage returns the non-empty daily counts of a team's keys (of
// createdBy's keys only, unless it is empty), summed, from since's UTC day
// on, oldest first: the folded buckets plus the pending rows.
func (db *DB) TeamDailyUsage(ctx context.Context, teamID, createdBy string, since time.Time) ([]pome.DailyUsage, error) {
	return db.dailyUsage(ctx, "team daily usage", qTeamKeys, since, teamID, createdBy)
}

// qTeamKeys selects the keys of team ?2, or of its member ?3 only when ?3
// is not empty.
const qTeamKeys = `k.team_id = ?2 AND (?3 = '' OR k.created_by = ?3)`

// qAddDaily adds an upsert's excluded counts to usage_daily's.
var qAddDaily = func() string {
	sets := make([]string, len(pome.UsageColumns))
	for i, c := range pome.UsageColumns {
		sets[i] = fmt.Sprintf("%[1]s = %[1]s + excluded.%[1]s", c)
	}
	return strings.Join(sets, ", ")
}()

// dailyUsage sums per UTC day and outcome, from since's day on, the counts
// of the keys that where (a condition on api_keys k, whose arguments args
// are ?2 on) selects.
func (db *DB) dailyUsage(ctx context.Context, op, where string, since time.Time, args ...any) ([]pome.DailyUsage, error) {
	return queryAll(ctx, db, op, func(row scanner) (pome.DailyUsage, error) {
		var u pome.DailyUsage
		var day int64
		err := row.Scan(append([]any{&day}, outcomeDest(&u.Outcomes)...)...)
		u.Day = fromMS(day)
		return u, err
	}, `SELECT u.day, `+qUsageSums+` FROM (`+usageRows(where)+`) u GROUP BY u.day ORDER BY u.day`,
		append([]any{toMS(dayOf(since))}, args...)...)
}

// TopKeys returns the keys of a team (of createdBy's only, unless it is
// empty) with the most verifications from since's UTC day on, most first.
func (db *DB) TopKeys(ctx context.Context, teamID, createdBy string, since time.Time, limit int) ([]pome.KeyUsage, error) {
	return queryAll(ctx, db, "top keys", func(row scanner) (pome.KeyUsage, error) {
		var u pome.KeyUsage
		err := row.Scan(append([]any{&u.KeyID, &u.Name, &u.Prefix}, outcomeDest(&u.Outcomes)...)...)
		return u, err
	}, `SELECT k.id, k.name, k.prefix, `+qUsageSums+` FROM (`+usageRows(qTeamKeys)+`) u
		JOIN api_keys k ON k.id = u.key_id
		GROUP BY k.id ORDER BY sum(`+usageTotal("u.")+`) DESC, k.id LIMIT ?4`,
		toMS(dayOf(since)), teamID, createdBy, limit)
}

// usageRows selects day, key_id and the outcome columns of the keys that
// where (a condition on api_keys k) selects, from since's day on (?1).
// Pending rows are added to the folded buckets, so that a count reads as
// soon as AddUsage returns; the join leaves out the pending rows of keys
// that are gone, which the fold will drop.
func usageRows(where string) string {
	return `SELECT d.day, d.key_id, ` + usageColumns("d.") + ` FROM usage_daily d JOIN api_keys k ON k.id = d.key_id
			WHERE ` + where + ` AND d.day >= ?1
			UNION ALL
			SELECT p.day, p.key_id, ` + usageColumns("p.") + ` FROM usage_pending p JOIN api_keys k ON k.id = p.key_id
			WHERE ` + where + ` AND p.day >= ?1 AND ` + usageTotal("p.") + ` > 0`
}

// qUsageSums sums each outcome's column over a group of usageRows (u).
var qUsageSums = strings.ReplaceAll("sum("+usageColumns("u.")+")", ", ", "), sum(")

// outcomeDest is where a row's outcome columns scan to.
func outcomeDest(c *pome.OutcomeCounts) []any {
	dest := make([]any, len(c))
	for i := range c {
		dest[i] = &c[i]
	}
	return dest
}
