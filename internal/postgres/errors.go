package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pomehq/pome"
)

// translate turns an error from pgx into what pome.Store promises, at the
// edge and once: a call its caller cancelled or let expire stays a context
// error; a database that did not answer within the call's own deadline
// (bound) or cannot be reached is an Unavailable *pome.Error; a taken email
// or slug (by constraint name) is a Conflict *pome.Error; and anything else
// is wrapped as "postgres: op: ...". ctx is the call's, bound. Callers map
// pgx.ErrNoRows to their own NotFound error before calling it.
func (db *DB) translate(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pome.Error
	if errors.As(err, &pe) {
		return err
	}
	wrapped := fmt.Errorf("postgres: %s: %w", op, err)
	var pg *pgconn.PgError
	isPG := errors.As(err, &pg)
	if cerr := ctx.Err(); cerr != nil && (errors.Is(err, cerr) || isPG && pg.Code == "57014" || !isPG) {
		// pgx cancels the query on the server and may answer with the
		// server's "canceling statement" error or its own wrapper.
		if cause := context.Cause(ctx); cause == errNoAnswer {
			return pome.ErrUnavailable.WithCause(fmt.Errorf("postgres: %s: %w", op, cause))
		}
		return fmt.Errorf("postgres: %s: %w", op, cerr)
	}
	if db.closed.Load() {
		return pome.ErrUnavailable.WithCause(wrapped)
	}
	if isPG {
		switch {
		case pg.Code == "23505" && pg.ConstraintName == "users_email_key":
			return pome.ErrEmailTaken.WithCause(wrapped)
		case pg.Code == "23505" && pg.ConstraintName == "teams_slug_key":
			return pome.ErrSlugTaken.WithCause(wrapped)
		case pg.Code == "23505" && pg.ConstraintName == "teams_external_id":
			return pome.ErrExternalIDTaken.WithCause(wrapped)
		case pg.Code == "40P01" || pg.Code == "40001":
			// Still deadlocked after the retries of tx.
			return pome.ErrConcurrentChange.WithCause(wrapped)
		case unavailableClass(pg.Code):
			return pome.ErrUnavailable.WithCause(wrapped)
		}
		return wrapped
	}
	if lostConnection(err) {
		// Connecting that timed out included: pgx reports it as the
		// context error of its own connect_timeout.
		return pome.ErrUnavailable.WithCause(wrapped)
	}
	return wrapped
}

// unavailableClass reports the server's answers that mean "not now": a
// connection exception (08), too many connections or a full disk (53), the
// server shutting down or starting (57P01-57P03), a read-only standby (25006).
func unavailableClass(code string) bool {
	switch {
	case len(code) == 5 && (code[:2] == "08" || code[:2] == "53"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "25006":
		return true
	}
	return false
}

// lostConnection reports an error of the way to the server rather than of
// the query: it cannot connect, the connection broke, or the pool is closed.
func lostConnection(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	}
	msg := err.Error()
	return msg == "closed pool" || msg == "conn closed" || msg == "conn busy"
}
