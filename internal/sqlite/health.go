package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/ncruces/go-sqlite3"

	"github.com/pomehq/pome"
)

// health is what the store has learnt of its file from the driver's errors,
// for Ping to report: a request that fails on a damaged page or a full disk
// answers 503 like any other, but /readyz must also fail, or a load balancer
// keeps sending requests to a node that fails them.
type health struct {
	log  *slog.Logger
	path string

	mu sync.Mutex
	// damaged is the first error that found the file damaged: for good,
	// since SQLite does not repair a file.
	damaged error
	// full is the write that found the disk full, until a write commits.
	full error
}

// isDamage reports whether err says the file is damaged.
func isDamage(err error) bool {
	return errors.Is(err, sqlite3.CORRUPT) || errors.Is(err, sqlite3.NOTADB)
}

// observe takes note of a driver error.
func (h *health) observe(err error) {
	switch {
	case isDamage(err):
		h.mu.Lock()
		first := h.damaged == nil
		if first {
			h.damaged = err
		}
		h.mu.Unlock()
		if first {
			h.log.Error("database damaged: restore it from a backup", "path", h.path, "err", err)
		}
	case errors.Is(err, sqlite3.FULL):
		h.mu.Lock()
		first := h.full == nil
		h.full = err
		h.mu.Unlock()
		// Once per episode: every write fails until space is freed, and
		// each failed request logs its own line.
		if first {
			h.log.Error("disk full: writes fail until space is freed", "path", h.path, "err", err)
		}
	}
}

// wrote takes note of a committed write: the disk has room again.
func (h *health) wrote() {
	h.mu.Lock()
	was := h.full
	h.full = nil
	h.mu.Unlock()
	if was != nil {
		h.log.Warn("disk no longer full: writes succeed again", "path", h.path)
	}
}

// state is the damage, else the full disk, seen so far; nil if neither.
func (h *health) state() (damaged, full error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.damaged, h.full
}

// probeWrite commits a write of one page. It changes user_version, which
// Pome does not use otherwise: SQLite writes nothing for a change to the
// value a row or header already has.
func (db *DB) probeWrite(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var v int32
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1))
		return err
	})
}

// quickCheck runs SQLite's quick_check over the whole file (every page of
// every table and index, without matching indexes to their tables): a
// damaged file is refused at Open rather than found by requests.
func (db *DB) quickCheck(ctx context.Context) error {
	rows, err := db.writer.QueryContext(ctx, `PRAGMA quick_check(10)`) // the first 10 problems
	var problems []string
	if err == nil {
		for rows.Next() {
			var s string
			if err = rows.Scan(&s); err != nil {
				break
			}
			problems = append(problems, strings.ReplaceAll(s, "\n", " "))
		}
		err = errors.Join(err, rows.Err(), rows.Close())
	}
	switch {
	case err != nil && isDamage(err):
		problems = append(problems, err.Error())
	case err != nil:
		return err
	case len(problems) == 1 && problems[0] == "ok":
		return nil
	}
	return pome.ErrDatabaseDamaged.WithCause(fmt.Errorf("sqlite: quick_check of %s: %s", db.path, strings.Join(problems, "; ")))
}
