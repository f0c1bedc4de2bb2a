package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// SetUsageFold sets the sweep's period and the time of its previous fold.
func (db *DB) SetUsageFold(period time.Duration, last time.Time) {
	db.fold.mu.Lock()
	db.fold.period, db.fold.state.last = period, last
	db.fold.mu.Unlock()
}

// FoldAllUsage folds every pending row at now, as a whole sweep would.
func (db *DB) FoldAllUsage(ctx context.Context, now time.Time) error {
	return db.sweep(ctx, func(tx *sql.Tx, st *foldState) error {
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

// WithVFS opens every connection on the driver's VFS named name: a test's
// VFS can fail what the OS cannot be made to fail here.
func WithVFS(name string) Option { return func(db *DB) { db.vfs = name } }
