package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// CreateSession stores a session and, unless ev is nil, its login event.
func (db *DB) CreateSession(ctx context.Context, s pome.Session, ev *pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := insertSession(ctx, tx, s); err != nil || ev == nil {
			return err
		}
		return insertAudit(ctx, tx, *ev)
	})
	return db.translate(ctx, "create session", err)
}

func insertSession(ctx context.Context, tx pgx.Tx, s pome.Session) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO sessions (digest, id, user_id, created_at, last_seen, ip, user_agent, return_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.Digest[:], s.ID, s.UserID, toTS(s.CreatedAt), toTS(s.LastSeen), s.IP, s.UserAgent, s.ReturnURL)
	return err
}

// sessionColumns are what scanSession reads, for every read of sessions.
const sessionColumns = `digest, id, user_id, created_at, last_seen, ip, user_agent, return_url`

// scanSession reads a row of sessionColumns.
func scanSession(row pgx.Row) (pome.Session, error) {
	var s pome.Session
	var digest []byte
	if err := row.Scan(&digest, &s.ID, &s.UserID, &s.CreatedAt, &s.LastSeen, &s.IP, &s.UserAgent, &s.ReturnURL); err != nil {
		return pome.Session{}, err
	}
	copy(s.Digest[:], digest)
	s.CreatedAt, s.LastSeen = s.CreatedAt.UTC(), s.LastSeen.UTC()
	return s, nil
}

// SessionByDigest finds a session; pome.ErrNotFound if none.
func (db *DB) SessionByDigest(ctx context.Context, d pome.Digest) (pome.Session, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	s, err := scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE digest = $1`, d[:]))
	if errors.Is(err, pgx.ErrNoRows) {
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
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	_, err := db.pool.Exec(ctx, `UPDATE sessions SET last_seen = $1 WHERE digest = $2`, toTS(lastSeen), d[:])
	return db.translate(ctx, "touch session", err)
}

// DeleteSession removes a session and, if it existed and ev is not nil,
// appends ev; a missing one is no error and writes no event.
func (db *DB) DeleteSession(ctx context.Context, d pome.Digest, ev *pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE digest = $1`, d[:])
		if err != nil || tag.RowsAffected() == 0 || ev == nil {
			return err
		}
		return insertAudit(ctx, tx, *ev)
	})
	return db.translate(ctx, "delete session", err)
}
