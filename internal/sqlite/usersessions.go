package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pomehq/pome"
)

// Sessions lists a user's sessions, newest first.
func (db *DB) Sessions(ctx context.Context, userID string) ([]pome.Session, error) {
	return queryAll(ctx, db, "sessions", scanSession, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
}

// DeleteUserSession removes one session of a user and appends ev.
func (db *DB) DeleteUserSession(ctx context.Context, userID, id string, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, pome.ErrSessionNotFound)
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "delete user session", err)
}

// SetPassword sets a user's password hash, ends their other sessions and
// their reset, and appends ev.
func (db *DB) SetPassword(ctx context.Context, userID, hash string, keep *pome.Digest, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		return setPassword(ctx, tx, userID, hash, keep, ev)
	})
	return db.translate(ctx, "set password", err)
}

func setPassword(ctx context.Context, tx *sql.Tx, userID, hash string, keep *pome.Digest, ev pome.AuditEvent) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return orNotFound(err, pome.ErrUserNotFound)
	}
	var kept []byte // NULL: no session is kept
	if keep != nil {
		kept = keep[:]
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND digest IS NOT ?`, userID, kept); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = ?`, userID); err != nil {
		return err
	}
	return insertAudit(ctx, tx, ev)
}

// CreatePasswordReset stores r in place of the user's previous reset and
// appends ev.
func (db *DB) CreatePasswordReset(ctx context.Context, r pome.PasswordReset, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// The WHERE is also what SQLite's parser needs to read the upsert
		// of an INSERT ... SELECT.
		res, err := tx.ExecContext(ctx, `INSERT INTO password_resets (digest, user_id, created_at, expires_at)
			SELECT ?1, id, ?3, ?4 FROM users WHERE id = ?2
			ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
			r.Digest[:], r.UserID, toMS(r.CreatedAt), toMS(r.ExpiresAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, pome.ErrUserNotFound)
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create password reset", err)
}

// PasswordResetByDigest finds a reset; pome.ErrNotFound if none.
func (db *DB) PasswordResetByDigest(ctx context.Context, d pome.Digest) (pome.PasswordReset, error) {
	r := pome.PasswordReset{Digest: d}
	var created, expires int64
	err := db.reader.QueryRowContext(ctx, `SELECT user_id, created_at, expires_at FROM password_resets WHERE digest = ?`, d[:]).
		Scan(&r.UserID, &created, &expires)
	if err == sql.ErrNoRows {
		return pome.PasswordReset{}, pome.ErrNotFound
	}
	if err != nil {
		return pome.PasswordReset{}, db.translate(ctx, "password reset by digest", err)
	}
	r.CreatedAt, r.ExpiresAt = fromMS(created), fromMS(expires)
	return r, nil
}

// ResetPassword consumes a reset that is still valid at at, sets the
// password, ends every session of the user and appends ev.
func (db *DB) ResetPassword(ctx context.Context, d pome.Digest, userID, hash string, at time.Time, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE digest = ? AND user_id = ? AND expires_at > ?`,
			d[:], userID, toMS(at))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, pome.ErrNotFound)
		}
		return setPassword(ctx, tx, userID, hash, nil, ev)
	})
	return db.translate(ctx, "reset password", err)
}

// orNotFound is err, or else notFound: the error of a write that changed
// no row.
func orNotFound(err error, notFound error) error {
	if err != nil {
		return err
	}
	return notFound
}
