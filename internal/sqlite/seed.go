package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"

	"github.com/pomehq/pome"
)

// The rows of users, teams, memberships and keys, as the Store's methods and
// SeedAccounts insert them: each table's columns and values written once.
const (
	qInsertUser       = `INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)`
	qInsertTeam       = `INSERT INTO teams (id, slug, name, plan_tier, status, created_at, external_id) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qInsertMembership = `INSERT INTO memberships (team_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`
	qInsertKey        = `INSERT INTO api_keys
		(id, team_id, created_by, name, description, prefix, digest, role, created_at,
		 expires_at, revoked_at, issued_to, lifetime_ms,
		 test_mode, enabled, scopes, meta, rate_limit, rate_window_ms, allowed_cidrs,
		 credits_remaining, credits_refill_interval, credits_refill_amount, credits_period, credits_base, canary)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// qInsertKeyUsage is a key's folded usage, for a key stored with some.
	qInsertKeyUsage = `INSERT INTO key_usage (key_id, usage_count, last_used, last_used_ip) VALUES (?, ?, ?, ?)`
)

func userRow(u *pome.User) []any {
	return []any{u.ID, u.Email, u.PasswordHash, toMS(u.CreatedAt)}
}

func teamRow(t *pome.Team) []any {
	return []any{t.ID, t.Slug, t.Name, t.PlanTier, t.Status, toMS(t.CreatedAt), nullText(t.ExternalID)}
}

func membershipRow(teamID, userID string, role pome.Role, at time.Time) []any {
	return []any{teamID, userID, string(role), toMS(at)}
}

func keyRow(k *pome.Key) []any {
	return append(append([]any{k.ID, k.TeamID, k.CreatedBy, k.Name, k.Description, k.Prefix, k.Digest[:], string(k.Role),
		toMS(k.CreatedAt), toNullMS(k.ExpiresAt), toNullMS(k.RevokedAt), k.IssuedTo, k.Lifetime.Milliseconds(),
		k.TestMode, !k.Disabled, pome.JoinKeyScopes(k.Scopes), pome.KeyMetaJSON(k.Meta)}, rateLimitRow(k.RateLimit)...), append(append([]any{pome.JoinCIDRs(k.AllowedCIDRs)}, creditsRow(k.Credits)...), k.Canary)...)
}

// keyUsageRow is k's row of key_usage, and false when it has no usage to
// store.
func keyUsageRow(k *pome.Key) ([]any, bool) {
	if k.UsageCount == 0 && k.LastUsed == nil && !k.LastUsedIP.IsValid() {
		return nil, false
	}
	return []any{k.ID, k.UsageCount, toNullMS(k.LastUsed), nullText(pome.UsageIP(k.LastUsedIP))}, true
}

// rateLimitRow is a key's rate_limit and rate_window_ms: both NULL for
// none.
func rateLimitRow(r *pome.RateLimit) []any {
	if r == nil {
		return []any{nil, nil}
	}
	return []any{r.Limit, r.Window.Milliseconds()}
}

// seedCacheKiB is the page cache SeedAccounts works with (SQLite's default
// is 2 MiB): keys arrive in random digest and id order, and with a small
// cache a large transaction spends its time spilling index pages to the WAL
// and reading them back. It is half of what the driver lets one connection
// allocate (256 MiB): past that limit every page would fail to allocate,
// which is far slower still.
const seedCacheKiB = 128 << 10

// SeedAccounts stores accounts in bulk, in one transaction, for benchmarks
// and tests that need many of them: for each member, its user, its team,
// the user's membership of the team with the member's role (joined when the
// team was created) and the keys, each as given. Every user, team and key
// must be new. Unlike the Store's methods it appends no audit event and no
// change-log entry, and it holds the writer throughout, whose memory grows
// by the cache above for as long as the store is open: it is no Store
// method, and Pome itself never calls it.
func (db *DB) SeedAccounts(ctx context.Context, accounts iter.Seq2[pome.Member, []pome.Key]) error {
	return db.translate(ctx, "seed accounts", db.seed(ctx, accounts))
}

func (db *DB) seed(ctx context.Context, accounts iter.Seq2[pome.Member, []pome.Key]) error {
	if err := db.checkFile(); err != nil {
		return err
	}
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var cache int64
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -seedCacheKiB)); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, cache))

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var stmts [5]*sql.Stmt
	for i, q := range []string{qInsertUser, qInsertTeam, qInsertMembership, qInsertKey, qInsertKeyUsage} {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		defer stmts[i].Close()
	}
	users, teams, members, keys, usage := stmts[0], stmts[1], stmts[2], stmts[3], stmts[4]
	for m, ks := range accounts {
		if _, err := users.ExecContext(ctx, userRow(&m.User)...); err != nil {
			return fmt.Errorf("user %s: %w", m.User.ID, err)
		}
		if _, err := teams.ExecContext(ctx, teamRow(&m.Team)...); err != nil {
			return fmt.Errorf("team %s: %w", m.Team.ID, err)
		}
		if _, err := members.ExecContext(ctx, membershipRow(m.Team.ID, m.User.ID, m.Role, m.Team.CreatedAt)...); err != nil {
			return fmt.Errorf("membership of %s in %s: %w", m.User.ID, m.Team.ID, err)
		}
		for i := range ks {
			if _, err := keys.ExecContext(ctx, keyRow(&ks[i])...); err != nil {
				return fmt.Errorf("key %s: %w", ks[i].ID, err)
			}
			if row, ok := keyUsageRow(&ks[i]); ok {
				if _, err := usage.ExecContext(ctx, row...); err != nil {
					return fmt.Errorf("usage of key %s: %w", ks[i].ID, err)
				}
			}
		}
	}
	return tx.Commit()
}
