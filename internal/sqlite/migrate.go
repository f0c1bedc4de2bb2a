package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// migrations are the schema changes, applied in file-name order. They are
// forward-only: a released file is never edited, a change is a new file.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies every migration not yet recorded in schema_migrations, each
// in its own transaction together with its record, so a failed migration
// leaves no trace and is retried at the next Open.
//
// Foreign keys are off meanwhile and checked before each commit, as
// SQLite's procedure for schema changes asks: a migration that rebuilds a
// table (0011) drops the old one, which with foreign keys on would delete
// the rows that reference it through ON DELETE CASCADE
// (TestMigrationKeepsUsage).
func (db *DB) migrate(ctx context.Context) (err error) {
	// The writer is one connection: the pragma holds for the transactions
	// below, and each checks that it does.
	if _, err := db.writer.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer func() {
		if _, onErr := db.writer.ExecContext(ctx, `PRAGMA foreign_keys = ON`); err == nil {
			err = onErr
		}
	}()
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT    NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = db.tx(ctx, func(tx *sql.Tx) error {
			// Checked inside the write transaction: two processes opening
			// the same new file cannot both apply a migration.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			var fk int
			if err := tx.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 0 {
				return cmp.Or(err, errors.New("foreign keys are on"))
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			if err := checkForeignKeys(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				version, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", version, err)
		}
	}
	return nil
}

// checkForeignKeys fails if a row references one that does not exist.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		return fmt.Errorf("a row of %s references a missing row of %s", table, parent)
	}
	return rows.Err()
}
