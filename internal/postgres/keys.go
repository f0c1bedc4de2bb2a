package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// keyColumns is the column list keyScan reads, digest excluded. A key's
// last use, its address and its count are its folded ones plus its rows in
// usage_pending (usage.go): three lookups in that table's index. The
// address is a pending row's (empty when unknown) only when that row's use is
// later than the folded one.
const keyColumns = `k.id, k.team_id, k.created_by, k.name, k.description, k.prefix, k.role,
	k.created_at, k.expires_at, k.revoked_at,
	greatest(k.last_used, (SELECT max(p.last_used) FROM usage_pending p WHERE ` + pendingOfKey + `)),
	coalesce((SELECT coalesce(p.last_used_ip, '') FROM usage_pending p
		WHERE ` + pendingOfKey + ` AND p.last_used > coalesce(k.last_used, '-infinity')
		ORDER BY p.last_used DESC LIMIT 1), k.last_used_ip, ''),
	k.usage_count + coalesce((SELECT sum(p.count) FROM usage_pending p WHERE ` + pendingOfKey + `), 0)::bigint,
	k.issued_to, k.lifetime_ms,
	k.test_mode, k.enabled, k.scopes, k.meta, k.rate_limit, k.rate_window_ms, k.allowed_cidrs,
	k.credits_remaining, k.credits_refill_interval, k.credits_refill_amount, k.credits_period,
	k.replaced_by, k.credits_base, k.canary`

const (
	// qKeyByDigest is the verification query on a cache miss: one indexed
	// lookup on the unique digest plus three primary-key joins. The
	// creator's password hash is deliberately not read. The creator's role
	// is '' once they have left the team, and for a service token, which is
	// no user (its email and creation time read as '' and the epoch). pgx
	// prepares it once per connection and reuses it.
	qKeyByDigest = `SELECT ` + keyColumns + `,
		t.slug, t.name, t.plan_tier, t.status, t.created_at, coalesce(t.external_id, ''),
		coalesce(u.email, ''), coalesce(u.created_at, 'epoch'), coalesce(m.role, '')
	FROM api_keys k
	JOIN teams t ON t.id = k.team_id
	LEFT JOIN users u ON u.id = k.created_by
	LEFT JOIN memberships m ON m.team_id = k.team_id AND m.user_id = k.created_by
	WHERE k.digest = $1`

	qKeyByID = `SELECT ` + keyColumns + `, k.digest FROM api_keys k WHERE k.team_id = $1 AND k.id = $2`
)

// keyScan holds the columns of keyColumns that need converting after Scan.
type keyScan struct {
	enabled             bool
	lastIP              string
	scopes, meta, cidrs string
	limit, window       *int64
	credits             creditsScan
}

func (s *keyScan) dest(k *pome.Key) []any {
	return []any{&k.ID, &k.TeamID, &k.CreatedBy, &k.Name, &k.Description, &k.Prefix, &k.Role,
		&k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsed, &s.lastIP, &k.UsageCount, &k.IssuedTo, &k.Lifetime,
		&k.TestMode, &s.enabled, &s.scopes, &s.meta, &s.limit, &s.window, &s.cidrs,
		&s.credits.remaining, &s.credits.interval, &s.credits.amount, &s.credits.period, &k.ReplacedBy, &s.credits.base, &k.Canary}
}

// finish completes what dest scanned: times in UTC, the lifetime, scanned
// as its column's milliseconds, as a duration, and the policies.
func (s *keyScan) finish(k *pome.Key) error {
	k.Lifetime *= time.Millisecond
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt, k.RevokedAt, k.LastUsed = utcPtr(k.ExpiresAt), utcPtr(k.RevokedAt), utcPtr(k.LastUsed)
	var err error
	if k.LastUsedIP, err = pome.ParseUsageIP(s.lastIP); err != nil {
		return fmt.Errorf("key %s: last_used_ip: %w", k.ID, err)
	}
	k.Disabled = !s.enabled
	k.Scopes = pome.SplitKeyScopes(s.scopes)
	if s.meta != "{}" {
		k.Meta = s.meta
	}
	if s.limit != nil && s.window != nil {
		k.RateLimit = &pome.RateLimit{Limit: int(*s.limit), Window: time.Duration(*s.window) * time.Millisecond}
	}
	k.Credits = s.credits.credits()
	// An address rule that cannot be read fails the read: dropping it
	// would open the key to every address.
	if k.AllowedCIDRs, err = pome.SplitCIDRs(s.cidrs); err != nil {
		return fmt.Errorf("key %s: allowed_cidrs: %w", k.ID, err)
	}
	return nil
}

// scanKey reads keyColumns followed by the digest.
func scanKey(row pgx.Row) (pome.Key, error) {
	var k pome.Key
	var s keyScan
	var digest []byte
	if err := row.Scan(append(s.dest(&k), &digest)...); err != nil {
		return pome.Key{}, err
	}
	if err := s.finish(&k); err != nil {
		return pome.Key{}, err
	}
	copy(k.Digest[:], digest)
	return k, nil
}

// CreateKey stores a new key and its audit event.
func (db *DB) CreateKey(ctx context.Context, k pome.Key, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := insertKey(ctx, tx, k); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create key", err)
}

func insertKey(ctx context.Context, tx pgx.Tx, k pome.Key) error {
	_, err := tx.Exec(ctx, keysTable.insert, keyRow(&k)...)
	return err
}

// KeyByDigest finds a key with its team and creator (without the creator's
// password hash), for verification.
func (db *DB) KeyByDigest(ctx context.Context, d pome.Digest) (pome.KeyOwner, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var o pome.KeyOwner
	var s keyScan
	dest := append(s.dest(&o.Key),
		&o.Team.Slug, &o.Team.Name, &o.Team.PlanTier, &o.Team.Status, &o.Team.CreatedAt, &o.Team.ExternalID,
		&o.User.Email, &o.User.CreatedAt, &o.CreatorRole)
	err := db.pool.QueryRow(ctx, qKeyByDigest, d[:]).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.KeyOwner{}, pome.ErrKeyNotFound
	}
	if err == nil {
		err = s.finish(&o.Key)
	}
	if err != nil {
		return pome.KeyOwner{}, db.translate(ctx, "key by digest", err)
	}
	o.Key.Digest = d
	o.Team.ID = o.Key.TeamID
	o.Team.CreatedAt = o.Team.CreatedAt.UTC()
	o.User.CreatedAt = o.User.CreatedAt.UTC()
	if pome.IsServiceTokenID(o.Key.CreatedBy) {
		o.User.CreatedAt = time.Time{}
	} else {
		o.User.ID = o.Key.CreatedBy
	}
	return o, nil
}

// KeyByID finds a key of one team.
func (db *DB) KeyByID(ctx context.Context, teamID, keyID string) (pome.Key, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	k, err := scanKey(db.pool.QueryRow(ctx, qKeyByID, teamID, keyID))
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	if err != nil {
		return pome.Key{}, db.translate(ctx, "key by id", err)
	}
	return k, nil
}

// ListKeys lists a team's keys that match f, newest first, from after
// f.Before. Status is judged at f.Now with the same rule as
// pome.Key.Status. The page is a range of the index on (team_id,
// created_at, id) (or (team_id, created_by, created_at, id)), so it costs
// the same at any depth.
func (db *DB) ListKeys(ctx context.Context, f pome.KeyFilter) ([]pome.Key, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var q strings.Builder
	q.WriteString(`SELECT ` + keyColumns + `, k.digest FROM api_keys k WHERE `)
	var args params
	if err := keyWhere(&q, &args, f); err != nil {
		return nil, err
	}
	if f.Before != nil {
		q.WriteString(` AND (k.created_at, k.id) < (` + args.add(toTS(f.Before.CreatedAt)) + `, ` + args.add(f.Before.ID) + `)`)
	}
	q.WriteString(` ORDER BY k.created_at DESC, k.id DESC`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + args.add(f.Limit))
	}

	rows, err := db.pool.Query(ctx, q.String(), args...)
	if err != nil {
		return nil, db.translate(ctx, "list keys", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.Key, error) { return scanKey(row) })
	if err != nil {
		return nil, db.translate(ctx, "list keys", err)
	}
	return keys, nil
}

// CountKeys counts a team's keys that match f's creator and status.
func (db *DB) CountKeys(ctx context.Context, f pome.KeyFilter) (int, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var q strings.Builder
	q.WriteString(`SELECT count(*) FROM api_keys k WHERE `)
	var args params
	if err := keyWhere(&q, &args, f); err != nil {
		return 0, err
	}
	var n int
	if err := db.pool.QueryRow(ctx, q.String(), args...).Scan(&n); err != nil {
		return 0, db.translate(ctx, "count keys", err)
	}
	return n, nil
}

// params are a query's arguments.
type params []any

// add appends v and returns its placeholder.
func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// keyWhere writes the conditions of f's team, creator and status to q, and
// their arguments to args.
func keyWhere(q *strings.Builder, args *params, f pome.KeyFilter) error {
	q.WriteString(`k.team_id = ` + args.add(f.TeamID))
	if f.CreatedBy != "" {
		q.WriteString(` AND k.created_by = ` + args.add(f.CreatedBy))
	}
	if f.Search != "" {
		// strpos, not LIKE: the search needs no escaping. lower() folds
		// ASCII letters as SQLite's does (and more: pome.KeyFilter).
		q.WriteString(` AND (strpos(lower(k.name), lower(` + args.add(f.Search) + `)) > 0 OR strpos(k.prefix, ` + args.add(f.Search) + `) = 1)`)
	}
	switch f.Status {
	case "":
	case pome.KeyActive:
		q.WriteString(` AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ` + args.add(toTS(f.Now)) + `)`)
	case pome.KeyRevoked:
		q.WriteString(` AND k.revoked_at IS NOT NULL`)
	case pome.KeyExpired:
		q.WriteString(` AND k.revoked_at IS NULL AND k.expires_at <= ` + args.add(toTS(f.Now)))
	default:
		return pome.InvalidParameter("Unknown key status %q", f.Status)
	}
	return nil
}

// RevokeKey sets the key's revocation time unless already set, and logs a
// key_revoked change and the audit event only when this call revoked it:
// revoking twice keeps the first time and writes one change and one event.
func (db *DB) RevokeKey(ctx context.Context, teamID, keyID string, at time.Time, ev pome.AuditEvent) (pome.Key, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var k pome.Key
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE api_keys SET revoked_at = $1 WHERE team_id = $2 AND id = $3 AND revoked_at IS NULL`,
			toTS(at), teamID, keyID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeKeyRevoked, TeamID: teamID, KeyID: keyID, At: at}); err != nil {
				return err
			}
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		k, err = scanKey(tx.QueryRow(ctx, qKeyByID, teamID, keyID))
		if errors.Is(err, pgx.ErrNoRows) {
			return pome.ErrKeyNotFound
		}
		if err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		return nil
	})
	if err != nil {
		return pome.Key{}, db.translate(ctx, "revoke key", err)
	}
	return k, nil
}

// RollKey stores the replacement, moves the old key's expiry and logs a
// key_updated change, if the old key is still unrevoked and its expiry
// still the one the caller read: the caller decided the new expiry from it
// (never later than it), and a concurrent roll or revocation since must not
// be overwritten. The UPDATE's row lock makes the check and the change one
// step against a concurrent roll.
func (db *DB) RollKey(ctx context.Context, r pome.KeyRoll, ev pome.AuditEvent) (pome.Key, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var old pome.Key
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET expires_at = $1, replaced_by = $5
			WHERE team_id = $2 AND id = $3 AND revoked_at IS NULL AND expires_at IS NOT DISTINCT FROM $4::timestamptz`,
			toTS(r.OldExpiresAt), r.TeamID, r.OldKeyID, toNullTS(r.ExpectedExpiresAt), r.New.ID)
		if err != nil {
			return err
		}
		n := tag.RowsAffected()
		old, err = scanKey(tx.QueryRow(ctx, qKeyByID, r.TeamID, r.OldKeyID))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return pome.ErrKeyNotFound
		case err != nil:
			return fmt.Errorf("read back: %w", err)
		case n == 0 && old.RevokedAt != nil:
			return pome.ErrKeyNotActive
		case n == 0:
			return pome.ErrConcurrentChange
		}
		var alerts []pome.AuditEvent
		if c := old.Credits; c != nil {
			if old.Credits, r.New.Credits, err = splitCredits(ctx, tx, old, r.New.CreatedAt); err != nil {
				return err
			}
			// The replacement carries the key's credits on: the part the
			// old key keeps may leave it below a threshold.
			alerts = pome.CreditAlerts(r.TeamID, r.New.ID, c, r.New.Credits, r.New.CreatedAt)
		}
		if err := insertKey(ctx, tx, r.New); err != nil {
			return err
		}
		// Other nodes verify the old key afresh: its expiry moved closer.
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeKeyUpdated, TeamID: r.TeamID, KeyID: r.OldKeyID, At: r.New.CreatedAt}); err != nil {
			return err
		}
		return insertAudits(ctx, tx, ev, alerts)
	})
	if err != nil {
		return pome.Key{}, db.translate(ctx, "roll key", err)
	}
	return old, nil
}

// KeyByIDAnyTeam finds a key by id alone, for the platform API, whose
// service tokens act on every team.
func (db *DB) KeyByIDAnyTeam(ctx context.Context, keyID string) (pome.Key, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+`, k.digest FROM api_keys k WHERE k.id = $1`, keyID))
	if errors.Is(err, pgx.ErrNoRows) {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	if err != nil {
		return pome.Key{}, db.translate(ctx, "key by id", err)
	}
	return k, nil
}

// UpdateKey locks the key's row (FOR UPDATE) before change reads it: a
// concurrent change of the same key waits, and none is lost.
func (db *DB) UpdateKey(ctx context.Context, teamID, keyID string, change func(*pome.Key) error, at time.Time, ev pome.AuditEvent) (pome.Key, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	var k pome.Key
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		k, err = scanKey(tx.QueryRow(ctx, qKeyByID+` FOR UPDATE`, teamID, keyID))
		if errors.Is(err, pgx.ErrNoRows) {
			return pome.ErrKeyNotFound
		}
		if err != nil {
			return err
		}
		before := k.Credits.Clone()
		if err := change(&k); err != nil {
			return err
		}
		rl, cr := rateLimitRow(k.RateLimit), creditsRow(k.Credits)
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET name = $1, description = $2, expires_at = $3,
			lifetime_ms = $4, enabled = $5, scopes = $6, meta = $7, rate_limit = $8, rate_window_ms = $9,
			allowed_cidrs = $10, credits_remaining = $11, credits_refill_interval = $12,
			credits_refill_amount = $13, credits_period = $14, credits_base = $15 WHERE team_id = $16 AND id = $17`,
			k.Name, k.Description, toNullTS(k.ExpiresAt), k.Lifetime.Milliseconds(), !k.Disabled,
			pome.JoinKeyScopes(k.Scopes), pome.KeyMetaJSON(k.Meta), rl[0], rl[1], pome.JoinCIDRs(k.AllowedCIDRs),
			cr[0], cr[1], cr[2], cr[3], cr[4], teamID, keyID); err != nil {
			return err
		}
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeKeyUpdated, TeamID: teamID, KeyID: keyID, At: at}); err != nil {
			return err
		}
		if err := insertAudits(ctx, tx, ev, pome.CreditAlerts(teamID, keyID, before, k.Credits, at)); err != nil {
			return err
		}
		k, err = scanKey(tx.QueryRow(ctx, qKeyByID, teamID, keyID)) // as stored
		return err
	})
	if err != nil {
		return pome.Key{}, db.translate(ctx, "update key", err)
	}
	return k, nil
}
