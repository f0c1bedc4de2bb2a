package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
)

// errIncompleteEvent is a programming error: every change is recorded by
// an event that at least names itself.
var errIncompleteEvent = errors.New("audit event without id, action, actor type or result")

// insertAudit appends ev inside the caller's transaction, so that the change
// and its record commit together or not at all, and queues it to the
// webhook endpoints subscribed to it (the outbox): an event is sent if and
// only if its change committed. An AuditKeyExpired event of a key that has
// one already is dropped (the partial unique index).
func insertAudit(ctx context.Context, tx pgx.Tx, ev pome.AuditEvent) error {
	if ev.ID == "" || ev.Action == "" || ev.ActorType == "" || ev.Result == "" {
		return errIncompleteEvent
	}
	details := []byte("{}")
	if len(ev.Details) > 0 {
		var err error
		if details, err = json.Marshal(ev.Details); err != nil {
			return fmt.Errorf("audit details: %w", err)
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO audit_events
		(id, at, team_id, actor_type, actor_id, action, target_type, target_id, result,
		 request_id, ip, user_agent, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)
		ON CONFLICT DO NOTHING`,
		ev.ID, toTS(ev.At), ev.TeamID, ev.ActorType, ev.ActorID, ev.Action, ev.TargetType, ev.TargetID,
		ev.Result, ev.RequestID, ev.IP, ev.UserAgent, string(details))
	// A dropped event (a second key.expired) is no event to send either.
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	return insertWebhookMessages(ctx, tx, ev)
}

// insertAudits appends ev and then the events of the thresholds of credits
// its change crossed (pome.CreditAlerts).
func insertAudits(ctx context.Context, tx pgx.Tx, ev pome.AuditEvent, alerts []pome.AuditEvent) error {
	for _, e := range append([]pome.AuditEvent{ev}, alerts...) {
		if err := insertAudit(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// AppendAudit appends an event that records no change of state.
func (db *DB) AppendAudit(ctx context.Context, ev pome.AuditEvent) error {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	err := db.tx(ctx, func(tx pgx.Tx) error { return insertAudit(ctx, tx, ev) })
	return db.translate(ctx, "append audit", err)
}

// AuditEvents returns one team's events that match f, newest first.
func (db *DB) AuditEvents(ctx context.Context, f pome.AuditFilter) ([]pome.AuditEvent, error) {
	ctx, cancel := bound(ctx, callTimeout)
	defer cancel()
	if f.Limit <= 0 {
		return nil, nil
	}
	var q strings.Builder
	args := []any{f.TeamID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q.WriteString(`SELECT seq, id, at, team_id, actor_type, actor_id, action, target_type, target_id,
		result, request_id, ip, user_agent, details::text FROM audit_events WHERE team_id = $1`)
	if f.Action != "" {
		q.WriteString(` AND action = ` + arg(f.Action))
	}
	if f.TargetID != "" {
		q.WriteString(` AND target_id = ` + arg(f.TargetID))
	}
	if f.Before > 0 {
		q.WriteString(` AND seq < ` + arg(f.Before))
	}
	q.WriteString(` ORDER BY seq DESC LIMIT ` + arg(f.Limit))

	rows, err := db.pool.Query(ctx, q.String(), args...)
	if err != nil {
		return nil, db.translate(ctx, "audit events", err)
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pome.AuditEvent, error) {
		var ev pome.AuditEvent
		var details string
		if err := row.Scan(&ev.Seq, &ev.ID, &ev.At, &ev.TeamID, &ev.ActorType, &ev.ActorID, &ev.Action,
			&ev.TargetType, &ev.TargetID, &ev.Result, &ev.RequestID, &ev.IP, &ev.UserAgent, &details); err != nil {
			return ev, err
		}
		ev.At = ev.At.UTC()
		if details != "{}" {
			if err := json.Unmarshal([]byte(details), &ev.Details); err != nil {
				return ev, err
			}
		}
		return ev, nil
	})
	if err != nil {
		return nil, db.translate(ctx, "audit events", err)
	}
	return evs, nil
}
