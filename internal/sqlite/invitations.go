package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"time"

	"github.com/pomehq/pome"
)

// invitationColumns are what scanInvitation reads, for every read of
// invitations.
const invitationColumns = `id, digest, team_id, email, role, invited_by, created_at, expires_at`

func scanInvitation(row scanner) (pome.Invitation, error) {
	var inv pome.Invitation
	var digest []byte
	var created, expires int64
	if err := row.Scan(&inv.ID, &digest, &inv.TeamID, &inv.Email, &inv.Role, &inv.InvitedBy, &created, &expires); err != nil {
		return pome.Invitation{}, err
	}
	copy(inv.Digest[:], digest)
	inv.CreatedAt, inv.ExpiresAt = fromMS(created), fromMS(expires)
	return inv, nil
}

// CreateInvitation stores inv in place of the team's pending invitation of
// the same email and appends ev.
func (db *DB) CreateInvitation(ctx context.Context, inv pome.Invitation, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// The WHERE is also what SQLite's parser needs to read the upsert
		// of an INSERT ... SELECT.
		res, err := tx.ExecContext(ctx, `INSERT INTO invitations (`+invitationColumns+`)
			SELECT ?1, ?2, id, ?4, ?5, ?6, ?7, ?8 FROM teams WHERE id = ?3
			ON CONFLICT (team_id, email) DO UPDATE SET id = excluded.id, digest = excluded.digest,
			role = excluded.role, invited_by = excluded.invited_by,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
			inv.ID, inv.Digest[:], inv.TeamID, inv.Email, string(inv.Role), inv.InvitedBy,
			toMS(inv.CreatedAt), toMS(inv.ExpiresAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, pome.ErrTeamNotFound)
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create invitation", err)
}

// Invitations lists a team's invitations, newest first.
func (db *DB) Invitations(ctx context.Context, teamID string) ([]pome.Invitation, error) {
	return queryAll(ctx, db, "invitations", scanInvitation, `SELECT `+invitationColumns+` FROM invitations
		WHERE team_id = ? ORDER BY created_at DESC, id DESC`, teamID)
}

// InvitationByDigest finds an invitation; pome.ErrInvitationNotFound if none.
func (db *DB) InvitationByDigest(ctx context.Context, d pome.Digest) (pome.Invitation, error) {
	inv, err := scanInvitation(db.reader.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE digest = ?`, d[:]))
	if err == sql.ErrNoRows {
		return pome.Invitation{}, pome.ErrInvitationNotFound
	}
	if err != nil {
		return pome.Invitation{}, db.translate(ctx, "invitation by digest", err)
	}
	return inv, nil
}

// DeleteInvitation removes one invitation of a team and appends ev.
func (db *DB) DeleteInvitation(ctx context.Context, teamID, id string, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM invitations WHERE id = ? AND team_id = ?`, id, teamID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, pome.ErrInvitationNotFound)
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "delete invitation", err)
}

// AcceptInvitation consumes an invitation still valid at at and makes the
// user a member of its team with at least its role, and appends ev. SQLite's
// single writer makes the read of the membership and its change one step.
func (db *DB) AcceptInvitation(ctx context.Context, d pome.Digest, userID string, at time.Time, ev pome.AuditEvent) (pome.Role, error) {
	var role pome.Role
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var teamID string
		err := tx.QueryRowContext(ctx, `DELETE FROM invitations WHERE digest = ? AND expires_at > ? RETURNING team_id, role`,
			d[:], toMS(at)).Scan(&teamID, &role)
		if err == sql.ErrNoRows {
			return pome.ErrInvitationNotFound
		}
		if err != nil {
			return err
		}
		var users int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, userID).Scan(&users); err != nil {
			return err
		}
		if users == 0 {
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
