package node

import (
	"context"
	"errors"

	"github.com/pomehq/pome/internal/sqlite"
)

// ErrBackupPostgres is Backup's answer for a PostgreSQL database, which
// pg_dump copies (docs/deploy.md).
var ErrBackupPostgres = errors.New("node: backup: a PostgreSQL database is copied with pg_dump")

// Backup writes a consistent copy of the SQLite database of s to dst,
// replacing it, also while servers run and write to it (internal/sqlite's
// Backup).
func Backup(ctx context.Context, s Storage, dst string) error {
	if s.DatabaseURL != "" {
		return ErrBackupPostgres
	}
	path := s.sqlitePath()
	if err := mustExist(path); err != nil {
		return err
	}
	return sqlite.Backup(ctx, path, dst)
}
