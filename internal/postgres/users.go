package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// CreateUserWithTeam stores the user, the team, the owner membership and
// the signup's audit event in one transaction.
func (db *DB) CreateUserWithTeam(ctx context.Context, u pome.User, t pome.Team, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, usersTable.insert, userRow(&u)...); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, teamsTable.insert, teamRow(&t)...); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, membershipsTable.insert, membershipRow(t.ID, u.ID, pome.RoleOwner, t.CreatedAt)...); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create user with team", err)
}

// UserByEmail finds a user by lower-cased email.
func (db *DB) UserByEmail(ctx context.Context, email string) (pome.User, error) {
	return db.user(ctx, "user by email", qUserByEmail, email)
}

// qUserByEmail reads a user by lower-cased email, as user scans it.
const qUserByEmail = `SELECT id, email, password_hash, created_at FROM users WHERE email = $1`

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id string) (pome.User, error) {
	return db.user(ctx, "user by id", `SELECT id, email, password_hash, created_at FROM users WHERE id = $1`, id)
}

func (db *DB) user(ctx context.Context, op, query, arg string) (pome.User, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var u pome.User
	var created time.Time
	err := db.pool.QueryRow(ctx, query, arg).Scan(&u.ID, &u.Email, &u.PasswordHash, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.User{}, pome.ErrUserNotFound
	}
	if err != nil {
		return pome.User{}, db.translate(ctx, op, err)
	}
	u.CreatedAt = created.UTC()
	return u, nil
}
