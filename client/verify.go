package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/pomehq/pome"
)

// Codes of POST /v1/keys/verify: VALID, or why the key may not be used.
const (
	VerifyValid                   = "VALID"
	VerifyInvalid                 = "INVALID"
	VerifyRevoked                 = "REVOKED"
	VerifyExpired                 = "EXPIRED"
	VerifyTeamBanned              = "TEAM_BANNED"
	VerifyDisabled                = "DISABLED"
	VerifyIPNotAllowed            = "IP_NOT_ALLOWED"
	VerifyInsufficientPermissions = "INSUFFICIENT_PERMISSIONS"
	VerifyInsufficientScope       = "INSUFFICIENT_SCOPE"
	VerifyRateLimited             = "RATE_LIMITED"
	VerifyQuotaExceeded           = "QUOTA_EXCEEDED"
)

// verifyCodes pairs each refusal code with the error the public API answers
// for the same key: the one table both ways (VerifyCodeOf, VerifyErrorOf).
var verifyCodes = []struct {
	code string
	err  *pome.Error
}{
	{VerifyInvalid, pome.ErrInvalidAPIKey},
	{VerifyInvalid, pome.ErrMissingAPIKey},
	{VerifyRevoked, pome.ErrKeyRevoked},
	{VerifyExpired, pome.ErrKeyExpired},
	{VerifyTeamBanned, pome.ErrTeamBanned},
	{VerifyDisabled, pome.ErrKeyDisabled},
	{VerifyIPNotAllowed, pome.ErrIPNotAllowed},
	{VerifyInsufficientPermissions, pome.ErrInsufficientPermissions},
	{VerifyInsufficientScope, pome.ErrKeyInsufficientScope},
	{VerifyRateLimited, pome.ErrRateLimited},
	{VerifyQuotaExceeded, pome.ErrQuotaExceeded},
}

// VerifyCodeOf is the verify code of a refusal err of the public API; ok is
// false for an error that is no answer about the key (the store or the
// rate-limit counters unreachable).
func VerifyCodeOf(err error) (code string, ok bool) {
	e := pome.AsError(err)
	for _, c := range verifyCodes {
		if c.err.Code == e.Code {
			return c.code, true
		}
	}
	return "", false
}

// VerifyErrorOf is the error the public API answers for a refusal code; an
// unknown code (from a newer server) reads as pome.ErrInvalidAPIKey.
func VerifyErrorOf(code string) *pome.Error {
	for _, c := range verifyCodes {
		if c.code == code {
			return c.err
		}
	}
	return pome.ErrInvalidAPIKey
}

// VerifyParams is a verify call: Key is the customer's key; Permission is
// "read" (the default) or "write"; Scopes are what the call requires of the
// key's scopes, all of them; IP is the client's address as the platform saw
// it, which a key with allowed_cidrs must be verified with. Cost is what a
// valid call spends of a key's credits: nil is 1; 0 spends nothing (and
// still needs one left).
type VerifyParams struct {
	Key        string   `json:"key"`
	Permission string   `json:"permission,omitempty"`
	Scopes     []string `json:"scopes,omitempty"`
	IP         string   `json:"ip,omitempty"`
	Cost       *int64   `json:"cost,omitempty"`
}

// Verification is the answer of POST /v1/keys/verify. Key and Team are set
// when the key matched (VALID, DISABLED, IP_NOT_ALLOWED,
// INSUFFICIENT_PERMISSIONS, INSUFFICIENT_SCOPE, RATE_LIMITED), and User
// too unless a service token made the key; RateLimit when a limit (the
// key's own or its plan's) was counted; Credits when the key has credits
// and every other check passed.
type Verification struct {
	Valid     bool                   `json:"valid"`
	Code      string                 `json:"code"`
	Key       *VerifiedKey           `json:"key"`
	Team      *VerifiedTeam          `json:"team"`
	User      *VerifiedUser          `json:"user"`
	RateLimit *VerificationRateLimit `json:"ratelimit"`
	Credits   *VerificationCredits   `json:"credits"`
}

// VerificationCredits are what a key with credits has left after the call
// (nil: the key is unlimited); RetryAfter, in seconds, is when
// QUOTA_EXCEEDED and a refill will come.
type VerificationCredits struct {
	Remaining  int64 `json:"remaining"`
	RetryAfter int64 `json:"retry_after,omitempty"`
}

// VerifiedKey is the key of a verification. Role is its effective role;
// Meta is the platform's own data about the key ({} for none).
type VerifiedKey struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Prefix      string          `json:"prefix"`
	Role        pome.Role       `json:"role"`
	ExpiresAt   *time.Time      `json:"expires_at"`
	Environment string          `json:"environment"`
	Scopes      []string        `json:"scopes"`
	Meta        json.RawMessage `json:"meta"`
}

// VerifiedTeam is the team of a verified key; ExternalID is the platform's
// own id of it, nil for none.
type VerifiedTeam struct {
	ID         string  `json:"id"`
	Slug       string  `json:"slug"`
	PlanTier   string  `json:"plan_tier"`
	ExternalID *string `json:"external_id"`
}

// VerifiedUser is the creator of a verified key.
type VerifiedUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// VerificationRateLimit is the key's plan limit after the call, in whole
// seconds.
type VerificationRateLimit struct {
	Limit      int   `json:"limit"`
	Remaining  int   `json:"remaining"`
	Reset      int64 `json:"reset"`                 // until the quota is whole
	RetryAfter int64 `json:"retry_after,omitempty"` // when RATE_LIMITED
}

// WithServiceToken authenticates calls of the platform's backend (Verify)
// with a service token made by `pome admin service-token create`, sent as
// Authorization: Bearer. It takes the place of an API key.
func WithServiceToken(token string) Option { return WithAPIKey(token) }

// Verify asks whether a customer's key may be used: POST /v1/keys/verify,
// authenticated by the client's service token (WithServiceToken). A valid
// key counts one use. The answer is about the key; the error is for a call
// that got none (the service token refused, the server unreachable).
func (c *Client) Verify(ctx context.Context, p VerifyParams) (*Verification, error) {
	var v Verification
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/keys/verify", body: p, public: true, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
