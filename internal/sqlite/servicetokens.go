package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pomehq/pome"
)

const serviceTokenColumns = `id, name, prefix, digest, scopes, created_at, revoked_at`

// scanServiceToken reads serviceTokenColumns.
func scanServiceToken(row scanner) (pome.ServiceToken, error) {
	var st pome.ServiceToken
	var digest []byte
	var created int64
	var revoked sql.NullInt64
	var scopes string
	if err := row.Scan(&st.ID, &st.Name, &st.Prefix, &digest, &scopes, &created, &revoked); err != nil {
		return pome.ServiceToken{}, err
	}
	copy(st.Digest[:], digest)
	st.Scopes = pome.SplitScopes(scopes)
	st.CreatedAt = fromMS(created)
	st.RevokedAt = fromNullMS(revoked)
	return st, nil
}

// CreateServiceToken stores a new service token and its audit event.
func (db *DB) CreateServiceToken(ctx context.Context, st pome.ServiceToken, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_tokens (`+serviceTokenColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			st.ID, st.Name, st.Prefix, st.Digest[:], pome.JoinScopes(st.Scopes), toMS(st.CreatedAt), toNullMS(st.RevokedAt)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create service token", err)
}

// ServiceTokenByDigest finds a service token, revoked or not.
func (db *DB) ServiceTokenByDigest(ctx context.Context, d pome.Digest) (pome.ServiceToken, error) {
	st, err := scanServiceToken(db.reader.QueryRowContext(ctx,
		`SELECT `+serviceTokenColumns+` FROM service_tokens WHERE digest = ?`, d[:]))
	if err == sql.ErrNoRows {
		return pome.ServiceToken{}, pome.ErrServiceTokenNotFound
	}
	if err != nil {
		return pome.ServiceToken{}, db.translate(ctx, "service token by digest", err)
	}
	return st, nil
}

// ListServiceTokens lists every service token, newest first.
func (db *DB) ListServiceTokens(ctx context.Context) ([]pome.ServiceToken, error) {
	return queryAll(ctx, db, "list service tokens", scanServiceToken,
		`SELECT `+serviceTokenColumns+` FROM service_tokens ORDER BY created_at DESC, id DESC`)
}

// RevokeServiceToken sets a token's revocation time unless already set, and
// appends ev only when this call revoked it.
func (db *DB) RevokeServiceToken(ctx context.Context, id string, at time.Time, ev pome.AuditEvent) (pome.ServiceToken, error) {
	var st pome.ServiceToken
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE service_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, toMS(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n > 0 {
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		st, err = scanServiceToken(tx.QueryRowContext(ctx,
			`SELECT `+serviceTokenColumns+` FROM service_tokens WHERE id = ?`, id))
		if err == sql.ErrNoRows {
			return pome.ErrServiceTokenNotFound
		}
		if err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		return nil
	})
	if err != nil {
		return pome.ServiceToken{}, db.translate(ctx, "revoke service token", err)
	}
	return st, nil
}
