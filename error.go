package pome

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it. The HTTP
// layer answers each kind with one status and error type (one table, in
// internal/httpapi); errors of the HTTP layer alone (a body too large, a
// method not allowed) are declared there.
type Kind uint8

const (
	Internal Kind = iota // anything not classified: a bug or a failure the caller cannot fix
	Invalid
	Unauthenticated
	Forbidden
	NotFound
	Conflict
	RateLimited
	Unavailable
)

// Error is the one error type of Pome. Message is safe to show the caller;
// Err is the cause, for operators only, and is never serialized.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error by Code, so errors.Is(err, pome.ErrKeyRevoked)
// holds for any error carrying that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an error of kind with a caller-safe message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithCause returns a copy of e whose operator-only cause is err.
func (e *Error) WithCause(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// AsError returns err as an *Error. Anything else reads as Internal, with
// "Internal error" as its message and err as its cause.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "internal_error", Message: "Internal error", Err: err}
}

// InvalidParameter is a 400 invalid_parameter error with the given message.
func InvalidParameter(format string, args ...any) *Error {
	return Errorf(Invalid, "invalid_parameter", format, args...)
}

// MissingParameter is the 400 error for an absent required parameter.
func MissingParameter(name string) *Error {
	return Errorf(Invalid, "missing_required_parameter", "Missing required parameter: '%s'", name)
}

// The fixed errors of the API (docs/api.md). Compare with errors.Is.
var (
	ErrMissingAPIKey           = &Error{Kind: Unauthenticated, Code: "missing_api_key", Message: "No API key provided"}
	ErrInvalidAPIKey           = &Error{Kind: Unauthenticated, Code: "invalid_api_key", Message: "Invalid API key"}
	ErrConflictingCredentials  = &Error{Kind: Invalid, Code: "conflicting_credentials", Message: "Conflicting credentials: give the API key once, in X-API-KEY or Authorization"}
	ErrKeyRevoked              = &Error{Kind: Forbidden, Code: "key_revoked", Message: "API key has been revoked"}
	ErrKeyExpired              = &Error{Kind: Forbidden, Code: "key_expired", Message: "API key has expired"}
	ErrTeamBanned              = &Error{Kind: Forbidden, Code: "team_banned", Message: "The team of this API key is banned"}
	ErrInsufficientPermissions = &Error{Kind: Forbidden, Code: "insufficient_permissions", Message: "The role of this credential may not do this"}
	ErrRateLimited             = &Error{Kind: RateLimited, Code: "rate_limit_exceeded", Message: "Rate limit exceeded"}
	// ErrQuotaExceeded refuses a key whose credits are spent (Key.Credits).
	ErrQuotaExceeded = &Error{Kind: RateLimited, Code: "quota_exceeded", Message: "The API key has no credits left"}

	ErrUnauthorized       = &Error{Kind: Unauthenticated, Code: "unauthorized", Message: "Authentication required"}
	ErrInvalidCredentials = &Error{Kind: Unauthenticated, Code: "invalid_credentials", Message: "Invalid email or password"}
	ErrSignupClosed       = &Error{Kind: Forbidden, Code: "signup_closed", Message: "Signup is closed on this server"}
	ErrEmailTaken         = &Error{Kind: Conflict, Code: "email_taken", Message: "An account with this email already exists"}
	ErrSlugTaken          = &Error{Kind: Conflict, Code: "slug_taken", Message: "A team with this slug already exists"}
	ErrExternalIDTaken    = &Error{Kind: Conflict, Code: "team_exists", Message: "A team with this external_id already exists"}
	ErrTeamExists         = &Error{Kind: Conflict, Code: "team_exists", Message: "A team with this slug already exists"}
	// ErrWrongPassword refuses a password change whose current password is
	// not the user's: not a 401, which would read as "sign in again".
	ErrWrongPassword = &Error{Kind: Forbidden, Code: "wrong_password", Message: "The current password is not correct"}
	// ErrInvalidResetToken answers a reset token that is unknown, used,
	// replaced by a newer one or expired, alike.
	ErrInvalidResetToken = &Error{Kind: Invalid, Code: "invalid_reset_token", Message: "This password reset link is not valid: it is unknown, used, replaced by a newer one or expired. Ask the operator for a new one"}

	// ErrNoPassword is the answer to a password change of a user who signs
	// in through their platform's portal links only and has no password.
	ErrNoPassword = &Error{Kind: Conflict, Code: "no_password", Message: "This account has no password: it signs in through its platform. An operator can give it one (pome admin user reset-password)"}
	// ErrPortalNotConfigured answers POST /v1/portal/sessions on a server
	// without --public-url, the base of the links it hands out.
	ErrPortalNotConfigured = &Error{Kind: Conflict, Code: "portal_not_configured", Message: "Portal sessions need the server's public URL: start pome serve with --public-url"}
	// ErrPortalLinkInvalid is the answer to a portal link that is unknown,
	// used or expired, one for each: the page of GET /portal/{token} says
	// it with 410 Gone.
	ErrPortalLinkInvalid = &Error{Kind: NotFound, Code: "portal_link_invalid", Message: "This link has been used or has expired: each link works once, for 5 minutes. Go back to the site that sent you here and open the dashboard from there again"}
	// ErrPortalTeamBanned refuses a portal link into a banned team.
	ErrPortalTeamBanned = &Error{Kind: Forbidden, Code: "team_banned", Message: "The team is banned: its users cannot be sent to the dashboard"}
	// Invitations (docs/api.md, "Invitations"). ErrInvitationInvalid
	// answers a token that is unknown, used, revoked, replaced by a newer
	// one or expired, alike; ErrInvitationEmailMismatch a user of another
	// email than the invited one.
	ErrInvitationNotFound      = &Error{Kind: NotFound, Code: "invitation_not_found", Message: "Invitation not found"}
	ErrInvitationInvalid       = &Error{Kind: NotFound, Code: "invitation_not_found", Message: "This invitation link is not valid: it is unknown, used, revoked, replaced by a newer one or expired. Ask for a new one"}
	ErrInvitationEmailMismatch = &Error{Kind: Forbidden, Code: "invitation_email_mismatch", Message: "This invitation is for another email address: sign in or sign up with the invited address"}

	ErrWebhookNotFound = &Error{Kind: NotFound, Code: "webhook_not_found", Message: "Webhook endpoint not found"}
	// ErrTooManyWebhooks refuses an endpoint past MaxWebhookEndpoints: each
	// endpoint multiplies the deliveries of every event.
	ErrTooManyWebhooks = &Error{Kind: Conflict, Code: "too_many_webhooks", Message: "There are 20 webhook endpoints already (the most a team, or the platform, may have): delete one first"}

	ErrKeyNotFound  = &Error{Kind: NotFound, Code: "key_not_found", Message: "API key not found"}
	ErrTeamNotFound = &Error{Kind: NotFound, Code: "team_not_found", Message: "Team not found"}
	ErrUserNotFound = &Error{Kind: NotFound, Code: "user_not_found", Message: "User not found"}
	ErrNotFound     = &Error{Kind: NotFound, Code: "not_found", Message: "Not found"}

	ErrSessionNotFound  = &Error{Kind: NotFound, Code: "session_not_found", Message: "Session not found"}
	ErrMemberNotFound   = &Error{Kind: NotFound, Code: "member_not_found", Message: "Member not found"}
	ErrAlreadyMember    = &Error{Kind: Conflict, Code: "already_member", Message: "This user is already a member of the team"}
	ErrLastOwner        = &Error{Kind: Conflict, Code: "last_owner", Message: "A team must keep at least one owner"}
	ErrKeyNotActive     = &Error{Kind: Conflict, Code: "key_not_active", Message: "Only an active API key can be rolled"}
	ErrConcurrentChange = &Error{Kind: Conflict, Code: "concurrent_change", Message: "The resource changed while this request ran; retry"}

	ErrUnavailable = &Error{Kind: Unavailable, Code: "service_unavailable", Message: "Service temporarily unavailable"}
	// The two reasons a database that answers is not ready (GET /readyz
	// only: a request that fails for either is ErrUnavailable).
	ErrDatabaseDamaged = &Error{Kind: Unavailable, Code: "database_damaged", Message: "The database is damaged: restore it from a backup (pome admin backup makes one)"}
	ErrDiskFull        = &Error{Kind: Unavailable, Code: "disk_full", Message: "The disk is full: the database cannot be written"}
)
