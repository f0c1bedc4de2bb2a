package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database file at path to dst,
// replacing it, also while other processes write to the database: VACUUM
// INTO reads one snapshot in one read transaction (which, in WAL mode,
// holds up no writer) and writes it out compacted. The copy is made in a
// temporary file beside dst, created 0600 (it holds what the database
// holds), synced, and renamed to dst: dst is never a partial copy. The
// database is neither created nor migrated: the file at path must exist.
func Backup(ctx context.Context, path, dst string) error {
	abs, err := filepath.Abs(path)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// Read-write, not query_only: SQLite counts VACUUM INTO as a write.
	src, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", OmitHost: true, Path: abs,
		RawQuery: url.Values{"_pragma": {"busy_timeout(5000)"}}.Encode()}).String())
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".pome-backup-*") // 0600
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a failure; once renamed, nothing is there
	// VACUUM INTO writes into an empty file as into a new one.
	if _, err = src.ExecContext(ctx, `VACUUM INTO ?`, tmp.Name()); err == nil {
		err = tmp.Sync()
	}
	if err = errors.Join(err, tmp.Close()); err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return fmt.Errorf("sqlite: backup of %s to %s: %w", abs, dst, err)
	}
	return nil
}
