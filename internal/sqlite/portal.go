package sqlite

import (
	"context"
	"database/sql"

	"github.com/pomehq/pome"
)

// CreatePortalLink stores a portal link and appends ev.
func (db *DB) CreatePortalLink(ctx context.Context, l pome.PortalLink, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO portal_links (digest, team_id, email, role, return_url, created_by, created_at, expires_at)
			SELECT ?, id, ?, ?, ?, ?, ?, ? FROM teams WHERE id = ?`,
			l.Digest[:], l.Email, string(l.Role), l.ReturnURL, l.CreatedBy, toMS(l.CreatedAt), toMS(l.ExpiresAt), l.TeamID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, pome.ErrTeamNotFound)
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create portal link", err)
}

// OpenPortalLink consumes a portal link still valid at s.CreatedAt, finds
// or creates its user, adds or raises their membership, and stores the
// session and the events, in one transaction: SQLite's single writer makes
// two opens of one link one after the other, and the second finds none.
func (db *DB) OpenPortalLink(ctx context.Context, d pome.Digest, newUser pome.User, s pome.Session, events func(pome.PortalOpened) []pome.AuditEvent) (pome.PortalOpened, error) {
	var o pome.PortalOpened
	err := db.tx(ctx, func(tx *sql.Tx) error {
		o = pome.PortalOpened{}
		l := &o.Link
		l.Digest = d
		var role string
		var created, expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM portal_links WHERE digest = ? AND expires_at > ?
			RETURNING team_id, email, role, return_url, created_by, created_at, expires_at`, d[:], toMS(s.CreatedAt)).
			Scan(&l.TeamID, &l.Email, &role, &l.ReturnURL, &l.CreatedBy, &created, &expires)
		if err == sql.ErrNoRows {
			return pome.ErrNotFound
		}
		if err != nil {
			return err
		}
		l.Role, l.CreatedAt, l.ExpiresAt = pome.Role(role), fromMS(created), fromMS(expires)

		newUser.Email, newUser.PasswordHash = l.Email, ""
		if _, err := tx.ExecContext(ctx, qInsertUser+` ON CONFLICT (email) DO NOTHING`, userRow(&newUser)...); err != nil {
			return err
		}
		var userCreated int64
		u := &o.User
		if err := tx.QueryRowContext(ctx, qUserByEmail, l.Email).Scan(&u.ID, &u.Email, &u.PasswordHash, &userCreated); err != nil {
			return err
		}
		u.CreatedAt, o.NewUser = fromMS(userCreated), u.ID == newUser.ID

		if o.Was, o.Role, err = joinTeam(ctx, tx, l.TeamID, u.ID, l.Role, s.CreatedAt); err != nil {
			return err
		}

		s.UserID, s.ReturnURL = u.ID, l.ReturnURL
		if err := insertSession(ctx, tx, s); err != nil {
			return err
		}
		for _, ev := range events(o) {
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return pome.PortalOpened{}, db.translate(ctx, "open portal link", err)
	}
	return o, nil
}
