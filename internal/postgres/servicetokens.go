package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

const serviceTokenColumns = `id, name, prefix, digest, scopes, created_at, revoked_at`

// scanServiceToken reads serviceTokenColumns.
func scanServiceToken(row pgx.Row) (pome.ServiceToken, error) {
	var st pome.ServiceToken
	var digest []byte
	var scopes string
	if err := row.Scan(&st.ID, &st.Name, &st.Prefix, &digest, &scopes, &st.CreatedAt, &st.RevokedAt); err != nil {
		return pome.ServiceToken{}, err
	}
	copy(st.Digest[:], digest)
	st.Scopes = pome.SplitScopes(scopes)
	st.CreatedAt = st.CreatedAt.UTC()
	st.RevokedAt = utcPtr(st.RevokedAt)
	return st, nil
}

// CreateServiceToken stores a new service token and its audit event.
func (db *DB) CreateServiceToken(ctx context.Context, st pome.ServiceToken, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO service_tokens (`+serviceTokenColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			st.ID, st.Name, st.Prefix, st.Digest[:], pome.JoinScopes(st.Scopes), toTS(st.CreatedAt), toNullTS(st.RevokedAt)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create service token", err)
}

// ServiceTokenByDigest finds a service token, revoked or not.
func (db *DB) ServiceTokenByDigest(ctx context.Context, d pome.Digest) (pome.ServiceToken, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	st, err := scanServiceToken(db.pool.QueryRow(ctx,
		`SELECT `+serviceTokenColumns+` FROM service_tokens WHERE digest = $1`, d[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.ServiceToken{}, pome.ErrServiceTokenNotFound
	}
	if err != nil {
		return pome.ServiceToken{}, db.translate(ctx, "service token by digest", err)
	}
	return st, nil
}

// ListServiceTokens lists every service token, newest first.
func (db *DB) ListServiceTokens(ctx context.Context) ([]pome.ServiceToken, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	rows, err := db.pool.Query(ctx,
		`SELECT `+serviceTokenColumns+` FROM service_tokens ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, db.translate(ctx, "list service tokens", err)
	}
	defer rows.Close()
	var out []pome.ServiceToken
	for rows.Next() {
		st, err := scanServiceToken(rows)
		if err != nil {
			return nil, db.translate(ctx, "list service tokens", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, db.translate(ctx, "list service tokens", err)
	}
	return out, nil
}

// RevokeServiceToken sets a token's revocation time unless already set, and
// appends ev only when this call revoked it.
func (db *DB) RevokeServiceToken(ctx context.Context, id string, at time.Time, ev pome.AuditEvent) (pome.ServiceToken, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var st pome.ServiceToken
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE service_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, toTS(at), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		st, err = scanServiceToken(tx.QueryRow(ctx,
			`SELECT `+serviceTokenColumns+` FROM service_tokens WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
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
