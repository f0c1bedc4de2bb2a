package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pomehq/pome"
)

// sessionColumns are what scanSession reads, for every read of sessions.
const sessionColumns = `digest, id, user_id, created_at, last_seen, ip, user_agent, return_url`

const qSessionByDigest = `SELECT ` + sessionColumns + ` FROM sessions WHERE digest = ?`

// scanSession reads a row of sessionColumns.
func scanSession(row scanner) (pome.Session, error) {
	var s pome.Session
	var digest []byte
	var created, seen int64
	if err := row.Scan(&digest, &s.ID, &s.UserID, &created, &seen, &s.IP, &s.UserAgent, &s.ReturnURL); err != nil {
		return pome.Session{}, err
	}
	copy(s.Digest[:], digest)
	s.CreatedAt, s.LastSeen = fromMS(created), fromMS(seen)
	return s, nil
}

// CreateSession stores a session and, unless ev is nil, its login event.
func (db *DB) CreateSession(ctx context.Context, s pome.Session, ev *pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := insertSession(ctx, tx, s); err != nil || ev == nil {
			return err
		}
		return insertAudit(ctx, tx, *ev)
	})
	return db.translate(ctx, "create session", err)
}

func insertSession(ctx context.Context, tx *sql.Tx, s pome.Session) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO sessions (digest, id, user_id, created_at, last_seen, ip, user_agent, return_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Digest[:], s.ID, s.UserID, toMS(s.CreatedAt), toMS(s.LastSeen), s.IP, s.UserAgent, s.ReturnURL)
	return err
}

// SessionByDigest finds a session; pome.ErrNotFound if none.
func (db *DB) SessionByDigest(ctx context.Context, d pome.Digest) (pome.Session, error) {
	s, err := scanSession(db.stmts.sessionByDigest.QueryRowContext(ctx, d[:]))
	if err == sql.ErrNoRows {
		return pome.Session{}, pome.ErrNotFound
	}
	if err != nil {
		return pome.Session{}, db.translate(ctx, "session by digest", err)
	}
	return s, nil
}

// TouchSession sets a session's last-seen time. Touching a session that is
// gone (signed out meanwhile) is no error: there is nothing to keep alive.
func (db *DB) TouchSession(ctx context.Context, d pome.Digest, lastSeen time.Time) error {
	_, err := db.exec(ctx, `UPDATE sessions SET last_seen = ? WHERE digest = ?`,
		toMS(lastSeen), d[:])
	return db.translate(ctx, "touch session", err)
}

// DeleteSession removes a session and, if it existed and ev is not nil,
// appends ev; a missing one is no error and writes no event.
func (db *DB) DeleteSession(ctx context.Context, d pome.Digest, ev *pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE digest = ?`, d[:])
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 || ev == nil {
			return err
		}
		return insertAudit(ctx, tx, *ev)
	})
	return db.translate(ctx, "delete session", err)
}
