// Package postgres implements pome.Store on PostgreSQL, through pgx and its
// connection pool: the store of a deployment of several nodes. Besides the
// Store it is a pome.ChangeNotifier: every change-log entry is announced with
// NOTIFY, and a LISTEN connection wakes the verifier of each node at once.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pomehq/pome"
)

var _ pome.Store = (*DB)(nil)

// Pool defaults, unless the URL sets pool_max_conns or connect_timeout.
const (
	defaultMaxConns       = 8
	defaultConnectTimeout = 5 * time.Second
)

// Deadlines of the store's calls, taken from the pool's acquire to the last
// row read, so that a database that stops answering (a dropped route, a
// hung server) costs a caller a bounded wait and an Unavailable error,
// never a hang. Each call gets the earlier of its caller's deadline and its
// own.
const (
	// callTimeout bounds every call on a request's path and the change-log
	// follower's polls. Pome's queries are index lookups and writes of a
	// few rows, answered in milliseconds; one that has not been answered in
	// 2 s is a database in trouble, and a 503 then lets the client retry
	// (on another node) well within its own timeout, where it would hang.
	// Long enough that a healthy database briefly held up (a lock behind a
	// usage flush, a checkpoint) does not trip it.
	callTimeout = 2 * time.Second
	// bulkTimeout bounds the calls whose work grows with the data: a usage
	// flush (every key used in the last second) and the removal of a member
	// (a change-log entry per key revoked with them).
	bulkTimeout = 10 * time.Second
	// closeTimeout is how long Close lets the connections end cleanly
	// before it cuts them: a healthy database closes in milliseconds, and
	// a hung one would otherwise keep pgx waiting up to 15 s per connection
	// for the answer to a cancel request.
	closeTimeout = 2 * time.Second
)

// errNoAnswer is the cause of a call's context when its own deadline, not
// its caller's, ended it.
var errNoAnswer = errors.New("the database did not answer in time")

// bound gives ctx the call's deadline d, unless the caller's comes first.
func bound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, errNoAnswer)
}

// DB is a pome.Store on one PostgreSQL database (or one schema of it: the
// URL's search_path, or the role's default, decides).
type DB struct {
	pool   *pgxpool.Pool
	closed atomic.Bool
	conns  conns // every network connection, for Close to cut (conns.go)

	// The LISTEN loop (notify.go), started by the first ChangeSignal.
	listenOnce sync.Once
	ctx        context.Context // ends at Close
	cancel     context.CancelFunc
	listening  sync.WaitGroup
	sigMu      sync.Mutex
	sig        chan struct{} // closed and replaced at each notification
	listenPID  atomic.Uint32 // server pid of the LISTEN connection, for tests

	sweep usageSweep // CompactUsage's sweep of usage_pending (usage.go)
}

// Open connects to the database at url (postgres://... or a key=value
// connection string) and applies any pending migrations. An unreachable
// server is an Unavailable *pome.Error.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, errors.New("postgres: open: the database URL cannot be parsed")
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	db := &DB{sig: make(chan struct{})}
	db.sweep.left = usageSlots // a sweep for the rows an earlier process left
	cfg.ConnConfig.DialFunc = db.conns.dialer(cfg.ConnConfig.DialFunc)
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, pome.ErrUnavailable.WithCause(fmt.Errorf("postgres: open: %w", err))
	}
	db.ctx, db.cancel = context.WithCancel(context.Background())
	// Connect first, so that a database that cannot be reached says so,
	// rather than as the failure of the first migration.
	if err := db.pool.Ping(ctx); err != nil {
		err = db.translate(ctx, "connect", err)
		db.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		err = db.translate(ctx, "migrate", err)
		db.Close()
		return nil, err
	}
	return db, nil
}

// Ping reports whether the database answers, with Pome's schema in it.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var one int
	err := db.pool.QueryRow(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one)
	return db.translate(ctx, "ping", err)
}

// Close stops the LISTEN loop and closes every connection, within
// closeTimeout even when the database does not answer: then the connections
// are cut. Methods called afterwards answer Unavailable.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.cancel()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		db.listening.Wait()
		db.pool.Close()
	}()
	select {
	case <-closed:
	case <-time.After(closeTimeout):
		db.conns.cut()
		<-closed
	}
	return nil
}

// Retries of a transaction that PostgreSQL aborted to break a deadlock or a
// serialization conflict: running it again is always safe, since nothing of
// it was committed.
const txAttempts = 3

// tx runs fn in one read-committed transaction, committing if fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for range txAttempts {
		err = pgx.BeginFunc(ctx, db.pool, fn)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "40P01" && pe.Code != "40001") {
			return err
		}
	}
	return err
}

// Times are written to the millisecond, in UTC, as the SQLite store keeps
// them, so that both backends answer the same instants; PostgreSQL hands
// them back in the session's zone, and the store answers in UTC.

func toTS(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// nullText stores "" as NULL, for optional unique columns.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toNullTS(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := toTS(*t)
	return &v
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// dayOf is midnight UTC of t's day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
