package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pomehq/pome"
)

// ownerOnly is the mode of the files Pome creates: they hold password
// hashes, session and key digests.
const ownerOnly = 0o600

// create makes the database file, if missing, readable by its owner only
// (SQLite would make it 0644, less the umask), and warns if the file or its
// directory is readable by other users. SQLite makes no directory: a
// missing one is a database that cannot be reached.
func (db *DB) create() error {
	dir := filepath.Dir(db.path)
	if _, err := os.Stat(dir); err != nil {
		return pome.ErrUnavailable.WithCause(fmt.Errorf("sqlite: open: %w", err))
	}
	f, err := os.OpenFile(db.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, ownerOnly)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("sqlite: create: %w", err)
		}
	case !errors.Is(err, fs.ErrExist):
		return pome.ErrUnavailable.WithCause(fmt.Errorf("sqlite: create: %w", err))
	}
	if runtime.GOOS == "windows" { // no Unix modes to read there
		return nil
	}
	for _, p := range []string{dir, db.path} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o044 != 0 {
			db.log.Warn("readable by other users, who may read password hashes and key digests: chmod go-rwx it",
				"path", p, "mode", fmt.Sprintf("%#o", fi.Mode().Perm()))
		}
	}
	return nil
}

// protectCompanions gives the WAL and shared-memory files, which hold the
// database's pages too, the mode of the database file, as SQLite's own VFS
// does; the driver's makes them 0644 (less the umask). They exist once the
// writer has run a transaction, and outlive every connection but the last.
// A file it may not change (another user's) is logged, not fatal: it is
// still as the process that made it left it.
func (db *DB) protectCompanions() {
	want := db.file.Mode().Perm()
	for _, p := range []string{db.path + "-wal", db.path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() == want {
			continue
		}
		if err := os.Chmod(p, want); err != nil {
			db.log.Warn("cannot give the database's mode to its companion file", "path", p, "err", err)
		}
	}
}
