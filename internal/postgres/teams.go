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
		SELECT t.id, t.slug, t.name, t.plan_tier, t.status, t.created_at, t.external_id, m.role
		FROM memberships m JOIN teams t ON t.id = m.team_id
		WHERE m.user_id = $1
		ORDER BY m.created_at, t.id`, userID)
	if err != nil {
		return nil, db.translate(ctx, "memberships", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.Membership, error) {
		var m pome.Membership
		var external *string
		err := row.Scan(&m.Team.ID, &m.Team.Slug, &m.Team.Name, &m.Team.PlanTier,
			&m.Team.Status, &m.Team.CreatedAt, &external, &m.Role)
		m.Team.CreatedAt = m.Team.CreatedAt.UTC()
		if external != nil {
			m.Team.ExternalID = *external
		}
		return m, err
	})
	if err != nil {
		return nil, db.translate(ctx, "memberships", err)
	}
	return ms, nil
}

// teamColumns are the columns scanTeam reads.
const teamColumns = `id, slug, name, plan_tier, status, created_at, external_id`

// scanTeam reads teamColumns.
func scanTeam(row pgx.Row) (pome.Team, error) {
	var t pome.Team
	var external *string
	if err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.PlanTier, &t.Status, &t.CreatedAt, &external); err != nil {
		return pome.Team{}, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if external != nil {
		t.ExternalID = *external
	}
	return t, nil
}

// CreateTeam stores a team with no member, and its audit event.
func (db *DB) CreateTeam(ctx context.Context, t pome.Team, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, teamsTable.insert, teamRow(&t)...); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create team", err)
}

// TeamByID finds a team by id.
func (db *DB) TeamByID(ctx context.Context, id string) (pome.Team, error) {
	return db.team(ctx, "team by id", `id`, id)
}

// TeamBySlug finds a team by slug.
func (db *DB) TeamBySlug(ctx context.Context, slug string) (pome.Team, error) {
	return db.team(ctx, "team by slug", `slug`, slug)
}

// TeamByExternalID finds a team by the platform's id of it.
func (db *DB) TeamByExternalID(ctx context.Context, externalID string) (pome.Team, error) {
	return db.team(ctx, "team by external id", `external_id`, externalID)
}

// team finds the team whose column (a constant of the callers) is value.
func (db *DB) team(ctx context.Context, op, column, value string) (pome.Team, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	t, err := scanTeam(db.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams WHERE `+column+` = $1`, value))
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.Team{}, pome.ErrTeamNotFound
	}
	if err != nil {
		return pome.Team{}, db.translate(ctx, op, err)
	}
	return t, nil
}

// UpdateTeam sets the team's name (unless empty), status and plan tier and logs a
// team_updated change in the same transaction, so a follower never misses
// the update.
func (db *DB) UpdateTeam(ctx context.Context, t pome.Team, at time.Time, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE teams SET name = COALESCE(NULLIF($1, ''), name), status = $2, plan_tier = $3 WHERE id = $4`,
			t.Name, t.Status, t.PlanTier, t.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrTeamNotFound
		}
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeTeamUpdated, TeamID: t.ID, At: at}); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "update team", err)
}
