package pomeauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpapi"
)

// Codes of POST /v1/keys/verify.
const (
	CodeValid                   = client.VerifyValid
	CodeInvalid                 = client.VerifyInvalid
	CodeRevoked                 = client.VerifyRevoked
	CodeExpired                 = client.VerifyExpired
	CodeTeamBanned              = client.VerifyTeamBanned
	CodeInsufficientPermissions = client.VerifyInsufficientPermissions
	CodeRateLimited             = client.VerifyRateLimited
)

// Result is the answer of POST /v1/keys/verify.
type Result struct {
	Valid bool
	Code  string
	// Identity is set when the key matched: VALID,
	// INSUFFICIENT_PERMISSIONS and RATE_LIMITED.
	Identity  *Identity
	RateLimit *RateLimit // nil when the key's plan has no limit
}

// RateLimit is the key's plan limit after this call.
type RateLimit struct {
	Limit, Remaining int
	Reset            time.Duration // until the quota is whole again
	RetryAfter       time.Duration // when RATE_LIMITED
}

// Remote verifies keys through a Pome server's POST /v1/keys/verify. It is
// safe for concurrent use.
type Remote struct {
	client *client.Client
}

// NewRemote returns a Remote calling the Pome server at baseURL (e.g.
// "https://pome.internal:8080") with serviceToken, made by `pome admin
// service-token create`. hc may be nil: a client with a 10 s timeout.
func NewRemote(baseURL, serviceToken string, hc *http.Client) *Remote {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Remote{client: client.New(baseURL, client.WithServiceToken(serviceToken), client.WithHTTPClient(hc))}
}

// Verify asks Pome whether key may be used for p. A valid key counts one
// use. The error is for a call that got no answer about the key: the
// server unreachable, or a refusal of the call itself (the service token),
// as a *pome.Error.
func (c *Remote) Verify(ctx context.Context, key string, p Permission) (Result, error) {
	v, err := c.client.Verify(ctx, client.VerifyParams{Key: key, Permission: string(p)})
	if err != nil {
		return Result{}, callError(err)
	}
	res := Result{Valid: v.Valid, Code: v.Code}
	if v.Key != nil && v.Team != nil && v.User != nil {
		res.Identity = &Identity{
			UserID: v.User.ID, UserEmail: v.User.Email,
			TeamID: v.Team.ID, TeamSlug: v.Team.Slug, PlanTier: v.Team.PlanTier,
			KeyID: v.Key.ID, KeyName: v.Key.Name, KeyPrefix: v.Key.Prefix, Role: string(v.Key.Role),
		}
	}
	if rl := v.RateLimit; rl != nil {
		res.RateLimit = &RateLimit{Limit: rl.Limit, Remaining: rl.Remaining,
			Reset: time.Duration(rl.Reset) * time.Second, RetryAfter: time.Duration(rl.RetryAfter) * time.Second}
	}
	return res, nil
}

// callError is the error of a verify call that got no answer about the key.
// The service's own credential refused, Pome failing or unreachable: to the
// service's caller that is Pome being unusable, not their fault.
func callError(err error) error {
	cause := fmt.Errorf("pomeauth: verify: %w", err)
	var ce *client.Error
	if !errors.As(err, &ce) {
		return pome.ErrUnavailable.WithCause(cause)
	}
	switch ce.Kind() {
	case pome.Internal, pome.Unauthenticated:
		return pome.ErrUnavailable.WithCause(cause)
	}
	return ce.Err.WithCause(cause)
}

// Middleware is the in-process middleware's equivalent through the verify
// endpoint: one call per request. If Pome cannot be reached, requests are
// refused (503), never let through. The per-IP limit of failed
// authentications is not applied: put the service's own limits in front.
func (c *Remote) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := httpapi.APIKeyFrom(r.Header)
		if err != nil {
			WriteError(w, err)
			return
		}
		res, err := c.Verify(r.Context(), key, PermissionOf(r.Method))
		if err != nil {
			WriteError(w, err)
			return
		}
		if rl := res.RateLimit; rl != nil {
			h := w.Header()
			h.Set("X-RateLimit-Limit", strconv.Itoa(rl.Limit))
			h.Set("X-RateLimit-Remaining", strconv.Itoa(rl.Remaining))
			h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(rl.Reset/time.Second), 10))
			if rl.RetryAfter > 0 {
				h.Set("Retry-After", strconv.FormatInt(int64(rl.RetryAfter/time.Second), 10))
			}
		}
		if !res.Valid || res.Identity == nil {
			WriteError(w, client.VerifyErrorOf(res.Code))
			return
		}
		next.ServeHTTP(w, Forward(r, *res.Identity))
	})
}
