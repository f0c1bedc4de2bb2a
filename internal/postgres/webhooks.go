package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// webhookEndpointColumns are what scanWebhookEndpoint reads, of
// webhook_endpoints e: the subscriptions as one comma-separated list.
const webhookEndpointColumns = `e.id, e.url, COALESCE(e.team_id, ''), e.secret, e.created_at, e.failing_since,
	(SELECT string_agg(s.event_type, ',') FROM webhook_subscriptions s WHERE s.endpoint_id = e.id)`

func scanWebhookEndpoint(row pgx.Row) (pome.WebhookEndpoint, error) {
	var e pome.WebhookEndpoint
	var failing *time.Time
	var events *string
	if err := row.Scan(&e.ID, &e.URL, &e.TeamID, &e.Secret, &e.CreatedAt, &failing, &events); err != nil {
		return pome.WebhookEndpoint{}, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	if failing != nil {
		e.FailingSince = failing.UTC()
	}
	if events != nil {
		e.Events = pome.SplitWebhookEvents(*events)
	}
	return e, nil
}

// CreateWebhookEndpoint stores e and its subscriptions and appends ev.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e pome.WebhookEndpoint, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if e.TeamID != "" {
			err := tx.QueryRow(ctx, `SELECT 1 FROM teams WHERE id = $1`, e.TeamID).Scan(new(int))
			if errors.Is(err, pgx.ErrNoRows) {
				return pome.ErrTeamNotFound
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (id, url, team_id, secret, created_at)
			VALUES ($1, $2, NULLIF($3, ''), $4, $5)`, e.ID, e.URL, e.TeamID, e.Secret, toTS(e.CreatedAt)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_subscriptions (endpoint_id, event_type)
			SELECT $1, unnest($2::text[])`, e.ID, e.Events); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "create webhook endpoint", err)
}

// WebhookEndpoints lists a team's endpoints, or every one.
func (db *DB) WebhookEndpoints(ctx context.Context, teamID string) ([]pome.WebhookEndpoint, error) {
	return queryAll(ctx, db, "webhook endpoints", func(row pgx.CollectableRow) (pome.WebhookEndpoint, error) {
		return scanWebhookEndpoint(row)
	}, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e
		WHERE $1 = '' OR e.team_id = $1 ORDER BY e.created_at, e.id`, teamID)
}

// WebhookEndpoint finds an endpoint.
func (db *DB) WebhookEndpoint(ctx context.Context, id string) (pome.WebhookEndpoint, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	e, err := scanWebhookEndpoint(db.pool.QueryRow(ctx, `SELECT `+webhookEndpointColumns+`
		FROM webhook_endpoints e WHERE e.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	ctx, cancel := bound(ctx, bulkTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pome.ErrWebhookNotFound
		}
		return insertAudit(ctx, tx, ev)
	})
	return db.translate(ctx, "delete webhook endpoint", err)
}

// WebhookAttempts lists an endpoint's attempts, newest first.
func (db *DB) WebhookAttempts(ctx context.Context, endpointID string, before int64, limit int) ([]pome.WebhookAttempt, error) {
	return queryAll(ctx, db, "webhook attempts", func(row pgx.CollectableRow) (pome.WebhookAttempt, error) {
		var a pome.WebhookAttempt
		var latency int64
		err := row.Scan(&a.Seq, &a.EndpointID, &a.EventID, &a.Type, &a.Attempt, &a.At, &a.Status,
			&latency, &a.Error, &a.Outcome)
		a.At, a.Latency = a.At.UTC(), time.Duration(latency)*time.Microsecond
		return a, err
	}, `SELECT seq, endpoint_id, event_id, event_type, attempt, at, status, latency_us, error, outcome
		FROM webhook_attempts WHERE endpoint_id = $1 AND ($2 = 0 OR seq < $2)
		ORDER BY seq DESC LIMIT $3`, endpointID, before, limit)
}

// ClaimWebhooks leases the endpoints due the longest. FOR NO KEY UPDATE
// SKIP LOCKED hands each to one of the nodes claiming at once (and does not
// block the transactions queueing messages, whose foreign key takes a key
// share lock on the endpoint); a node that claims after another committed
// finds the lease.
func (db *DB) ClaimWebhooks(ctx context.Context, node string, now, until time.Time, limit, perEndpoint int) ([]pome.WebhookBatch, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	// Read first: every node looks every second, and most of the time
	// nothing is due; an UPDATE then would be a write a second for nothing.
	var due bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_messages
		WHERE done_at IS NULL AND next_at <= $1)`, toTS(now)).Scan(&due); err != nil || !due {
		return nil, db.translate(ctx, "claim webhooks", err)
	}
	var batches []pome.WebhookBatch
	err := db.tx(ctx, func(tx pgx.Tx) error {
		batches = nil
		rows, err := tx.Query(ctx, `UPDATE webhook_endpoints SET lease_owner = $1, lease_until = $2
			WHERE id IN (SELECT e.id FROM webhook_endpoints e
				CROSS JOIN LATERAL (SELECT m.next_at FROM webhook_messages m
					WHERE m.endpoint_id = e.id AND m.done_at IS NULL ORDER BY m.seq LIMIT 1) h
				WHERE e.lease_until <= $3 AND h.next_at <= $3
				ORDER BY h.next_at, e.id LIMIT $4
				FOR NO KEY UPDATE OF e SKIP LOCKED)
			RETURNING id`, node, toTS(until), toTS(now), limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range ids {
			e, err := scanWebhookEndpoint(tx.QueryRow(ctx, `SELECT `+webhookEndpointColumns+`
				FROM webhook_endpoints e WHERE e.id = $1`, id))
			if err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT event_id, event_type, payload, created_at, attempts, next_at
				FROM webhook_messages WHERE endpoint_id = $1 AND done_at IS NULL ORDER BY seq LIMIT $2`, id, perEndpoint)
			if err != nil {
				return err
			}
			ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.WebhookMessage, error) {
				m := pome.WebhookMessage{EndpointID: id}
				err := row.Scan(&m.EventID, &m.Type, &m.Payload, &m.CreatedAt, &m.Attempts, &m.NextAt)
				m.CreatedAt, m.NextAt = m.CreatedAt.UTC(), m.NextAt.UTC()
				return m, err
			})
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

// RecordWebhookAttempt logs a and applies its outcome. An endpoint deleted
// meanwhile takes the attempt with it: nothing is written.
func (db *DB) RecordWebhookAttempt(ctx context.Context, a pome.WebhookAttempt, next time.Time) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (endpoint_id, event_id, event_type,
			attempt, at, status, latency_us, error, outcome)
			SELECT id, $2, $3, $4, $5, $6, $7, $8, $9 FROM webhook_endpoints WHERE id = $1`,
			a.EndpointID, a.EventID, a.Type, a.Attempt, toTS(a.At), a.Status, a.Latency.Microseconds(),
			a.Error, a.Outcome); err != nil {
			return err
		}
		ended, change := `done_at = $2`, a.At
		if a.Outcome == pome.WebhookRetrying {
			ended, change = `next_at = $2`, next
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_messages SET attempts = $1, `+ended+`
			WHERE endpoint_id = $3 AND event_id = $4`, a.Attempt, toTS(change), a.EndpointID, a.EventID); err != nil {
			return err
		}
		var err error
		switch a.Outcome {
		case pome.WebhookDelivered:
			_, err = tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = NULL
				WHERE id = $1 AND failing_since IS NOT NULL`, a.EndpointID)
		case pome.WebhookFailed:
			_, err = tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = $2
				WHERE id = $1 AND failing_since IS NULL`, a.EndpointID, toTS(a.At))
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
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	_, err := db.pool.Exec(ctx, `UPDATE webhook_endpoints SET lease_owner = '', lease_until = 'epoch'
		WHERE id = ANY($1) AND lease_owner = $2`, ids, node)
	return db.translate(ctx, "release webhooks", err)
}

// PruneWebhooks deletes ended messages and attempts older than before.
func (db *DB) PruneWebhooks(ctx context.Context, before time.Time) error {
	ctx, cancel := bound(ctx, bulkTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_messages WHERE done_at < $1`, toTS(before)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM webhook_attempts WHERE at < $1`, toTS(before))
		return err
	})
	return db.translate(ctx, "prune webhooks", err)
}

// insertWebhookMessages queues ev, if it is a webhook event, to every
// endpoint subscribed to it, inside the transaction that appends it. The
// messages take their seq under changeLock, so that an endpoint's
// messages commit in seq order and the deliverer, reading them in that
// order, never sends one before an earlier one commits; the lock is taken
// only when some endpoint is subscribed.
func insertWebhookMessages(ctx context.Context, tx pgx.Tx, ev pome.AuditEvent) error {
	if !pome.IsWebhookEvent(ev) {
		return nil
	}
	const subscribed = ` FROM webhook_subscriptions s JOIN webhook_endpoints e ON e.id = s.endpoint_id
		WHERE s.event_type = $1 AND (e.team_id IS NULL OR e.team_id = $2)`
	var any bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1`+subscribed+`)`, ev.Action, ev.TeamID).Scan(&any); err != nil || !any {
		return err
	}
	payload, err := pome.WebhookPayload(ev)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(changeLock)); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhook_messages (endpoint_id, event_id, event_type, payload, created_at, next_at)
		SELECT e.id, $3, $1, $4, $5, $5`+subscribed+` ORDER BY e.id`,
		ev.Action, ev.TeamID, ev.ID, payload, toTS(ev.At))
	return err
}
