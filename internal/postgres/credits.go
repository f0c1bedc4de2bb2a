package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// creditsScan holds a key's credit columns as scanned.
type creditsScan struct {
	remaining, amount *int64
	interval          *string
	period            *time.Time
	base              int64
}

// credits is what the columns say: nil when credits_remaining is NULL.
func (s *creditsScan) credits() *pome.Credits {
	if s.remaining == nil {
		return nil
	}
	c := &pome.Credits{Remaining: *s.remaining, Base: s.base}
	if s.interval != nil && s.amount != nil && s.period != nil {
		c.Refill = &pome.CreditRefill{Interval: *s.interval, Amount: *s.amount}
		c.Period = s.period.UTC()
	}
	return c
}

// creditsRow is a key's credits_remaining, credits_refill_interval,
// credits_refill_amount, credits_period and credits_base.
func creditsRow(c *pome.Credits) []any {
	switch {
	case c == nil:
		return []any{nil, nil, nil, nil, 0}
	case c.Refill == nil:
		return []any{c.Remaining, nil, nil, nil, c.Base}
	}
	return []any{c.Remaining, c.Refill.Interval, c.Refill.Amount, toTS(c.Period), c.Base}
}

// qSetCredits stores creditsRow's columns ($1 to $5) in the key of id $6.
const qSetCredits = `UPDATE api_keys SET credits_remaining = $1, credits_refill_interval = $2,
	credits_refill_amount = $3, credits_period = $4, credits_base = $5 WHERE id = $6`

// SettleCredits settles the credits of keyIDs and of the keys with an
// expired lease in one transaction. It locks the keys' rows in id order
// (FOR UPDATE), so that nodes settling the same keys queue rather than
// deadlock, and a concurrent UpdateKey waits for it.
func (db *DB) SettleCredits(ctx context.Context, keyIDs []string, now time.Time, settle func(*pome.CreditState) error) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT key_id FROM credit_leases WHERE expires_at <= $1`, toTS(now))
		if err != nil {
			return err
		}
		expired, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		return pome.SettleEach(keyIDs, expired, now,
			func(id string) (pome.CreditState, bool, error) { return loadCreditState(ctx, tx, id) },
			func(st *pome.CreditState) error { return saveCreditState(ctx, tx, st) },
			func(ev pome.AuditEvent) error { return insertAudit(ctx, tx, ev) }, settle)
	})
	return db.translate(ctx, "settle credits", err)
}

// loadCreditState locks and reads a key's team, credits and leases; false
// if no key has the id.
func loadCreditState(ctx context.Context, tx pgx.Tx, keyID string) (pome.CreditState, bool, error) {
	st := pome.CreditState{KeyID: keyID}
	var s creditsScan
	err := tx.QueryRow(ctx, `SELECT team_id, credits_remaining, credits_refill_interval, credits_refill_amount,
		credits_period, credits_base FROM api_keys WHERE id = $1 FOR UPDATE`, keyID).Scan(&st.TeamID, &s.remaining, &s.interval, &s.amount, &s.period, &s.base)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	st.Credits = s.credits()
	rows, err := tx.Query(ctx, `SELECT node_id, held, armed, expires_at FROM credit_leases
		WHERE key_id = $1 ORDER BY node_id`, keyID)
	if err != nil {
		return st, false, err
	}
	st.Leases, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.CreditLease, error) {
		var l pome.CreditLease
		err := row.Scan(&l.Node, &l.Held, &l.Armed, &l.ExpiresAt)
		l.ExpiresAt = l.ExpiresAt.UTC()
		return l, err
	})
	return st, err == nil, err
}

// saveCreditState writes a key's credits and replaces its leases, in one
// round trip.
func saveCreditState(ctx context.Context, tx pgx.Tx, st *pome.CreditState) error {
	var b pgx.Batch
	b.Queue(qSetCredits, append(creditsRow(st.Credits), st.KeyID)...)
	b.Queue(`DELETE FROM credit_leases WHERE key_id = $1`, st.KeyID)
	for _, l := range st.Leases {
		b.Queue(`INSERT INTO credit_leases (key_id, node_id, held, armed, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			st.KeyID, l.Node, l.Held, l.Armed, toTS(l.ExpiresAt))
	}
	return tx.SendBatch(ctx, &b).Close()
}

// splitCredits moves old's credits to its replacement at a roll at now
// (pome.Credits.Split), and stores what old keeps.
func splitCredits(ctx context.Context, tx pgx.Tx, old pome.Key, now time.Time) (kept, moved *pome.Credits, err error) {
	var held int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(held), 0) FROM credit_leases WHERE key_id = $1`, old.ID).Scan(&held); err != nil {
		return nil, nil, err
	}
	kept, moved = old.Credits.Split(held, now)
	_, err = tx.Exec(ctx, qSetCredits, append(creditsRow(kept), old.ID)...)
	return kept, moved, err
}
