package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// notifyChannel is the LISTEN/NOTIFY channel of the change log. Its payload
// is the entry's seq, for people watching with psql; followers read the log
// itself, from the last seq they applied.
const notifyChannel = "pome_changes"

// changeLock is the pg_advisory_xact_lock key that makes change-log appends
// one transaction at a time ("pomc" in ASCII).
//
// Identity values are handed out when a row is inserted, not when its
// transaction commits: without the lock, seq 12 could commit and be read by
// a follower before seq 11 commits, and the follower, remembering 12, would
// never see 11 (a revocation missed until the cache's TTL). Under the lock,
// taken just before the insert and held to commit, numbers commit in
// order. The transactions that take it are the rare ones that change what
// verification caches (revocations, rolls, member and team changes), and
// they take it last, after their row locks, for as short as possible.
const changeLock = 0x706f6d63

// appendChange adds an entry to the change log inside the caller's
// transaction and announces it with NOTIFY, which PostgreSQL delivers when
// (and only if) the transaction commits.
func appendChange(ctx context.Context, tx pgx.Tx, c pome.Change) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(changeLock)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `WITH c AS (
			INSERT INTO changes (kind, team_id, key_id, user_id, at) VALUES ($1, $2, $3, $4, $5) RETURNING seq)
		SELECT pg_notify('`+notifyChannel+`', seq::text) FROM c`,
		string(c.Kind), c.TeamID, c.KeyID, c.UserID, toTS(c.At))
	return err
}

// Changes returns up to limit entries with Seq > after, oldest first.
func (db *DB) Changes(ctx context.Context, after int64, limit int) ([]pome.Change, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx,
		`SELECT seq, kind, team_id, key_id, user_id, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, db.translate(ctx, "changes", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.Change, error) {
		var c pome.Change
		err := row.Scan(&c.Seq, &c.Kind, &c.TeamID, &c.KeyID, &c.UserID, &c.At)
		c.At = c.At.UTC()
		return c, err
	})
	if err != nil {
		return nil, db.translate(ctx, "changes", err)
	}
	return cs, nil
}

// LastChange returns the highest sequence number, 0 if the log is empty.
func (db *DB) LastChange(ctx context.Context) (int64, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var seq int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq)
	if err != nil {
		return 0, db.translate(ctx, "last change", err)
	}
	return seq, nil
}
