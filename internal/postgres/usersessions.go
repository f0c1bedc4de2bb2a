package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// Sessions lists a user's sessions, newest first.
func (db *DB) Sessions(ctx context.Context, userID string) ([]pome.Session, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, db.translate(ctx, "sessions", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.Session, error) { return scanSession(row) })
	return out, db.translate(ctx, "sessions", err)
}

// DeleteUserSession removes one session of a user and appends ev.
func (db *DB) DeleteUserSession(ctx context.Context, userID, id string, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrSessionNotFound
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "delete user session", err)
}

// SetPassword sets a user's password hash, ends their other sessions and
// their reset, and appends ev.
func (db *DB) SetPassword(ctx context.Context, userID, hash string, keep *pome.Digest, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		return setPassword(ctx, tx, userID, hash, keep, ev)
	})
	return db.translate(ctx, "set password", err)
}

func setPassword(ctx context.Context, tx pgx.Tx, userID, hash string, keep *pome.Digest, ev pome.AuditEvent) error {
	tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return pome.ErrUserNotFound
	}
	var kept []byte // NULL: no session is kept
	if keep != nil {
		kept = keep[:]
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND digest IS DISTINCT FROM $2`, userID, kept); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM password_resets WHERE user_id = $1`, userID); err != nil {
		return err
	}
	return insertAudit(ctx, tx, ev)
}

// CreatePasswordReset stores r in place of the user's previous reset and
// appends ev.
func (db *DB) CreatePasswordReset(ctx context.Context, r pome.PasswordReset, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO password_resets (digest, user_id, created_at, expires_at)
			SELECT $1, id, $3, $4 FROM users WHERE id = $2
			ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
			r.Digest[:], r.UserID, toTS(r.CreatedAt), toTS(r.ExpiresAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrUserNotFound
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create password reset", err)
}

// PasswordResetByDigest finds a reset; pome.ErrNotFound if none.
func (db *DB) PasswordResetByDigest(ctx context.Context, d pome.Digest) (pome.PasswordReset, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	r := pome.PasswordReset{Digest: d}
	err := db.pool.QueryRow(ctx, `SELECT user_id, created_at, expires_at FROM password_resets WHERE digest = $1`, d[:]).
		Scan(&r.UserID, &r.CreatedAt, &r.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.PasswordReset{}, pome.ErrNotFound
	}
	if err != nil {
		return pome.PasswordReset{}, db.translate(ctx, "password reset by digest", err)
	}
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	return r, nil
}

// ResetPassword consumes a reset that is still valid at at, sets the
// password, ends every session of the user and appends ev.
func (db *DB) ResetPassword(ctx context.Context, d pome.Digest, userID, hash string, at time.Time, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM password_resets WHERE digest = $1 AND user_id = $2 AND expires_at > $3`,
			d[:], userID, toTS(at))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrNotFound
		}
		return setPassword(ctx, tx, userID, hash, nil, ev)
	})
	return db.translate(ctx, "reset password", err)
}
