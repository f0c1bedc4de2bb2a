package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// SetUsageFold sets the sweep's period and clock (nil: time.Now).
func (db *DB) SetUsageFold(period time.Duration, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	db.fold.mu.Lock()
	db.fold.period, db.fold.now = period, now
	db.fold.state.last = now()
	db.fold.mu.Unlock()
}

// FoldAllUsage folds every pending row, as a whole sweep would.
func (db *DB) FoldAllUsage(ctx context.Context) error {
	return db.sweep(ctx, func(tx *sql.Tx, st *foldState, now time.Time, _ time.Duration) error {
		st.cursor = ""
		return foldUsage(ctx, tx, st, now, 0)
	})
}

// PendingUsageRows is how many rows the sweep believes usage_pending holds.
func (db *DB) PendingUsageRows() int64 {
	db.fold.mu.Lock()
	defer db.fold.mu.Unlock()
	return db.fold.state.rows
}
