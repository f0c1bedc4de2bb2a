package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

// keyColumns is the column list scanKey reads, digest excluded, from
// keysFrom. A key's last use, its address and its count are its folded ones
// (key_usage, none when it has no row) plus its rows in usage_pending
// (usage.go): three lookups in that table's primary key. A pending row's
// last_used is 0 when it holds refusals only, which never move the last
// use; the address is the pending row's (empty when unknown) only when that
// row's use is later than the folded one.
const keyColumns = `k.id, k.team_id, k.created_by, k.name, k.description, k.prefix, k.role,
	k.created_at, k.expires_at, k.revoked_at,
	coalesce((SELECT nullif(max(max(p.last_used), coalesce(ku.last_used, 0)), 0)
		FROM usage_pending p WHERE p.key_id = k.id), ku.last_used),
	coalesce((SELECT coalesce(p.last_used_ip, '') FROM usage_pending p
		WHERE p.key_id = k.id AND p.last_used > coalesce(ku.last_used, 0)
		ORDER BY p.last_used DESC LIMIT 1), ku.last_used_ip),
	coalesce(ku.usage_count, 0) + coalesce((SELECT sum(p.count) FROM usage_pending p WHERE p.key_id = k.id), 0),
	k.issued_to, k.lifetime_ms,
	k.test_mode, k.enabled, k.scopes, k.meta, k.rate_limit, k.rate_window_ms, k.allowed_cidrs,
	k.credits_remaining, k.credits_refill_interval, k.credits_refill_amount, k.credits_period,
	k.replaced_by, k.credits_base, k.canary`

// keysFrom is the FROM of keyColumns: a key with its folded usage.
const keysFrom = `api_keys k LEFT JOIN key_usage ku ON ku.key_id = k.id`

const (
	// qKeyByDigest is the verification query on a cache miss: one indexed
	// lookup on the unique digest plus three primary-key joins. The creator's
	// password hash is deliberately not read: verification has no use for it,
	// and the verifier caches what this returns. The creator's role is ''
	// once they have left the team, and for a service token, which is no
	// user (its email and creation time read as '' and 0).
	qKeyByDigest = `SELECT ` + keyColumns + `,
		t.slug, t.name, t.plan_tier, t.status, t.created_at, coalesce(t.external_id, ''),
		coalesce(u.email, ''), coalesce(u.created_at, 0), coalesce(m.role, '')
	FROM ` + keysFrom + `
	JOIN teams t ON t.id = k.team_id
	LEFT JOIN users u ON u.id = k.created_by
	LEFT JOIN memberships m ON m.team_id = k.team_id AND m.user_id = k.created_by
	WHERE k.digest = ?`

	qKeyByID = `SELECT ` + keyColumns + `, k.digest FROM ` + keysFrom + ` WHERE k.team_id = ? AND k.id = ?`
)

// keyScan holds the columns of keyColumns that need converting after Scan.
type keyScan struct {
	created, lifetime        int64
	expires, revoked, lastUs sql.NullInt64
	lastIP                   sql.NullString
	enabled                  bool
	scopes, meta, cidrs      string
	limit, window            sql.NullInt64
	credits                  creditsScan
}

func (s *keyScan) dest(k *pome.Key) []any {
	return []any{&k.ID, &k.TeamID, &k.CreatedBy, &k.Name, &k.Description, &k.Prefix, &k.Role,
		&s.created, &s.expires, &s.revoked, &s.lastUs, &s.lastIP, &k.UsageCount, &k.IssuedTo, &s.lifetime,
		&k.TestMode, &s.enabled, &s.scopes, &s.meta, &s.limit, &s.window, &s.cidrs,
		&s.credits.remaining, &s.credits.interval, &s.credits.amount, &s.credits.period, &k.ReplacedBy, &s.credits.base, &k.Canary}
}

func (s *keyScan) finish(k *pome.Key) error {
	k.CreatedAt = fromMS(s.created)
	k.ExpiresAt = fromNullMS(s.expires)
	k.RevokedAt = fromNullMS(s.revoked)
	k.LastUsed = fromNullMS(s.lastUs)
	var err error
	if k.LastUsedIP, err = pome.ParseUsageIP(s.lastIP.String); err != nil {
		return fmt.Errorf("key %s: last_used_ip: %w", k.ID, err)
	}
	k.Lifetime = time.Duration(s.lifetime) * time.Millisecond
	k.Disabled = !s.enabled
	k.Scopes = pome.SplitKeyScopes(s.scopes)
	if s.meta != "{}" {
		k.Meta = s.meta
	}
	if s.limit.Valid && s.window.Valid {
		k.RateLimit = &pome.RateLimit{Limit: int(s.limit.Int64), Window: time.Duration(s.window.Int64) * time.Millisecond}
	}
	k.Credits = s.credits.credits()
	// An address rule that cannot be read fails the read: dropping it
	// would open the key to every address.
	if k.AllowedCIDRs, err = pome.SplitCIDRs(s.cidrs); err != nil {
		return fmt.Errorf("key %s: allowed_cidrs: %w", k.ID, err)
	}
	return nil
}

// CreateKey stores a new key and its audit event.
func (db *DB) CreateKey(ctx context.Context, k pome.Key, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := insertKey(ctx, tx, k); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create key", err)
}

func insertKey(ctx context.Context, tx *sql.Tx, k pome.Key) error {
	_, err := tx.ExecContext(ctx, qInsertKey, keyRow(&k)...)
	return err
}

// KeyByDigest finds a key with its team and creator (without the creator's
// password hash), for verification.
func (db *DB) KeyByDigest(ctx context.Context, d pome.Digest) (pome.KeyOwner, error) {
	var o pome.KeyOwner
	var s keyScan
	var teamCreated, userCreated int64
	dest := append(s.dest(&o.Key),
		&o.Team.Slug, &o.Team.Name, &o.Team.PlanTier, &o.Team.Status, &teamCreated, &o.Team.ExternalID,
		&o.User.Email, &userCreated, &o.CreatorRole)
	err := db.stmts.keyByDigest.QueryRowContext(ctx, d[:]).Scan(dest...)
	if err == sql.ErrNoRows {
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
	o.Team.CreatedAt = fromMS(teamCreated)
	if !pome.IsServiceTokenID(o.Key.CreatedBy) {
		o.User.ID = o.Key.CreatedBy
		o.User.CreatedAt = fromMS(userCreated)
	}
	return o, nil
}

// KeyByID finds a key of one team.
func (db *DB) KeyByID(ctx context.Context, teamID, keyID string) (pome.Key, error) {
	k, err := scanKey(db.stmts.keyByID.QueryRowContext(ctx, teamID, keyID))
	if err == sql.ErrNoRows {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	if err != nil {
		return pome.Key{}, db.translate(ctx, "key by id", err)
	}
	return k, nil
}

// scanKey reads keyColumns followed by the digest.
func scanKey(row scanner) (pome.Key, error) {
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

// ListKeys lists a team's keys that match f, newest first, from after
// f.Before. Status is judged at f.Now with the same rule as
// pome.Key.Status. The page is a range of the index on (team_id,
// created_at, id) (or (team_id, created_by, created_at, id)), so it costs
// the same at any depth.
func (db *DB) ListKeys(ctx context.Context, f pome.KeyFilter) ([]pome.Key, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + keyColumns + `, k.digest FROM ` + keysFrom + ` WHERE `)
	args, err := keyWhere(&q, f)
	if err != nil {
		return nil, err
	}
	if f.Before != nil {
		q.WriteString(` AND (k.created_at, k.id) < (?, ?)`)
		args = append(args, toMS(f.Before.CreatedAt), f.Before.ID)
	}
	q.WriteString(` ORDER BY k.created_at DESC, k.id DESC`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, f.Limit)
	}
	return queryAll(ctx, db, "list keys", scanKey, q.String(), args...)
}

// CountKeys counts a team's keys that match f's creator and status.
func (db *DB) CountKeys(ctx context.Context, f pome.KeyFilter) (int, error) {
	var q strings.Builder
	q.WriteString(`SELECT count(*) FROM api_keys k WHERE `)
	args, err := keyWhere(&q, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := db.reader.QueryRowContext(ctx, q.String(), args...).Scan(&n); err != nil {
		return 0, db.translate(ctx, "count keys", err)
	}
	return n, nil
}

// keyWhere writes the conditions of f's team, creator, search and status
// to q and returns their arguments.
func keyWhere(q *strings.Builder, f pome.KeyFilter) ([]any, error) {
	q.WriteString(`k.team_id = ?`)
	args := []any{f.TeamID}
	if f.CreatedBy != "" {
		q.WriteString(` AND k.created_by = ?`)
		args = append(args, f.CreatedBy)
	}
	if f.Search != "" {
		// instr, not LIKE: the search needs no escaping.
		q.WriteString(` AND (instr(lower(k.name), lower(?)) > 0 OR instr(k.prefix, ?) = 1)`)
		args = append(args, f.Search, f.Search)
	}
	now := toMS(f.Now)
	switch f.Status {
	case "":
	case pome.KeyActive:
		q.WriteString(` AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?)`)
		args = append(args, now)
	case pome.KeyRevoked:
		q.WriteString(` AND k.revoked_at IS NOT NULL`)
	case pome.KeyExpired:
		q.WriteString(` AND k.revoked_at IS NULL AND k.expires_at <= ?`)
		args = append(args, now)
	default:
		return nil, pome.InvalidParameter("Unknown key status %q", f.Status)
	}
	return args, nil
}

// RevokeKey sets the key's revocation time unless already set, and logs a
// key_revoked change and the audit event only when this call revoked it:
// revoking twice keeps the first time and writes one change and one event.
func (db *DB) RevokeKey(ctx context.Context, teamID, keyID string, at time.Time, ev pome.AuditEvent) (pome.Key, error) {
	var k pome.Key
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE api_keys SET revoked_at = ? WHERE team_id = ? AND id = ? AND revoked_at IS NULL`,
			toMS(at), teamID, keyID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n > 0 {
			if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeKeyRevoked, TeamID: teamID, KeyID: keyID, At: at}); err != nil {
				return err
			}
			if err := insertAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		k, err = scanKey(tx.QueryRowContext(ctx, qKeyByID, teamID, keyID))
		if err == sql.ErrNoRows {
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
// key_updated change, if the old
// key is still unrevoked and its expiry still the one the caller read: the
// caller decided the new expiry from it (never later than it), and a
// concurrent roll or revocation since must not be overwritten.
func (db *DB) RollKey(ctx context.Context, r pome.KeyRoll, ev pome.AuditEvent) (pome.Key, error) {
	var old pome.Key
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET expires_at = ?, replaced_by = ?
			WHERE team_id = ? AND id = ? AND revoked_at IS NULL AND expires_at IS ?`,
			toMS(r.OldExpiresAt), r.New.ID, r.TeamID, r.OldKeyID, toNullMS(r.ExpectedExpiresAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		old, err = scanKey(tx.QueryRowContext(ctx, qKeyByID, r.TeamID, r.OldKeyID))
		switch {
		case err == sql.ErrNoRows:
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
	k, err := scanKey(db.reader.QueryRowContext(ctx,
		`SELECT `+keyColumns+`, k.digest FROM `+keysFrom+` WHERE k.id = ?`, keyID))
	if err == sql.ErrNoRows {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	if err != nil {
		return pome.Key{}, db.translate(ctx, "key by id", err)
	}
	return k, nil
}

// UpdateKey reads the key in the write transaction, which SQLite's one
// writer serializes with every other change: change sees the key as it is,
// and no concurrent change is lost.
func (db *DB) UpdateKey(ctx context.Context, teamID, keyID string, change func(*pome.Key) error, at time.Time, ev pome.AuditEvent) (pome.Key, error) {
	var k pome.Key
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = scanKey(tx.QueryRowContext(ctx, qKeyByID, teamID, keyID))
		if err == sql.ErrNoRows {
			return pome.ErrKeyNotFound
		}
		if err != nil {
			return err
		}
		before := k.Credits.Clone()
		if err := change(&k); err != nil {
			return err
		}
		args := append([]any{k.Name, k.Description, toNullMS(k.ExpiresAt), k.Lifetime.Milliseconds(),
			!k.Disabled, pome.JoinKeyScopes(k.Scopes), pome.KeyMetaJSON(k.Meta)}, rateLimitRow(k.RateLimit)...)
		args = append(append(args, pome.JoinCIDRs(k.AllowedCIDRs)), creditsRow(k.Credits)...)
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET name = ?, description = ?, expires_at = ?,
			lifetime_ms = ?, enabled = ?, scopes = ?, meta = ?, rate_limit = ?, rate_window_ms = ?, allowed_cidrs = ?,
			`+creditsColumns+` WHERE team_id = ? AND id = ?`, append(args, teamID, keyID)...); err != nil {
			return err
		}
		if err := appendChange(ctx, tx, pome.Change{Kind: pome.ChangeKeyUpdated, TeamID: teamID, KeyID: keyID, At: at}); err != nil {
			return err
		}
		if err := insertAudits(ctx, tx, ev, pome.CreditAlerts(teamID, keyID, before, k.Credits, at)); err != nil {
			return err
		}
		k, err = scanKey(tx.QueryRowContext(ctx, qKeyByID, teamID, keyID)) // as stored
		return err
	})
	if err != nil {
		return pome.Key{}, db.translate(ctx, "update key", err)
	}
	return k, nil
}
