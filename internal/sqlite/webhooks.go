package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pomehq/pome"
)

// webhookEndpointColumns are what scanWebhookEndpoint reads, of
// webhook_endpoints e: the subscriptions as one comma-separated list.
const webhookEndpointColumns = `e.id, e.url, COALESCE(e.team_id, ''), e.secret, e.created_at, e.failing_since,
	(SELECT group_concat(s.event_type, ',') FROM webhook_subscriptions s WHERE s.endpoint_id = e.id)`

func scanWebhookEndpoint(row scanner) (pome.WebhookEndpoint, error) {
	var e pome.WebhookEndpoint
	var created int64
	var failing sql.NullInt64
	var events sql.NullString
	if err := row.Scan(&e.ID, &e.URL, &e.TeamID, &e.Secret, &created, &failing, &events); err != nil {
		return pome.WebhookEndpoint{}, err
	}
	e.CreatedAt = fromMS(created)
	if failing.Valid {
		e.FailingSince = fromMS(failing.Int64)
	}
	e.Events = pome.SplitWebhookEvents(events.String)
	return e, nil
}

// CreateWebhookEndpoint stores e and its subscriptions and appends ev.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e pome.WebhookEndpoint, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if e.TeamID != "" {
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM teams WHERE id = ?`, e.TeamID).Scan(new(int))
			if err == sql.ErrNoRows {
				return pome.ErrTeamNotFound
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, url, team_id, secret, created_at)
			VALUES (?, ?, ?, ?, ?)`, e.ID, e.URL, nullText(e.TeamID), e.Secret, toMS(e.CreatedAt)); err != nil {
			return err
		}
		for _, typ := range e.Events {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (endpoint_id, event_type)
				VALUES (?, ?)`, e.ID, typ); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create webhook endpoint", err)
}

// WebhookEndpoints lists a team's endpoints, or every one.
func (db *DB) WebhookEndpoints(ctx context.Context, teamID string) ([]pome.WebhookEndpoint, error) {
	return queryAll(ctx, db, "webhook endpoints", scanWebhookEndpoint, `SELECT `+webhookEndpointColumns+`
		FROM webhook_endpoints e WHERE ?1 = '' OR e.team_id = ?1 ORDER BY e.created_at, e.id`, teamID)
}

// WebhookEndpoint finds an endpoint.
func (db *DB) WebhookEndpoint(ctx context.Context, id string) (pome.WebhookEndpoint, error) {
	e, err := scanWebhookEndpoint(db.reader.QueryRowContext(ctx, `SELECT `+webhookEndpointColumns+`
		FROM webhook_endpoints e WHERE e.id = ?`, id))
	if err == sql.ErrNoRows {
		return pome.WebhookEndpoint{}, pome.ErrWebhookNotFound
	}
	if err != nil {
		return pome.WebhookEndpoint{}, db.translate(ctx, "webhook endpoint", err)
	}
	return e, nil
}

// DeleteWebhookEndpoint removes an endpoint (its subscriptions, messages
// and attempts go with it: ON DELETE CASCADE) and appends ev.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, id string, ev pome.AuditEvent) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, pome.ErrWebhookNotFound)
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "delete webhook endpoint", err)
}

func scanWebhookAttempt(row scanner) (pome.WebhookAttempt, error) {
	var a pome.WebhookAttempt
	var at, latency int64
	if err := row.Scan(&a.Seq, &a.EndpointID, &a.EventID, &a.Type, &a.Attempt, &at, &a.Status,
		&latency, &a.Error, &a.Outcome); err != nil {
		return pome.WebhookAttempt{}, err
	}
	a.At, a.Latency = fromMS(at), time.Duration(latency)*time.Microsecond
	return a, nil
}

// WebhookAttempts lists an endpoint's attempts, newest first.
func (db *DB) WebhookAttempts(ctx context.Context, endpointID string, before int64, limit int) ([]pome.WebhookAttempt, error) {
	return queryAll(ctx, db, "webhook attempts", scanWebhookAttempt, `SELECT seq, endpoint_id, event_id,
		event_type, attempt, at, status, latency_us, error, outcome FROM webhook_attempts
		WHERE endpoint_id = ?1 AND (?2 = 0 OR seq < ?2) ORDER BY seq DESC LIMIT ?3`, endpointID, before, limit)
}

// ClaimWebhooks leases the endpoints due the longest, in one write
// transaction: SQLite's one writer serializes claims.
func (db *DB) ClaimWebhooks(ctx context.Context, node string, now, until time.Time, limit, perEndpoint int) ([]pome.WebhookBatch, error) {
	// Read first: every node looks every second, and most of the time
	// nothing is due; a write transaction then would be one a second for
	// nothing.
	var due int
	err := db.reader.QueryRowContext(ctx, `SELECT 1 FROM webhook_messages WHERE done_at IS NULL AND next_at <= ? LIMIT 1`,
		toMS(now)).Scan(&due)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, db.translate(ctx, "claim webhooks", err)
	}
	var batches []pome.WebhookBatch
	err = db.tx(ctx, func(tx *sql.Tx) error {
		ids, err := txStrings(ctx, tx, `UPDATE webhook_endpoints SET lease_owner = ?1, lease_until = ?2
			WHERE id IN (SELECT id FROM (SELECT e.id, (SELECT m.next_at FROM webhook_messages m
				WHERE m.endpoint_id = e.id AND m.done_at IS NULL ORDER BY m.seq LIMIT 1) AS due
				FROM webhook_endpoints e WHERE e.lease_until <= ?3)
				WHERE due <= ?3 ORDER BY due, id LIMIT ?4)
			RETURNING id`, node, toMS(until), toMS(now), limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			e, err := scanWebhookEndpoint(tx.QueryRowContext(ctx, `SELECT `+webhookEndpointColumns+`
				FROM webhook_endpoints e WHERE e.id = ?`, id))
			if err != nil {
				return err
			}
			ms, err := pendingMessages(ctx, tx, id, perEndpoint)
			if err != nil {
				return err
			}
			batches = append(batches, pome.WebhookBatch{Endpoint: e, Messages: ms})
		}
		return nil
	})
	if err != nil {
		return nil, db.translate(ctx, "claim webhooks", err)
	}
	return batches, nil
}

// pendingMessages reads an endpoint's undelivered messages, oldest first.
func pendingMessages(ctx context.Context, tx *sql.Tx, endpointID string, limit int) ([]pome.WebhookMessage, error) {
	rows, err := tx.QueryContext(ctx, `SELECT event_id, event_type, payload, created_at, attempts, next_at
		FROM webhook_messages WHERE endpoint_id = ? AND done_at IS NULL ORDER BY seq LIMIT ?`, endpointID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []pome.WebhookMessage
	for rows.Next() {
		m := pome.WebhookMessage{EndpointID: endpointID}
		var created, next int64
		if err := rows.Scan(&m.EventID, &m.Type, &m.Payload, &created, &m.Attempts, &next); err != nil {
			return nil, err
		}
		m.CreatedAt, m.NextAt = fromMS(created), fromMS(next)
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// RecordWebhookAttempt logs a and applies its outcome. An endpoint deleted
// meanwhile takes the attempt with it: nothing is written.
func (db *DB) RecordWebhookAttempt(ctx context.Context, a pome.WebhookAttempt, next time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (endpoint_id, event_id, event_type,
			attempt, at, status, latency_us, error, outcome)
			SELECT id, ?, ?, ?, ?, ?, ?, ?, ? FROM webhook_endpoints WHERE id = ?`,
			a.EventID, a.Type, a.Attempt, toMS(a.At), a.Status, a.Latency.Microseconds(), a.Error, a.Outcome,
			a.EndpointID); err != nil {
			return err
		}
		ended, change := `done_at = ?`, a.At
		if a.Outcome == pome.WebhookRetrying {
			ended, change = `next_at = ?`, next
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_messages SET attempts = ?, `+ended+`
			WHERE endpoint_id = ? AND event_id = ?`, a.Attempt, toMS(change), a.EndpointID, a.EventID); err != nil {
			return err
		}
		var err error
		switch a.Outcome {
		case pome.WebhookDelivered:
			_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?`, a.EndpointID)
		case pome.WebhookFailed:
			_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?)
				WHERE id = ?`, toMS(a.At), a.EndpointID)
		}
		return err
	})
	return db.translate(ctx, "record webhook attempt", err)
}

// ReleaseWebhooks ends node's leases on ids.
func (db *DB) ReleaseWebhooks(ctx context.Context, node string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET lease_owner = '', lease_until = 0
				WHERE id = ? AND lease_owner = ?`, id, node); err != nil {
				return err
			}
		}
		return nil
	})
	return db.translate(ctx, "release webhooks", err)
}

// PruneWebhooks deletes ended messages and attempts older than before.
func (db *DB) PruneWebhooks(ctx context.Context, before time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_messages WHERE done_at < ?`, toMS(before)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE at < ?`, toMS(before))
		return err
	})
	return db.translate(ctx, "prune webhooks", err)
}

// insertWebhookMessages queues ev, if it is a webhook event, to every
// endpoint subscribed to it, inside the transaction that appends it.
func insertWebhookMessages(ctx context.Context, tx *sql.Tx, ev pome.AuditEvent) error {
	if !pome.IsWebhookEvent(ev) {
		return nil
	}
	payload, err := pome.WebhookPayload(ev)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO webhook_messages (endpoint_id, event_id, event_type, payload,
		created_at, next_at)
		SELECT e.id, ?1, ?2, ?3, ?4, ?4 FROM webhook_subscriptions s JOIN webhook_endpoints e ON e.id = s.endpoint_id
		WHERE s.event_type = ?2 AND (e.team_id IS NULL OR e.team_id = ?5) ORDER BY e.id`,
		ev.ID, ev.Action, payload, toMS(ev.At), ev.TeamID)
	return err
}
