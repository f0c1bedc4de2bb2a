package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// Memberships lists a user's teams, oldest membership first; ties (the same
// millisecond) fall back to the team id so the order is stable.
func (db *DB) Memberships(ctx context.Context, userID string) ([]pome.Membership, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	rows, err := db.pool.Query(ctx, `
		SELECT t.id, t.slug, t.name, t.plan_tier, t.status, t.created_at, m.role
		FROM memberships m JOIN teams t ON t.id = m.team_id
		WHERE m.user_id = $1
		ORDER BY m.created_at, t.id`, userID)
	if err != nil {
		return nil, db.translate(ctx, "memberships", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.Membership, error) {
		var m pome.Membership
		err := row.Scan(&m.Team.ID, &m.Team.Slug, &m.Team.Name, &m.Team.PlanTier,
			&m.Team.Status, &m.Team.CreatedAt, &m.Role)
		m.Team.CreatedAt = m.Team.CreatedAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, db.translate(ctx, "memberships", err)
	}
	return ms, nil
}

// TeamBySlug finds a team by slug.
func (db *DB) TeamBySlug(ctx context.Context, slug string) (pome.Team, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var t pome.Team
	err := db.pool.QueryRow(ctx,
		`SELECT id, slug, name, plan_tier, status, created_at FROM teams WHERE slug = $1`, slug).
		Scan(&t.ID, &t.Slug, &t.Name, &t.PlanTier, &t.Status, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.Team{}, pome.ErrTeamNotFound
	}
	if err != nil {
		return pome.Team{}, db.translate(ctx, "team by slug", err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, nil
}

// UpdateTeam sets the team's status and plan tier and logs a team_updated
// change in the same transaction, so a follower never misses the update.
func (db *DB) UpdateTeam(ctx context.Context, teamID, status, planTier string, at time.Time, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE teams SET status = $1, plan_tier = $2 WHERE id = $3`,
			status, planTier, teamID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrTeamNotFound
		}
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeTeamUpdated, TeamID: teamID, At: at}); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "update team", err)
}
