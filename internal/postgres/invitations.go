package postgres

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// invitationColumns are what scanInvitation reads, for every read of
// invitations.
const invitationColumns = `id, digest, team_id, email, role, invited_by, created_at, expires_at`

func scanInvitation(row pgx.Row) (pome.Invitation, error) {
	var inv pome.Invitation
	var digest []byte
	if err := row.Scan(&inv.ID, &digest, &inv.TeamID, &inv.Email, &inv.Role, &inv.InvitedBy, &inv.CreatedAt, &inv.ExpiresAt); err != nil {
		return pome.Invitation{}, err
	}
	copy(inv.Digest[:], digest)
	inv.CreatedAt, inv.ExpiresAt = inv.CreatedAt.UTC(), inv.ExpiresAt.UTC()
	return inv, nil
}

// CreateInvitation stores inv in place of the team's pending invitation of
// the same email and appends ev.
func (db *DB) CreateInvitation(ctx context.Context, inv pome.Invitation, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO invitations (`+invitationColumns+`)
			SELECT $1, $2, id, $4, $5, $6, $7, $8 FROM teams WHERE id = $3
			ON CONFLICT (team_id, email) DO UPDATE SET id = excluded.id, digest = excluded.digest,
			role = excluded.role, invited_by = excluded.invited_by,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
			inv.ID, inv.Digest[:], inv.TeamID, inv.Email, string(inv.Role), inv.InvitedBy,
			toTS(inv.CreatedAt), toTS(inv.ExpiresAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrTeamNotFound
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create invitation", err)
}

// Invitations lists a team's invitations, newest first.
func (db *DB) Invitations(ctx context.Context, teamID string) ([]pome.Invitation, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE team_id = $1 ORDER BY created_at DESC, id DESC`, teamID)
	if err != nil {
		return nil, db.translate(ctx, "invitations", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.Invitation, error) { return scanInvitation(row) })
	return out, db.translate(ctx, "invitations", err)
}

// InvitationByDigest finds an invitation; pome.ErrInvitationNotFound if none.
func (db *DB) InvitationByDigest(ctx context.Context, d pome.Digest) (pome.Invitation, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	inv, err := scanInvitation(db.pool.QueryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE digest = $1`, d[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.Invitation{}, pome.ErrInvitationNotFound
	}
	if err != nil {
		return pome.Invitation{}, db.translate(ctx, "invitation by digest", err)
	}
	return inv, nil
}

// DeleteInvitation removes one invitation of a team and appends ev.
func (db *DB) DeleteInvitation(ctx context.Context, teamID, id string, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM invitations WHERE id = $1 AND team_id = $2`, id, teamID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrInvitationNotFound
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "delete invitation", err)
}

// AcceptInvitation consumes an invitation still valid at at and makes the
// user a member of its team with at least its role, and appends ev. The
// DELETE's row lock makes a second accept of the same invitation wait and
// then find nothing; the team's row is locked as every member change
// locks it (lockMembers), so that the membership read here is still true
// when it commits.
func (db *DB) AcceptInvitation(ctx context.Context, d pome.Digest, userID string, at time.Time, ev pome.AuditEvent) (pome.Role, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var role pome.Role
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var teamID string
		err := tx.QueryRow(ctx, `DELETE FROM invitations WHERE digest = $1 AND expires_at > $2 RETURNING team_id, role`,
			d[:], toTS(at)).Scan(&teamID, &role)
		if errors.Is(err, pgx.ErrNoRows) {
			return pome.ErrInvitationNotFound
		}
		if err != nil {
			return err
		}
		var user bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $2)
			FROM teams WHERE id = $1 FOR NO KEY UPDATE`, teamID, userID).Scan(&user); err != nil {
			return err
		}
		if !user {
			return pome.ErrUserNotFound
		}
		if _, role, err = joinTeam(ctx, tx, teamID, userID, role, at); err != nil {
			return err
		}
		details := make(map[string]any, len(ev.Details)+1)
		maps.Copy(details, ev.Details)
		details["role"] = string(role)
		ev.Details = details
		return insertAudit(ctx, tx, ev)
	})
	if err != nil {
		return "", db.translate(ctx, "accept invitation", err)
	}
	return role, nil
}
