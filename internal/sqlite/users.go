package sqlite

import (
	"context"
	"database/sql"

	"github.com/pomehq/pome"
)

const (
	qUserByID    = `SELECT id, email, password_hash, created_at FROM users WHERE id = ?`
	qUserByEmail = `SELECT id, email, password_hash, created_at FROM users WHERE email = ?`
)

// CreateUserWithTeam stores the user, the team, the owner membership and
// the signup's audit event in one transaction.
func (db *DB) CreateUserWithTeam(ctx context.Context, u pome.User, t pome.Team, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qInsertUser, userRow(&u)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, qInsertTeam, teamRow(&t)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, qInsertMembership, membershipRow(t.ID, u.ID, pome.RoleOwner, t.CreatedAt)...); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create user with team", err)
}

// UserByEmail finds a user by lower-cased email.
func (db *DB) UserByEmail(ctx context.Context, email string) (pome.User, error) {
	return db.user(ctx, "user by email", db.stmts.userByEmail, email)
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id string) (pome.User, error) {
	return db.user(ctx, "user by id", db.stmts.userByID, id)
}

func (db *DB) user(ctx context.Context, op string, st *sql.Stmt, arg string) (pome.User, error) {
	var u pome.User
	var created int64
	err := st.QueryRowContext(ctx, arg).Scan(&u.ID, &u.Email, &u.PasswordHash, &created)
	if err == sql.ErrNoRows {
		return pome.User{}, pome.ErrUserNotFound
	}
	if err != nil {
		return pome.User{}, db.translate(ctx, op, err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}
