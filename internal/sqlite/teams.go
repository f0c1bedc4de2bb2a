package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pomehq/pome"
)

// Memberships lists a user's teams, oldest membership first; ties (the same
// millisecond) fall back to the team id so the order is stable.
func (db *DB) Memberships(ctx context.Context, userID string) ([]pome.Membership, error) {
	return queryAll(ctx, db, "memberships", func(row scanner) (pome.Membership, error) {
		var m pome.Membership
		var created int64
		err := row.Scan(&m.Team.ID, &m.Team.Slug, &m.Team.Name, &m.Team.PlanTier, &m.Team.Status, &created, &m.Role)
		m.Team.CreatedAt = fromMS(created)
		return m, err
	}, `
		SELECT t.id, t.slug, t.name, t.plan_tier, t.status, t.created_at, m.role
		FROM memberships m JOIN teams t ON t.id = m.team_id
		WHERE m.user_id = ?
		ORDER BY m.created_at, t.id`, userID)
}

// TeamBySlug finds a team by slug.
func (db *DB) TeamBySlug(ctx context.Context, slug string) (pome.Team, error) {
	var t pome.Team
	var created int64
	err := db.reader.QueryRowContext(ctx,
		`SELECT id, slug, name, plan_tier, status, created_at FROM teams WHERE slug = ?`, slug).
		Scan(&t.ID, &t.Slug, &t.Name, &t.PlanTier, &t.Status, &created)
	if err == sql.ErrNoRows {
		return pome.Team{}, pome.ErrTeamNotFound
	}
	if err != nil {
		return pome.Team{}, db.translate(ctx, "team by slug", err)
	}
	t.CreatedAt = fromMS(created)
	return t, nil
}

// UpdateTeam sets the team's status and plan tier and logs a team_updated
// change in the same transaction, so a poller never misses the update.
func (db *DB) UpdateTeam(ctx context.Context, teamID, status, planTier string, at time.Time, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE teams SET status = ?, plan_tier = ? WHERE id = ?`,
			status, planTier, teamID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return pome.ErrTeamNotFound
		}
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeTeamUpdated, TeamID: teamID, At: at}); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "update team", err)
}
