package client

import (
	"context"
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
	VerifyInsufficientPermissions = "INSUFFICIENT_PERMISSIONS"
	VerifyRateLimited             = "RATE_LIMITED"
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
	{VerifyInsufficientPermissions, pome.ErrInsufficientPermissions},
	{VerifyRateLimited, pome.ErrRateLimited},
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
// "read" (the default) or "write".
type VerifyParams struct {
	Key        string `json:"key"`
	Permission string `json:"permission,omitempty"`
}

// Verification is the answer of POST /v1/keys/verify. Key, Team and User
// are set when the key matched (VALID, INSUFFICIENT_PERMISSIONS,
// RATE_LIMITED); RateLimit when the key's plan has a limit.
type Verification struct {
	Valid     bool                   `json:"valid"`
	Code      string                 `json:"code"`
	Key       *VerifiedKey           `json:"key"`
	Team      *VerifiedTeam          `json:"team"`
	User      *VerifiedUser          `json:"user"`
	RateLimit *VerificationRateLimit `json:"ratelimit"`
}

// VerifiedKey is the key of a verification. Role is its effective role.
type VerifiedKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Role      pome.Role  `json:"role"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// VerifiedTeam is the team of a verified key.
type VerifiedTeam struct {
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	PlanTier string `json:"plan_tier"`
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
