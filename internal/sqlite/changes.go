package sqlite

import (
	"context"
	"database/sql"

	"github.com/pomehq/pome"
)

// appendChange adds an entry to the change log inside the caller's
// transaction, so the change and its entry commit together.
func appendChange(ctx context.Context, tx *sql.Tx, c pome.Change) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO changes (kind, team_id, key_id, user_id, at) VALUES (?, ?, ?, ?, ?)`,
		string(c.Kind), c.TeamID, c.KeyID, c.UserID, toMS(c.At))
	return err
}

// Changes returns up to limit entries with Seq > after, oldest first.
func (db *DB) Changes(ctx context.Context, after int64, limit int) ([]pome.Change, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, db, "changes", func(row scanner) (pome.Change, error) {
		var c pome.Change
		var at int64
		err := row.Scan(&c.Seq, &c.Kind, &c.TeamID, &c.KeyID, &c.UserID, &at)
		c.At = fromMS(at)
		return c, err
	}, `SELECT seq, kind, team_id, key_id, user_id, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// LastChange returns the highest sequence number, 0 if the log is empty.
func (db *DB) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	err := db.reader.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq)
	if err != nil {
		return 0, db.translate(ctx, "last change", err)
	}
	return seq, nil
}

// ChangeSignal is nil: SQLite cannot announce entries, so followers poll the
// log. The nodes sharing a SQLite file are on one machine, and `pome admin`
// changes reach them within one poll.
func (db *DB) ChangeSignal() <-chan struct{} { return nil }
