package postgres

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// table is one table's columns, in the order of its row function: the rows
// of users, teams, memberships and keys as the Store's methods insert them
// and SeedAccounts copies them, each written once.
type table struct {
	name   string
	cols   []string
	insert string // INSERT of one row, $1 … $n in cols' order
}

func newTable(name string, cols ...string) table {
	params := make([]string, len(cols))
	for i := range cols {
		params[i] = fmt.Sprintf("$%d", i+1)
	}
	return table{name: name, cols: cols, insert: fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)",
		name, strings.Join(cols, ", "), strings.Join(params, ", "))}
}

var (
	usersTable       = newTable("users", "id", "email", "password_hash", "created_at")
	teamsTable       = newTable("teams", "id", "slug", "name", "plan_tier", "status", "created_at", "external_id")
	membershipsTable = newTable("memberships", "team_id", "user_id", "role", "created_at")
	keysTable        = newTable("api_keys", "id", "team_id", "created_by", "name", "description", "prefix",
		"digest", "role", "created_at", "expires_at", "revoked_at", "last_used", "usage_count", "issued_to", "lifetime_ms",
		"test_mode", "enabled", "scopes", "meta", "rate_limit", "rate_window_ms", "allowed_cidrs",
		"credits_remaining", "credits_refill_interval", "credits_refill_amount", "credits_period", "credits_base", "canary")
)

func userRow(u *pome.User) []any {
	return []any{u.ID, u.Email, u.PasswordHash, toTS(u.CreatedAt)}
}

func teamRow(t *pome.Team) []any {
	return []any{t.ID, t.Slug, t.Name, t.PlanTier, t.Status, toTS(t.CreatedAt), nullText(t.ExternalID)}
}

func membershipRow(teamID, userID string, role pome.Role, at time.Time) []any {
	return []any{teamID, userID, string(role), toTS(at)}
}

func keyRow(k *pome.Key) []any {
	return append(append([]any{k.ID, k.TeamID, k.CreatedBy, k.Name, k.Description, k.Prefix, k.Digest[:], string(k.Role),
		toTS(k.CreatedAt), toNullTS(k.ExpiresAt), toNullTS(k.RevokedAt), toNullTS(k.LastUsed), k.UsageCount, k.IssuedTo, k.Lifetime.Milliseconds(),
		k.TestMode, !k.Disabled, pome.JoinKeyScopes(k.Scopes), pome.KeyMetaJSON(k.Meta)}, rateLimitRow(k.RateLimit)...), append(append([]any{pome.JoinCIDRs(k.AllowedCIDRs)}, creditsRow(k.Credits)...), k.Canary)...)
}

// rateLimitRow is a key's rate_limit and rate_window_ms: both NULL for
// none.
func rateLimitRow(r *pome.RateLimit) []any {
	if r == nil {
		return []any{nil, nil}
	}
	return []any{r.Limit, r.Window.Milliseconds()}
}

// seedBatchKeys is about how many keys SeedAccounts holds in memory before
// it copies them (and their accounts) to the server.
const seedBatchKeys = 50_000

// SeedAccounts stores accounts in bulk, in one transaction, for benchmarks
// and tests that need many of them: for each member, its user, its team,
// the user's membership of the team with the member's role (joined when the
// team was created) and the keys, each as given. Every user, team and key
// must be new. Unlike the Store's methods it appends no audit event and no
// change-log entry: it is no Store method, and Pome itself never calls it.
// Rows go to the server with COPY, a batch at a time.
func (db *DB) SeedAccounts(ctx context.Context, accounts iter.Seq2[pome.Member, []pome.Key]) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var users, teams, members, keys [][]any
		copyBatch := func() error {
			for _, b := range []struct {
				t    table
				rows [][]any
			}{{usersTable, users}, {teamsTable, teams}, {membershipsTable, members}, {keysTable, keys}} {
				if len(b.rows) == 0 {
					continue
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{b.t.name}, b.t.cols, pgx.CopyFromRows(b.rows)); err != nil {
					return fmt.Errorf("copy %s: %w", b.t.name, err)
				}
			}
			users, teams, members, keys = users[:0], teams[:0], members[:0], keys[:0]
			return nil
		}
		for m, ks := range accounts {
			users = append(users, userRow(&m.User))
			teams = append(teams, teamRow(&m.Team))
			members = append(members, membershipRow(m.Team.ID, m.User.ID, m.Role, m.Team.CreatedAt))
			for i := range ks {
				keys = append(keys, keyRow(&ks[i]))
			}
			if len(keys) >= seedBatchKeys {
				if err := copyBatch(); err != nil {
					return err
				}
			}
		}
		return copyBatch()
	})
	return db.translate(ctx, "seed accounts", err)
}
