// Package sqlite implements pome.Store on an embedded SQLite database file,
// through the pure-Go driver github.com/ncruces/go-sqlite3.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"

	"github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3"; v0.37 needs no embed import

	"github.com/pomehq/pome"
)

var _ pome.Store = (*DB)(nil)

// DB is a pome.Store on one SQLite file.
//
// It holds two pools on the same file. Every write goes through a pool of a
// single connection: SQLite allows one writer at a time anyway, and queuing
// writers in Go instead of in SQLite's busy handler means concurrent writes
// never fail with "database is locked" and never sleep-poll. Reads go through
// a pool of several read-only connections; WAL mode lets them run while a
// write is in progress, and each sees the last committed state.
type DB struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	stmts  stmts
	closed atomic.Bool
	file   os.FileInfo // the file as opened, to notice it removed or replaced
	fold   usageFold   // the sweep of usage_pending (usage.go)
	log    *slog.Logger
	health health // a damaged file, a full disk (health.go)
	vfs    string // the driver's VFS; "" is the OS's (tests set another)
}

// Option changes how Open opens a database.
type Option func(*DB)

// WithLog sends what an operator must see to log: the file or its
// directory readable by other users, the file damaged, the disk full and no
// longer full. Without it (or with a nil log) they are not logged.
func WithLog(log *slog.Logger) Option {
	return func(db *DB) {
		if log != nil {
			db.log = log
		}
	}
}

// Open opens (creating it if needed) the database file at path, checks it
// (PRAGMA quick_check: a damaged file is a pome.ErrDatabaseDamaged) and
// applies any pending migrations.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db := &DB{path: abs, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(db)
	}
	db.health = health{log: db.log, path: abs}
	if err := db.create(); err != nil {
		return nil, err
	}

	// Durability: with WAL and synchronous=NORMAL a commit has been written
	// to the WAL file (the OS page cache) when it returns, but the WAL is
	// fsynced only at checkpoints. An acknowledged write therefore survives a
	// crash or kill -9 of the process; only a power loss or an OS crash can
	// lose the last transactions (never corrupt the file). synchronous=FULL
	// would close that window at the cost of an fsync per commit.
	db.writer, err = sql.Open("sqlite3", db.dsn("immediate", false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.writer.SetMaxOpenConns(1)
	db.writer.SetMaxIdleConns(1)
	db.writer.SetConnMaxLifetime(0)
	db.writer.SetConnMaxIdleTime(0)

	// The writer connects first: it switches the file to WAL (a persistent
	// setting), checks and migrates it, before any reader looks at the
	// schema.
	if err := db.quickCheck(ctx); err != nil {
		db.writer.Close()
		return nil, db.translate(ctx, "check", err)
	}
	if err := db.migrate(ctx); err != nil {
		db.writer.Close()
		return nil, db.translate(ctx, "migrate", err)
	}

	if db.file, err = os.Stat(abs); err != nil {
		db.writer.Close()
		return nil, pome.ErrUnavailable.WithCause(fmt.Errorf("sqlite: open: %w", err))
	}
	db.protectCompanions()
	if err := db.openUsageFold(ctx); err != nil {
		db.writer.Close()
		return nil, db.translate(ctx, "open", err)
	}

	db.reader, err = sql.Open("sqlite3", db.dsn("deferred", true))
	if err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.reader.SetMaxOpenConns(n)
	db.reader.SetMaxIdleConns(n)
	db.reader.SetConnMaxLifetime(0)
	db.reader.SetConnMaxIdleTime(0)

	if err := db.stmts.prepare(ctx, db.reader); err != nil {
		err = db.translate(ctx, "prepare", err)
		db.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds the driver's data source name. busy_timeout comes first, as the
// driver asks; it only matters for other processes (pome admin) writing the
// same file, since this process has a single writer connection.
func (db *DB) dsn(txlock string, readOnly bool) string {
	q := url.Values{}
	if db.vfs != "" {
		q.Add("vfs", db.vfs)
	}
	q.Add("_txlock", txlock)
	q.Add("_pragma", "busy_timeout(5000)")
	if !readOnly {
		q.Add("_pragma", "journal_mode(wal)")
		// The writer's page cache (8 MiB, not 2) holds usage_pending
		// whole (a row per key used in the last minute), so that a
		// flush's random updates find their pages in memory instead of
		// reading them and spilling dirty ones mid-transaction; and a
		// checkpoint every 8,000 pages of WAL, not 1,000, copies a page
		// that every flush rewrites once per several flushes. A flush
		// of 9,000 keys: 106–128 ms against 179 ms with the defaults
		// (BenchmarkAddUsage, 2026-12-06; 16 and 64 MiB measured no
		// faster).
		q.Add("_pragma", "cache_size(-8192)")
		q.Add("_pragma", "wal_autocheckpoint(8000)")
	}
	q.Add("_pragma", "synchronous(normal)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		// Not mode=ro: a WAL reader still writes the shared-memory index.
		// query_only keeps the read pool honest about never writing.
		q.Add("_pragma", "query_only(1)")
		// A reader's page cache is 512 KiB, not 2 MiB: SQLite empties it
		// whenever the WAL has changed (each usage flush, once a
		// second), so it serves little beyond a second's reads, while a
		// storm of cache misses grew each reader's to the full 2 MiB,
		// memory the driver keeps once grown: peak RSS 143.6–144.8
		// against 150.4–151.6 MiB with 100,000 keys cycled, for a
		// cache-miss p50 of 62–64 against 61 µs and a p99 of 230–233
		// against 204 µs (docs/performance.md, 2026-12-07).
		q.Add("_pragma", "cache_size(-512)")
	}
	return (&url.URL{Scheme: "file", OmitHost: true, Path: db.path, RawQuery: q.Encode()}).String()
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Ping reports whether the database answers. A file removed from under the
// running process still answers reads through open descriptors, so Ping also
// checks that the file is where it was opened. A file found damaged is
// pome.ErrDatabaseDamaged from then on; a full disk is pome.ErrDiskFull
// until a write commits.
func (db *DB) Ping(ctx context.Context) error {
	if db.closed.Load() {
		return db.translate(ctx, "ping", errClosed)
	}
	if err := db.checkFile(); err != nil {
		return db.translate(ctx, "ping", err)
	}
	damaged, full := db.health.state()
	if damaged != nil {
		return pome.ErrDatabaseDamaged.WithCause(fmt.Errorf("sqlite: ping: %w", damaged))
	}
	if full != nil {
		// A node that is not ready may get no request that writes: try a
		// write, so that freed space makes it ready again.
		if err := db.probeWrite(ctx); err != nil {
			if errors.Is(err, sqlite3.FULL) {
				return pome.ErrDiskFull.WithCause(fmt.Errorf("sqlite: ping: %w", err))
			}
			return db.translate(ctx, "ping", err)
		}
	}
	var one int
	if err := db.reader.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return db.translate(ctx, "ping", err)
	}
	return nil
}

// Close releases the store. Closing the writer last checkpoints the WAL.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	err := db.stmts.close()
	if db.reader != nil {
		err = errors.Join(err, db.reader.Close())
	}
	err = errors.Join(err, db.writer.Close())
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// checkFile reports an unavailableError if the database file is no longer
// the one opened. On Linux a removed (or replaced) file stays writable
// through open descriptors, and in WAL mode SQLite does not notice: every
// write would be acknowledged and then lost. One stat per write transaction
// is cheap next to a commit.
func (db *DB) checkFile() error {
	fi, err := os.Stat(db.path)
	if err != nil {
		return &unavailableError{err}
	}
	if !os.SameFile(fi, db.file) {
		return &unavailableError{fmt.Errorf("%s was replaced while open", db.path)}
	}
	return nil
}

// exec runs one write statement on the writer, in its own transaction.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := db.checkFile(); err != nil {
		return nil, err
	}
	res, err := db.writer.ExecContext(ctx, query, args...)
	if err == nil {
		db.health.wrote()
	}
	return res, err
}

// tx runs fn in one write transaction (BEGIN IMMEDIATE on the writer),
// committing if fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if db.file != nil { // nil while migrating, before the file is known to exist
		if err := db.checkFile(); err != nil {
			return err
		}
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.health.wrote()
	return nil
}
