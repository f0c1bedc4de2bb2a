package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pomehq/pome"
)

// AddUsage applies one flush of usage counts in one transaction: each key's
// total and last_used (which only moves forward), and its bucket for the UTC
// day of the delta's LastUsed. A delta whose key is gone (deleted since it was
// counted, or never existed) is skipped rather than failing the flush: the
// UPDATE touches no row, and the bucket insert is not attempted, so no
// foreign key error can abort the other deltas.
func (db *DB) AddUsage(ctx context.Context, deltas []pome.UsageDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		total, err := tx.PrepareContext(ctx, `UPDATE api_keys
			SET usage_count = usage_count + ?1,
			    last_used = max(coalesce(last_used, ?2), ?2)
			WHERE id = ?3`)
		if err != nil {
			return err
		}
		defer total.Close()
		daily, err := tx.PrepareContext(ctx, `INSERT INTO usage_daily (key_id, day, count) VALUES (?, ?, ?)
			ON CONFLICT (key_id, day) DO UPDATE SET count = count + excluded.count`)
		if err != nil {
			return err
		}
		defer daily.Close()
		for _, d := range deltas {
			res, err := total.ExecContext(ctx, d.Count, toMS(d.LastUsed), d.KeyID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 || d.Count <= 0 {
				continue
			}
			if _, err := daily.ExecContext(ctx, d.KeyID, toMS(dayOf(d.LastUsed)), d.Count); err != nil {
				return err
			}
		}
		return nil
	})
	return db.translate(ctx, "add usage", err)
}

// DailyUsage returns a key's non-empty daily counts from since's UTC day on,
// oldest first.
func (db *DB) DailyUsage(ctx context.Context, keyID string, since time.Time) ([]pome.DailyUsage, error) {
	return queryAll(ctx, db, "daily usage", func(row scanner) (pome.DailyUsage, error) {
		var u pome.DailyUsage
		var day int64
		err := row.Scan(&day, &u.Count)
		u.Day = fromMS(day)
		return u, err
	}, `SELECT day, count FROM usage_daily WHERE key_id = ? AND day >= ? ORDER BY day`,
		keyID, toMS(dayOf(since)))
}
