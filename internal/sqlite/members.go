package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"time"

	"github.com/pomehq/pome"
)

const memberColumns = `u.id, u.email, u.created_at, m.role, m.created_at
	FROM memberships m JOIN users u ON u.id = m.user_id`

func scanMember(row scanner) (pome.TeamMember, error) {
	var m pome.TeamMember
	var userCreated, joined int64
	if err := row.Scan(&m.User.ID, &m.User.Email, &userCreated, &m.Role, &joined); err != nil {
		return pome.TeamMember{}, err
	}
	m.User.CreatedAt, m.JoinedAt = fromMS(userCreated), fromMS(joined)
	return m, nil
}

// Members lists a team's members, oldest membership first, ties by user id.
func (db *DB) Members(ctx context.Context, teamID string) ([]pome.TeamMember, error) {
	return queryAll(ctx, db, "members", scanMember, `SELECT `+memberColumns+`
		WHERE m.team_id = ? ORDER BY m.created_at, u.id`, teamID)
}

// Member finds one member of a team.
func (db *DB) Member(ctx context.Context, teamID, userID string) (pome.TeamMember, error) {
	m, err := scanMember(db.reader.QueryRowContext(ctx, `SELECT `+memberColumns+`
		WHERE m.team_id = ? AND m.user_id = ?`, teamID, userID))
	if err == sql.ErrNoRows {
		return pome.TeamMember{}, pome.ErrMemberNotFound
	}
	if err != nil {
		return pome.TeamMember{}, db.translate(ctx, "member", err)
	}
	return m, nil
}

// checkRole reports ErrMemberNotFound unless the user is a member of the
// team, and ErrConcurrentChange unless their role is still from.
func checkRole(ctx context.Context, tx *sql.Tx, teamID, userID string, from pome.Role) error {
	var role string
	err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE team_id = ? AND user_id = ?`,
		teamID, userID).Scan(&role)
	if err == sql.ErrNoRows {
		return pome.ErrMemberNotFound
	}
	if err != nil {
		return err
	}
	if pome.Role(role) != from {
		return pome.ErrConcurrentChange
	}
	return nil
}

// checkOwner reports ErrLastOwner if the team has no owner left. It runs in
// the write transaction after the change: SQLite's single writer makes the
// check and the change one step, so two owners demoting each other at once
// cannot both succeed.
func checkOwner(ctx context.Context, tx *sql.Tx, teamID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE team_id = ? AND role = 'owner'`,
		teamID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return pome.ErrLastOwner
	}
	return nil
}

// SetMemberRole changes a member's role, keeping an owner in the team, and
// logs a member_updated change and ev.
func (db *DB) SetMemberRole(ctx context.Context, teamID, userID string, from, to pome.Role, at time.Time, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := checkRole(ctx, tx, teamID, userID, from); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE team_id = ? AND user_id = ?`,
			string(to), teamID, userID); err != nil {
			return err
		}
		if err := checkOwner(ctx, tx, teamID); err != nil {
			return err
		}
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeMemberUpdated, TeamID: teamID, UserID: userID, At: at}); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "set member role", err)
}

// RemoveMember removes a member, keeping an owner in the team, revokes the
// keys they created or were issued in it, and logs the revocations, a member_updated change
// and ev (with the revoked key ids).
func (db *DB) RemoveMember(ctx context.Context, teamID, userID string, from pome.Role, at time.Time, ev pome.AuditEvent) ([]string, error) {
	var revoked []string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		revoked = nil
		if err := checkRole(ctx, tx, teamID, userID, from); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE team_id = ? AND user_id = ?`,
			teamID, userID); err != nil {
			return err
		}
		if err := checkOwner(ctx, tx, teamID); err != nil {
			return err
		}
		var err error
		revoked, err = txStrings(ctx, tx, `UPDATE api_keys SET revoked_at = ?1
			WHERE team_id = ?2 AND (created_by = ?3 OR issued_to = ?3) AND revoked_at IS NULL RETURNING id`,
			toMS(at), teamID, userID)
		if err != nil {
			return err
		}
		slices.Sort(revoked)
		for _, id := range revoked {
			if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeKeyRevoked, TeamID: teamID, KeyID: id, At: at}); err != nil {
				return err
			}
		}
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeMemberUpdated, TeamID: teamID, UserID: userID, At: at}); err != nil {
			return err
		}
		details := make(map[string]any, len(ev.Details)+1)
		maps.Copy(details, ev.Details)
		details["revoked_keys"] = append([]string{}, revoked...)
		ev.Details = details
		return insertAudit(ctx, tx, ev)
	})
	if err != nil {
		return nil, db.translate(ctx, "remove member", err)
	}
	return revoked, nil
}

// joinTeam makes userID a member of teamID with role, or raises a lower
// role to it (a ChangeMemberUpdated entry tells the other nodes), and
// returns the role held before ("" for none) and the one held now: an
// invitation accepted or a portal link opened never lowers a role.
// SQLite's one writer runs the read and the write with no change between.
func joinTeam(ctx context.Context, tx *sql.Tx, teamID, userID string, role pome.Role, at time.Time) (was, now pome.Role, err error) {
	err = tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE team_id = ? AND user_id = ?`, teamID, userID).Scan(&was)
	switch {
	case err == sql.ErrNoRows:
		_, err = tx.ExecContext(ctx, qInsertMembership, membershipRow(teamID, userID, role, at)...)
		return "", role, err
	case err != nil:
		return "", "", err
	case was.AtLeast(role):
		return was, was, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE team_id = ? AND user_id = ?`,
		string(role), teamID, userID); err != nil {
		return "", "", err
	}
	return was, role, appendChange(ctx, tx, pome.Change{Kind: pome.ChangeMemberUpdated, TeamID: teamID, UserID: userID, At: at})
}
