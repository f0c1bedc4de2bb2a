package account

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// Page sizes of GET /api/audit.
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 200
)

// AuditQuery is what a reader of the audit log asks for.
type AuditQuery struct {
	Action string // empty: every action
	Target string // a target id (usr_..., key_..., tm_...); empty: every target
	Cursor string // from a previous page's NextCursor; empty: the newest
	Limit  int    // 0: DefaultAuditLimit
}

// AuditPage is one page of the audit log, newest first. NextCursor is empty
// on the last page.
type AuditPage struct {
	Events     []pome.AuditEvent
	NextCursor string
}

// cursorPrefix versions the opaque cursor, so its form can change.
const cursorPrefix = "a1."

// Audit returns a page of the audit log of m's team, for owners and admins.
func (s *Service) Audit(ctx context.Context, m pome.Member, q AuditQuery) (AuditPage, error) {
	if !m.Role.Can(pome.ActionReadAudit) {
		return AuditPage{}, pome.ErrInsufficientPermissions
	}
	limit, err := pome.PageLimit(q.Limit, DefaultAuditLimit, MaxAuditLimit)
	if err != nil {
		return AuditPage{}, err
	}
	// A filter no store can hold as text matches nothing stored, and must
	// not reach a store.
	if !pome.Storable(q.Action) {
		return AuditPage{}, pome.InvalidParameter("'action' is not an audit action")
	}
	if !pome.Storable(q.Target) {
		return AuditPage{}, pome.InvalidParameter("'target' is not an id")
	}
	f := pome.AuditFilter{TeamID: m.Team.ID, Action: q.Action, TargetID: q.Target, Limit: limit + 1}
	if q.Cursor != "" {
		before, ok := decodeCursor(q.Cursor)
		if !ok {
			return AuditPage{}, pome.InvalidParameter("'cursor' is not a cursor of this log")
		}
		f.Before = before
	}
	evs, err := s.store.AuditEvents(ctx, f)
	if err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Events: evs}
	if len(evs) > limit {
		page.Events = evs[:limit]
		page.NextCursor = encodeCursor(evs[limit-1].Seq)
	}
	return page, nil
}

// AuditEmails returns the emails of the users that events name, as actor
// or target, by id: current and former members of m's team alike, so that
// the audit log labels both the same way; a user no longer stored keeps
// their id. Only for those who may read the log.
func (s *Service) AuditEmails(ctx context.Context, m pome.Member, events []pome.AuditEvent) (map[string]string, error) {
	if !m.Role.Can(pome.ActionReadAudit) {
		return nil, pome.ErrInsufficientPermissions
	}
	emails := map[string]string{m.User.ID: m.User.Email}
	var ids []string
	for i := range events {
		if e := &events[i]; e.ActorType == pome.ActorUser {
			ids = append(ids, e.ActorID)
		}
		if e := &events[i]; e.TargetType == pome.TargetUser {
			ids = append(ids, e.TargetID)
		}
	}
	for _, id := range ids {
		if _, seen := emails[id]; !seen {
			u, err := s.store.UserByID(ctx, id)
			switch {
			case errors.Is(err, pome.ErrUserNotFound):
				emails[id] = id
			case err != nil:
				return nil, err
			default:
				emails[id] = u.Email
			}
		}
	}
	return emails, nil
}

func encodeCursor(seq int64) string {
	return pome.EncodeCursor(cursorPrefix, strconv.FormatInt(seq, 10))
}

func decodeCursor(c string) (int64, bool) {
	n, ok := pome.DecodeCursor(cursorPrefix, c)
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(n, 10, 64)
	if err != nil || seq < 1 {
		return 0, false
	}
	return seq, true
}

// rateLimitedEvery bounds the rate-limit events of one user and rule: a
// client hammering past its limit must not turn each refused request into
// a database write.
const rateLimitedEvery = time.Minute

// limitedLog remembers when a rate-limit event was last recorded per user
// and rule.
type limitedLog struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// RecordRateLimited records that a management API request of member m was
// refused by the rate limit named rule (e.g. "create_key"). It is the hook of
// the rate-limit middleware (httpserver.Config.RateLimited): at most one
// event per user and rule a minute, so that a client hammering past its
// limit does not turn each refused request into a database write. Recording
// is best effort: a failed write is retried at the next refusal, and the
// refusal stands either way.
func (s *Service) RecordRateLimited(ctx context.Context, m pome.Member, rule string) {
	now := s.now()
	k := m.User.ID + "\x00" + rule
	s.limited.mu.Lock()
	if s.limited.last == nil {
		s.limited.last = make(map[string]time.Time)
	}
	if t, ok := s.limited.last[k]; ok && now.Sub(t) < rateLimitedEvery {
		s.limited.mu.Unlock()
		return
	}
	if len(s.limited.last) > 10_000 { // forget what no longer suppresses anything
		for k, t := range s.limited.last {
			if now.Sub(t) >= rateLimitedEvery {
				delete(s.limited.last, k)
			}
		}
	}
	s.limited.last[k] = now
	s.limited.mu.Unlock()

	ev := pome.NewAuditEvent(ctx, pome.AuditRateLimited, now).ByUser(m.User.ID).
		On(m.Team.ID, pome.TargetUser, m.User.ID).With(map[string]any{"rule": rule})
	ev.Result = pome.ResultFailure
	if err := s.store.AppendAudit(ctx, ev); err != nil {
		s.limited.mu.Lock()
		delete(s.limited.last, k) // not recorded: the next refusal tries again
		s.limited.mu.Unlock()
	}
}
