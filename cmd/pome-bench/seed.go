package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/sqlite"
)

// keysPerTeam: the seeded keys belong to teams of ten keys, each team with
// one member who created them (so that the cache shares team and creator
// records as a real deployment's would, not more).
const keysPerTeam = 10

var seededAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seedRow is one key to insert, with its team and user when it starts one.
type seedRow struct {
	newTeam bool
	teamID  string
	userID  string
	team    int
	keyID   string
	digest  pome.Digest
	prefix  string
	created time.Time
}

// seedKeys generates n keys and calls row for each; keep(i) tells which
// plaintexts to return.
func seedKeys(n int, keep func(i int) bool, row func(r seedRow) error) ([]string, error) {
	var kept []string
	var teamID, userID string
	for i := range n {
		k, err := pome.DefaultKeyFormat.Generate()
		if err != nil {
			return nil, err
		}
		r := seedRow{newTeam: i%keysPerTeam == 0, team: i / keysPerTeam, keyID: pome.NewID("key_"),
			digest: pome.DigestOf(k), prefix: pome.DefaultKeyFormat.DisplayPrefix(k),
			created: seededAt.Add(time.Duration(i) * time.Millisecond)}
		if r.newTeam {
			teamID, userID = pome.NewID("tm_"), pome.NewID("usr_")
		}
		r.teamID, r.userID = teamID, userID
		if err := row(r); err != nil {
			return nil, err
		}
		if keep(i) {
			kept = append(kept, k)
		}
	}
	return kept, nil
}

// seedSQLite creates a Pome SQLite database at path (migrated by
// sqlite.Open) holding n keys, inserted with SQL in one transaction, and
// returns the plaintexts keep selects.
func seedSQLite(ctx context.Context, path string, n int, keep func(int) bool) ([]string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := store.Close(); err != nil {
		return nil, err
	}
	raw, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", OmitHost: true, Path: path,
		RawQuery: "_pragma=journal_mode(wal)&_pragma=synchronous(off)&_pragma=foreign_keys(1)"}).String())
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	users := prep(`INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, 'x', ?)`)
	teams := prep(`INSERT INTO teams (id, slug, name, plan_tier, status, created_at) VALUES (?, ?, ?, 'pro', 'active', ?)`)
	members := prep(`INSERT INTO memberships (team_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)`)
	keys := prep(`INSERT INTO api_keys (id, team_id, created_by, name, description, prefix, digest, role, created_at)
		VALUES (?, ?, ?, ?, '', ?, ?, 'developer', ?)`)
	if err != nil {
		return nil, err
	}
	ms := seededAt.UnixMilli()
	kept, err := seedKeys(n, keep, func(r seedRow) error {
		if r.newTeam {
			if _, err := users.ExecContext(ctx, r.userID, fmt.Sprintf("user%d@example.com", r.team), ms); err != nil {
				return err
			}
			if _, err := teams.ExecContext(ctx, r.teamID, fmt.Sprint("team-", r.team), fmt.Sprint("Team ", r.team), ms); err != nil {
				return err
			}
			if _, err := members.ExecContext(ctx, r.teamID, r.userID, ms); err != nil {
				return err
			}
		}
		_, err := keys.ExecContext(ctx, r.keyID, r.teamID, r.userID, fmt.Sprint("key ", r.team), r.prefix, r.digest[:], r.created.UnixMilli())
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	// No ANALYZE: Pome never runs it, and with its STAT4 statistics SQLite
	// re-plans the verification query for every new digest bound to it, so
	// every cache miss would parse its SQL again (a miss then cost three
	// times as much: p50 180 against 52 µs, BENCHMARKS.md, 2026-12-02).
	_, err = raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return kept, err
}

// seedPostgres fills the (migrated, empty) schema of databaseURL with n keys
// through COPY, and returns the plaintexts keep selects.
func seedPostgres(ctx context.Context, databaseURL string, n int, keep func(int) bool) ([]string, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var users, teams, members, keys [][]any
	kept, err := seedKeys(n, keep, func(r seedRow) error {
		if r.newTeam {
			users = append(users, []any{r.userID, fmt.Sprintf("user%d@example.com", r.team), "x", seededAt})
			teams = append(teams, []any{r.teamID, fmt.Sprint("team-", r.team), fmt.Sprint("Team ", r.team), "pro", "active", seededAt})
			members = append(members, []any{r.teamID, r.userID, "owner", seededAt})
		}
		keys = append(keys, []any{r.keyID, r.teamID, r.userID, fmt.Sprint("key ", r.team), "", r.prefix, r.digest[:], "developer", r.created})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"users", []string{"id", "email", "password_hash", "created_at"}, users},
		{"teams", []string{"id", "slug", "name", "plan_tier", "status", "created_at"}, teams},
		{"memberships", []string{"team_id", "user_id", "role", "created_at"}, members},
		{"api_keys", []string{"id", "team_id", "created_by", "name", "description", "prefix", "digest", "role", "created_at"}, keys},
	} {
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return nil, fmt.Errorf("copy %s: %w", t.table, err)
		}
	}
	// What autovacuum and the checkpointer would have done by the time a
	// real table of this size is read: otherwise the misses are timed while
	// PostgreSQL still sets hint bits and writes out the load.
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
		return nil, fmt.Errorf("CHECKPOINT (needs a superuser or the pg_checkpoint role): %w", err)
	}
	return kept, nil
}

// writeKeys writes keys one a line.
func writeKeys(path string, keys []string) error {
	return os.WriteFile(path, []byte(strings.Join(keys, "\n")+"\n"), 0o600)
}
