package pometest

import (
	"bytes"
	"database/sql"
	"os"
	"testing"

	"github.com/pomehq/pome/internal/sqlite"
)

// OpenStore opens the SQLite store at path (one a closed Server's DB left
// behind, say), closed when the test ends.
func OpenStore(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DamageTable overwrites the root page of table (its only page while it is
// small) in the SQLite file at path with junk, as a failing disk would. The
// page must be in the file itself, not only in its WAL: a store closed
// since its last write left it there.
func DamageTable(t testing.TB, path, table string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var root, size int64
	err = raw.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&root)
	if err == nil {
		err = raw.QueryRow(`PRAGMA page_size`).Scan(&size)
	}
	raw.Close()
	if err != nil {
		t.Fatalf("find the page of %s in %s: %v", table, path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, int(size)), (root-1)*size); err != nil {
		t.Fatalf("damage %s: %v", path, err)
	}
}
