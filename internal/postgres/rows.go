package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// queryAll runs a read, bounded by callTimeout, and collects its rows
// with scan, as the SQLite store's queryAll does.
func queryAll[T any](ctx context.Context, db *DB, op string, scan pgx.RowToFunc[T], q string, args ...any) ([]T, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, db.translate(ctx, op, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, db.translate(ctx, op, err)
	}
	return out, nil
}
