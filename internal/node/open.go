package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/redis"
	"github.com/pomehq/pome/internal/sqlite"
)

// Storage says where a node's database is: PostgreSQL at DatabaseURL, else
// embedded SQLite in DataDir.
type Storage struct {
	DatabaseURL string
	DataDir     string
	// Create makes DataDir (0700: it holds every key digest and session)
	// and the SQLite database when missing; without it a missing database
	// is an error, so that a mistyped directory is not a new, empty
	// database. PostgreSQL's database must exist; its schema is created or
	// migrated either way.
	Create bool
}

// OpenStore opens the database of s.
func OpenStore(ctx context.Context, s Storage) (pome.Store, error) {
	return openStore(ctx, s, nil)
}

// openStore opens the database of s; log (nil: none) is told what an
// operator must see of a SQLite file (internal/sqlite's WithLog).
func openStore(ctx context.Context, s Storage, log *slog.Logger) (pome.Store, error) {
	if s.DatabaseURL != "" {
		store, err := postgres.Open(ctx, s.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database %s: %w", s, startupError(err))
		}
		return store, nil
	}
	if s.DataDir == "" {
		return nil, errors.New("node: no database: set a data directory or a database URL")
	}
	path := s.sqlitePath()
	if err := s.makeDir(); err != nil {
		return nil, err
	}
	if !s.Create {
		if err := mustExist(path); err != nil {
			return nil, err
		}
	}
	store, err := sqlite.Open(ctx, path, sqlite.WithLog(log))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, startupError(err))
	}
	return store, nil
}

// startupError is a store's error at Open as the operator starting Pome
// needs it: its cause, what is wrong ("connection refused", "file is not a
// database"), without the "Service temporarily unavailable" a running
// server answers its callers while its database is away.
func startupError(err error) error {
	// Only the generic answer hides the cause; a damaged database's or a
	// full disk's message says what to do (TestServeDamagedDatabase).
	if e, ok := errors.AsType[*pome.Error](err); ok && e.Code == pome.ErrUnavailable.Code && e.Err != nil {
		return e.Err
	}
	return err
}

// makeDir makes DataDir, with Create, if it is missing.
func (s Storage) makeDir() error {
	if !s.Create {
		return nil
	}
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	return nil
}

// sqlitePath is the file of the SQLite database in DataDir.
func (s Storage) sqlitePath() string { return filepath.Join(s.DataDir, "pome.db") }

// mustExist refuses a missing database file: a mistyped directory is no
// new, empty database.
func mustExist(path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no Pome database at %s (check --data-dir, or run pome serve once): %w", path, err)
	}
	return nil
}

// String names the database for logs and errors, without a password.
func (s Storage) String() string {
	if s.DatabaseURL == "" {
		return s.sqlitePath()
	}
	u, err := url.Parse(s.DatabaseURL)
	if err != nil {
		return "postgres"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// Open opens the database of storage and, unless cfg has a Limiter, the
// rate limiter (this node's memory, or Redis at redisURL), wires a node on
// them and starts it. Close ends it and closes both.
func Open(ctx context.Context, storage Storage, redisURL string, cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	store, err := openStore(ctx, storage, cfg.Log)
	if err != nil {
		return nil, err
	}
	closeLimiter := func() error { return nil }
	if cfg.Limiter == nil {
		if cfg.Limiter, closeLimiter, err = NewLimiter(ctx, redisURL, cfg.Now, cfg.Log); err != nil {
			store.Close()
			return nil, err
		}
	}
	n := New(store, cfg)
	n.OnClose(closeLimiter)
	n.OnClose(store.Close)
	n.Start(ctx)
	return n, nil
}

// redisLog makes go-redis log through the first node that uses Redis: its
// logger is one per process.
var redisLog sync.Once

// ErrRedisURL matches (errors.Is) the error of a Redis URL that cannot be
// used; the error's text is the cause's alone, for the flag's message.
var ErrRedisURL = errors.New("node: bad Redis URL")

type redisURLError struct{ err error }

func (e redisURLError) Error() string        { return e.err.Error() }
func (e redisURLError) Is(target error) bool { return target == ErrRedisURL }

// NewLimiter returns the rate limiter: this node's memory, or with a Redis
// URL counters shared by every node in Redis. While Redis cannot be
// reached, the login and signup limits fail closed (503: they guard
// passwords against guessing, and a per-node fallback would multiply an
// attacker's budget by the number of nodes), and every other limit falls
// back to this node's memory (the public API and key management,
// revocation included, keep working, each node holding the quota on its
// own). docs/deploy.md tells operators the same.
func NewLimiter(ctx context.Context, redisURL string, now func() time.Time, log *slog.Logger) (ratelimit.Limiter, func() error, error) {
	memory := ratelimit.NewMemory(now, 0)
	if redisURL == "" {
		return memory, func() error { return nil }, nil
	}
	rules := ratelimit.DefaultRules()
	failClosed := map[string]bool{rules.LoginEmail.Name: true, rules.LoginIP.Name: true, rules.SignupIP.Name: true}
	l, err := redis.New(redisURL, redis.Options{
		Fallback:   memory,
		FailClosed: func(r ratelimit.Rule) bool { return failClosed[r.Name] },
		Log:        log,
		Now:        now,
	})
	if err != nil {
		return nil, nil, redisURLError{err}
	}
	redisLog.Do(func() { redis.SetLog(log) })
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := l.Ping(pctx); err != nil {
		// Not fatal: Redis may come up after this node. Meanwhile the
		// limits behave as in any Redis outage.
		log.Warn("Redis unreachable at start: login and signup answer 503, other limits count per node, until it answers", "err", err)
	}
	return l, l.Close, nil
}
