package postgres

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

const memberColumns = `u.id, u.email, u.created_at, m.role, m.created_at
	FROM memberships m JOIN users u ON u.id = m.user_id`

func scanMember(row pgx.Row) (pome.TeamMember, error) {
	var m pome.TeamMember
	if err := row.Scan(&m.User.ID, &m.User.Email, &m.User.CreatedAt, &m.Role, &m.JoinedAt); err != nil {
		return pome.TeamMember{}, err
	}
	m.User.CreatedAt, m.JoinedAt = m.User.CreatedAt.UTC(), m.JoinedAt.UTC()
	return m, nil
}

// Members lists a team's members, oldest membership first, ties by user id.
func (db *DB) Members(ctx context.Context, teamID string) ([]pome.TeamMember, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT `+memberColumns+`
		WHERE m.team_id = $1 ORDER BY m.created_at, u.id`, teamID)
	if err != nil {
		return nil, db.translate(ctx, "members", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.TeamMember, error) { return scanMember(row) })
	if err != nil {
		return nil, db.translate(ctx, "members", err)
	}
	return ms, nil
}

// Member finds one member of a team.
func (db *DB) Member(ctx context.Context, teamID, userID string) (pome.TeamMember, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	m, err := scanMember(db.pool.QueryRow(ctx, `SELECT `+memberColumns+`
		WHERE m.team_id = $1 AND m.user_id = $2`, teamID, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.TeamMember{}, pome.ErrMemberNotFound
	}
	if err != nil {
		return pome.TeamMember{}, db.translate(ctx, "member", err)
	}
	return m, nil
}

// lockMembers locks the team's row against every other change of its
// members, then reports ErrMemberNotFound unless the user is a member, and
// ErrConcurrentChange unless their role is still from.
//
// Read committed lets two transactions each count the owners before the
// other's change commits: two owners demoting each other at once would both
// see one owner left. Taking the team row first (FOR NO KEY UPDATE, which
// does not hold back the foreign-key checks of key creation) makes member
// changes of one team run one at a time, so the owner count after the
// change is true when it commits. SQLite gets the same from its single
// writer.
func lockMembers(ctx context.Context, tx pgx.Tx, teamID, userID string, from pome.Role) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM teams WHERE id = $1 FOR NO KEY UPDATE`, teamID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.ErrMemberNotFound
	}
	if err != nil {
		return err
	}
	var role pome.Role
	err = tx.QueryRow(ctx, `SELECT role FROM memberships WHERE team_id = $1 AND user_id = $2`,
		teamID, userID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.ErrMemberNotFound
	}
	if err != nil {
		return err
	}
	if role != from {
		return pome.ErrConcurrentChange
	}
	return nil
}

// checkOwner reports ErrLastOwner if the team has no owner left; it runs
// after the change, under lockMembers' lock.
func checkOwner(ctx context.Context, tx pgx.Tx, teamID string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM memberships WHERE team_id = $1 AND role = 'owner'`,
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
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockMembers(ctx, tx, teamID, userID, from); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET role = $1 WHERE team_id = $2 AND user_id = $3`,
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
	ctx, cancel := bound(ctx, bulkTimeout)
	defer cancel()
	var revoked []string
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockMembers(ctx, tx, teamID, userID, from); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM memberships WHERE team_id = $1 AND user_id = $2`,
			teamID, userID); err != nil {
			return err
		}
		if err := checkOwner(ctx, tx, teamID); err != nil {
			return err
		}
		// The keys are locked in id order, as a usage flush locks them, so
		// the two never deadlock.
		rows, err := tx.Query(ctx, `WITH k AS (
				SELECT id FROM api_keys
				WHERE team_id = $2 AND (created_by = $3 OR issued_to = $3) AND revoked_at IS NULL
				ORDER BY id FOR UPDATE)
			UPDATE api_keys SET revoked_at = $1 FROM k WHERE api_keys.id = k.id RETURNING api_keys.id`,
			toTS(at), teamID, userID)
		if err != nil {
			return err
		}
		if revoked, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
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
// invitation accepted or a portal link opened never lowers a role. A
// concurrent join finds the row through ON CONFLICT, and the row is locked
// (FOR UPDATE) before a raise, so that a concurrent change of the role is
// not overwritten from a stale read.
func joinTeam(ctx context.Context, tx pgx.Tx, teamID, userID string, role pome.Role, at time.Time) (was, now pome.Role, err error) {
	tag, err := tx.Exec(ctx, membershipsTable.insert+` ON CONFLICT (team_id, user_id) DO NOTHING`,
		membershipRow(teamID, userID, role, at)...)
	if err != nil || tag.RowsAffected() == 1 {
		return "", role, err
	}
	if err := tx.QueryRow(ctx, `SELECT role FROM memberships WHERE team_id = $1 AND user_id = $2 FOR UPDATE`,
		teamID, userID).Scan(&was); err != nil {
		return "", "", err
	}
	if was.AtLeast(role) {
		return was, was, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE memberships SET role = $1 WHERE team_id = $2 AND user_id = $3`,
		string(role), teamID, userID); err != nil {
		return "", "", err
	}
	return was, role, appendChange(ctx, tx, pome.Change{Kind: pome.ChangeMemberUpdated, TeamID: teamID, UserID: userID, At: at})
}
