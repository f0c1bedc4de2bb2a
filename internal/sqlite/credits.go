package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pomehq/pome"
)

// creditsScan holds a key's credit columns as scanned.
type creditsScan struct {
	remaining, amount, period sql.NullInt64
	interval                  sql.NullString
	base                      int64
}

// credits is what the columns say: nil when credits_remaining is NULL.
func (s *creditsScan) credits() *pome.Credits {
	if !s.remaining.Valid {
		return nil
	}
	c := &pome.Credits{Remaining: s.remaining.Int64, Base: s.base}
	if s.interval.Valid {
		c.Refill = &pome.CreditRefill{Interval: s.interval.String, Amount: s.amount.Int64}
		c.Period = fromMS(s.period.Int64)
	}
	return c
}

// creditsColumns are the columns of creditsRow, for an UPDATE's SET.
const creditsColumns = `credits_remaining = ?, credits_refill_interval = ?, credits_refill_amount = ?,
	credits_period = ?, credits_base = ?`

// creditsRow is a key's credits_remaining, credits_refill_interval,
// credits_refill_amount, credits_period and credits_base.
func creditsRow(c *pome.Credits) []any {
	switch {
	case c == nil:
		return []any{nil, nil, nil, nil, 0}
	case c.Refill == nil:
		return []any{c.Remaining, nil, nil, nil, c.Base}
	}
	return []any{c.Remaining, c.Refill.Interval, c.Refill.Amount, toMS(c.Period), c.Base}
}

// SettleCredits settles the credits of keyIDs and of the keys with an
// expired lease in one write transaction: SQLite's one writer serializes it
// with every other change of the keys.
func (db *DB) SettleCredits(ctx context.Context, keyIDs []string, now time.Time, settle func(*pome.CreditState) error) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		expired, err := expiredLeaseKeys(ctx, tx, toMS(now))
		if err != nil {
			return err
		}
		var y yielder
		return pome.SettleEach(keyIDs, expired, now,
			func(id string) (pome.CreditState, bool, error) {
				y.yield()
				return loadCreditState(ctx, tx, id)
			},
			func(st *pome.CreditState) error { return saveCreditState(ctx, tx, st) },
			func(ev pome.AuditEvent) error { return insertAudit(ctx, tx, ev) }, settle)
	})
	return db.translate(ctx, "settle credits", err)
}

// expiredLeaseKeys lists the keys with a lease expired at now.
func expiredLeaseKeys(ctx context.Context, tx *sql.Tx, now int64) ([]string, error) {
	return txStrings(ctx, tx, `SELECT DISTINCT key_id FROM credit_leases WHERE expires_at <= ?`, now)
}

// loadCreditState reads a key's team, credits and leases; false if no key
// has the id.
func loadCreditState(ctx context.Context, tx *sql.Tx, keyID string) (pome.CreditState, bool, error) {
	st := pome.CreditState{KeyID: keyID}
	var s creditsScan
	err := tx.QueryRowContext(ctx, `SELECT team_id, credits_remaining, credits_refill_interval, credits_refill_amount,
		credits_period, credits_base FROM api_keys WHERE id = ?`, keyID).Scan(&st.TeamID, &s.remaining, &s.interval, &s.amount, &s.period, &s.base)
	if err == sql.ErrNoRows {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	st.Credits = s.credits()
	rows, err := tx.QueryContext(ctx, `SELECT node_id, held, armed, expires_at FROM credit_leases
		WHERE key_id = ? ORDER BY node_id`, keyID)
	if err != nil {
		return st, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var l pome.CreditLease
		var expires int64
		if err := rows.Scan(&l.Node, &l.Held, &l.Armed, &expires); err != nil {
			return st, false, err
		}
		l.ExpiresAt = fromMS(expires)
		st.Leases = append(st.Leases, l)
	}
	return st, true, rows.Err()
}

// saveCreditState writes a key's credits and replaces its leases.
func saveCreditState(ctx context.Context, tx *sql.Tx, st *pome.CreditState) error {
	if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET `+creditsColumns+` WHERE id = ?`,
		append(creditsRow(st.Credits), st.KeyID)...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM credit_leases WHERE key_id = ?`, st.KeyID); err != nil {
		return err
	}
	for _, l := range st.Leases {
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_leases (key_id, node_id, held, armed, expires_at)
			VALUES (?, ?, ?, ?, ?)`, st.KeyID, l.Node, l.Held, l.Armed, toMS(l.ExpiresAt)); err != nil {
			return err
		}
	}
	return nil
}

// splitCredits moves old's credits to its replacement at a roll at now
// (pome.Credits.Split), and stores what old keeps.
func splitCredits(ctx context.Context, tx *sql.Tx, old pome.Key, now time.Time) (kept, moved *pome.Credits, err error) {
	var held int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(held), 0) FROM credit_leases WHERE key_id = ?`, old.ID).Scan(&held); err != nil {
		return nil, nil, err
	}
	kept, moved = old.Credits.Split(held, now)
	_, err = tx.ExecContext(ctx, `UPDATE api_keys SET `+creditsColumns+` WHERE id = ?`, append(creditsRow(kept), old.ID)...)
	return kept, moved, err
}
