package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ncruces/go-sqlite3"

	"github.com/pomehq/pome"
)

// errClosed is what a closed store answers; database/sql's own "database is
// closed" error is not exported.
var errClosed = errors.New("sqlite: database is closed")

// unavailableError marks a cause found outside the driver (the file is gone)
// as making the database unreachable.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// translate turns an error from the driver into what pome.Store promises, at
// the edge and once: a cancelled or expired context stays a context error, an
// unreachable database is an Unavailable *pome.Error, a taken email or slug is
// a Conflict *pome.Error, and anything else is wrapped as "sqlite: op: ...".
// Callers map sql.ErrNoRows to their own NotFound error before calling it.
func (db *DB) translate(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pome.Error
	if errors.As(err, &pe) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && (errors.Is(err, cerr) || errors.Is(err, sqlite3.INTERRUPT)) {
		return fmt.Errorf("sqlite: %s: %w", op, cerr)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	wrapped := fmt.Errorf("sqlite: %s: %w", op, err)
	if db.closed.Load() || errors.Is(err, errClosed) || errors.Is(err, sql.ErrConnDone) ||
		strings.Contains(err.Error(), "sql: database is closed") {
		return pome.ErrUnavailable.WithCause(wrapped)
	}
	var ue *unavailableError
	if errors.As(err, &ue) {
		return pome.ErrUnavailable.WithCause(wrapped)
	}
	db.health.observe(err)
	var code sqlite3.ErrorCode
	if errors.As(err, &code) {
		switch code {
		case sqlite3.CONSTRAINT:
			// SQLite names the violated index only in the message:
			// "UNIQUE constraint failed: users.email".
			msg := err.Error()
			switch {
			case strings.Contains(msg, "UNIQUE constraint failed: users.email"):
				return pome.ErrEmailTaken.WithCause(wrapped)
			case strings.Contains(msg, "UNIQUE constraint failed: teams.slug"):
				return pome.ErrSlugTaken.WithCause(wrapped)
			case strings.Contains(msg, "UNIQUE constraint failed: teams.external_id"):
				return pome.ErrExternalIDTaken.WithCause(wrapped)
			}
		case sqlite3.IOERR, sqlite3.CANTOPEN, sqlite3.NOTADB, sqlite3.CORRUPT,
			sqlite3.FULL, sqlite3.READONLY, sqlite3.PERM, sqlite3.NOMEM,
			sqlite3.BUSY, sqlite3.LOCKED, sqlite3.PROTOCOL:
			// The file is gone, moved, unreadable, full or held by another
			// process past the busy timeout: the caller may retry later.
			return pome.ErrUnavailable.WithCause(wrapped)
		}
	}
	return wrapped
}
