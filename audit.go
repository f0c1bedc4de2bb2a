package pome

import (
	"context"
	"time"
)

// Audit actions: what an AuditEvent records. The list is the issue's
// "events at least"; docs/api.md lists each with its actor and target.
const (
	AuditSignup          = "user.signup"
	AuditLogin           = "auth.login" // success, or failure with details.reason
	AuditLogout          = "auth.logout"
	AuditSessionEnded    = "auth.session_ended" // a user ended another session of theirs
	AuditPasswordChanged = "user.password_changed"
	AuditPasswordReset   = "user.password_reset" // a reset link was used
	AuditResetIssued     = "user.password_reset_issued"
	AuditKeyCreated      = "key.created"
	AuditKeyRevoked      = "key.revoked"
	AuditKeyRolled       = "key.rolled"
	AuditKeyUpdated      = "key.updated" // details.fields names what changed
	AuditKeyExpired      = "key.expired" // first refused use of an expired key
	AuditKeyLeaked       = "key.leaked"  // revoked on a leak report: details.source, details.url
	AuditKeyCanaryUsed   = "key.canary_used"
	// Credits falling to a threshold, at a settle, a change or a roll
	// (CreditAlerts): details.remaining, and for credits.low
	// details.threshold (10 % of Credits.Base).
	AuditCreditsLow        = "credits.low"
	AuditCreditsExhausted  = "credits.exhausted"
	AuditMemberAdded       = "member.added"
	AuditMemberRoleChanged = "member.role_changed"
	AuditMemberRemoved     = "member.removed"
	AuditTeamCreated       = "team.created"
	AuditTeamBanned        = "team.banned"
	AuditTeamUnbanned      = "team.unbanned"
	AuditTeamPlanChanged   = "team.plan_changed"
	AuditTeamRenamed       = "team.renamed"
	AuditRateLimited       = "rate_limit.exceeded"
	AuditPortalCreated     = "portal.session_created" // a platform made a portal link (POST /v1/portal/sessions)

	// Invitations: member.added follows an accepted one, with
	// details.invitation_id.
	AuditMemberInvited     = "member.invited"
	AuditInvitationRevoked = "invitation.revoked"
)

// Who did it: actor types of an AuditEvent.
const (
	ActorUser      = "user"
	ActorKey       = "key"
	ActorSystem    = "system"        // the operator, through `pome admin`, or Pome itself (CreditAlerts)
	ActorToken     = "service_token" // a platform's backend, through the platform API
	ActorAnonymous = "anonymous"     // nobody known: a login with an unknown email
)

// Target types of an AuditEvent.
const (
	TargetUser = "user"
	TargetKey  = "key"
	TargetTeam = "team"
	// TargetInvitation is a pending invitation (inv_...), whose email the
	// event's details name.
	TargetInvitation = "invitation"
)

// Results of an AuditEvent.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// AuditEvent is one entry of the append-only audit log. It never holds a
// secret: no plaintext key, password or session token, nor their digests.
type AuditEvent struct {
	Seq        int64  // set by the store: the log's order, newest highest
	ID         string // evt_ + 16 base62
	At         time.Time
	TeamID     string // empty for events about a user only (login, logout)
	ActorType  string // ActorUser, ActorKey, ActorToken, ActorSystem, ActorAnonymous
	ActorID    string // user, key or service token id; empty for system and anonymous
	Action     string
	TargetType string // TargetUser, TargetKey, TargetTeam, or empty
	TargetID   string
	Result     string // ResultSuccess or ResultFailure
	RequestID  string
	IP         string
	UserAgent  string
	// Details are small facts about the change (old and new role, revoked
	// key ids, plan), stored as a JSON object.
	Details map[string]any
}

// NewAuditEvent starts an event of action at time at, successful, with the
// request metadata the context carries, cleaned (CleanText): a client sends
// what it likes, and a store must hold it.
func NewAuditEvent(ctx context.Context, action string, at time.Time) AuditEvent {
	ri := RequestInfoFrom(ctx).Cleaned()
	return AuditEvent{
		ID:        NewID("evt_"),
		At:        at.UTC(),
		Action:    action,
		Result:    ResultSuccess,
		RequestID: ri.RequestID,
		IP:        ri.IP,
		UserAgent: ri.UserAgent,
	}
}

// Cleaned returns ri as an audit event or a session stores it: each string
// cleaned (CleanText) and cut to its size below.
func (ri RequestInfo) Cleaned() RequestInfo {
	return RequestInfo{
		RequestID: CleanText(ri.RequestID, maxRequestMeta),
		IP:        CleanText(ri.IP, maxRequestMeta),
		UserAgent: CleanText(ri.UserAgent, maxUserAgent),
	}
}

// How much of the request's metadata, and of one string of its details, an
// event keeps, in bytes. Nothing else bounds a user agent; a request id is
// at most 64 characters and an address shorter, once the HTTP layer has
// checked them.
const (
	maxUserAgent   = 256
	maxRequestMeta = 64
	maxDetail      = 1024
)

// ByUser sets the actor to a user and returns e.
func (e AuditEvent) ByUser(userID string) AuditEvent {
	e.ActorType, e.ActorID = ActorUser, userID
	return e
}

// ByToken sets the actor to a service token and returns e.
func (e AuditEvent) ByToken(tokenID string) AuditEvent {
	e.ActorType, e.ActorID = ActorToken, tokenID
	return e
}

// On sets the team and target and returns e.
func (e AuditEvent) On(teamID, targetType, targetID string) AuditEvent {
	e.TeamID, e.TargetType, e.TargetID = teamID, targetType, targetID
	return e
}

// With sets details and returns e. Their strings are cleaned (CleanText):
// a name or a slug may come from a request.
func (e AuditEvent) With(details map[string]any) AuditEvent {
	for k, v := range details {
		if s, ok := v.(string); ok {
			details[k] = CleanText(s, maxDetail)
		}
	}
	e.Details = details
	return e
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	TeamID   string // one team's log; empty: the events about no team (logins, logouts)
	Action   string // empty: every action
	TargetID string // empty: every target
	Before   int64  // only events with Seq < Before; 0: from the newest
	Limit    int
}

// RequestInfo is what the audit log records of the request behind a change.
type RequestInfo struct {
	RequestID string
	IP        string
	UserAgent string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying ri; the HTTP layer sets it once per request.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// IsRequestInfoKey reports whether key is the context key RequestInfo travels
// under. A context of the HTTP layer answers it itself (with a RequestInfo),
// so that the public API's hot path copies no request to carry it.
func IsRequestInfoKey(key any) bool {
	_, ok := key.(requestInfoKey)
	return ok
}

// RequestInfoFrom returns the request metadata of ctx, zero outside a request.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri
}
