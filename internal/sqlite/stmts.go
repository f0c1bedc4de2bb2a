package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// stmts are the reads prepared once at Open, on the read pool. database/sql
// re-prepares a statement lazily on each pooled connection it runs on, then
// reuses it.
type stmts struct {
	keyByDigest     *sql.Stmt
	keyByID         *sql.Stmt
	sessionByDigest *sql.Stmt
	userByID        *sql.Stmt
	userByEmail     *sql.Stmt
}

func (s *stmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.keyByDigest, qKeyByDigest},
		{&s.keyByID, qKeyByID},
		{&s.sessionByDigest, qSessionByDigest},
		{&s.userByID, qUserByID},
		{&s.userByEmail, qUserByEmail},
	} {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return err
		}
		*p.dst = st
	}
	return nil
}

func (s *stmts) close() error {
	var err error
	for _, st := range []*sql.Stmt{s.keyByDigest, s.keyByID, s.sessionByDigest, s.userByID, s.userByEmail} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	return err
}

// Times are stored as INTEGER unix milliseconds UTC: they sort and compare
// as numbers, and every backend can hold them exactly. Sub-millisecond parts
// are truncated.

func toMS(t time.Time) int64 { return t.UnixMilli() }

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullText stores "" as NULL, for optional unique columns.
func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func toNullMS(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMS(n.Int64)
	return &t
}

// dayOf is midnight UTC of t's day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
