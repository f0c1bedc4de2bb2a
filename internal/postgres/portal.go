package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// CreatePortalLink stores a portal link and appends ev.
func (db *DB) CreatePortalLink(ctx context.Context, l pome.PortalLink, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO portal_links (digest, team_id, email, role, return_url, created_by, created_at, expires_at)
			SELECT $1, id, $2, $3, $4, $5, $6, $7 FROM teams WHERE id = $8`,
			l.Digest[:], l.Email, string(l.Role), l.ReturnURL, l.CreatedBy, toTS(l.CreatedAt), toTS(l.ExpiresAt), l.TeamID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrTeamNotFound
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create portal link", err)
}

// OpenPortalLink consumes a portal link still valid at s.CreatedAt, finds
// or creates its user, adds or raises their membership, and stores the
// session and the events, in one transaction. Of two concurrent opens, the
// second's DELETE waits for the first's row lock and then finds no row;
// two links of one new email both find the user the first one stored
// (ON CONFLICT DO NOTHING, then a read that sees it).
func (db *DB) OpenPortalLink(ctx context.Context, d pome.Digest, newUser pome.User, s pome.Session, events func(pome.PortalOpened) []pome.AuditEvent) (pome.PortalOpened, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var o pome.PortalOpened
	err := db.tx(ctx, func(tx pgx.Tx) error {
		o = pome.PortalOpened{}
		l := &o.Link
		l.Digest = d
		var role string
		err := tx.QueryRow(ctx, `DELETE FROM portal_links WHERE digest = $1 AND expires_at > $2
			RETURNING team_id, email, role, return_url, created_by, created_at, expires_at`, d[:], toTS(s.CreatedAt)).
			Scan(&l.TeamID, &l.Email, &role, &l.ReturnURL, &l.CreatedBy, &l.CreatedAt, &l.ExpiresAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return pome.ErrNotFound
		}
		if err != nil {
			return err
		}
		l.Role, l.CreatedAt, l.ExpiresAt = pome.Role(role), l.CreatedAt.UTC(), l.ExpiresAt.UTC()

		newUser.Email, newUser.PasswordHash = l.Email, ""
		if _, err := tx.Exec(ctx, usersTable.insert+` ON CONFLICT (email) DO NOTHING`, userRow(&newUser)...); err != nil {
			return err
		}
		u := &o.User
		if err := tx.QueryRow(ctx, qUserByEmail, l.Email).
			Scan(&u.ID, &u.Email, &u.PasswordHash, &u.CreatedAt); err != nil {
			return err
		}
		u.CreatedAt, o.NewUser = u.CreatedAt.UTC(), u.ID == newUser.ID

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
