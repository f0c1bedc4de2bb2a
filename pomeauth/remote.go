package pomeauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
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
	CodeDisabled                = client.VerifyDisabled
	CodeIPNotAllowed            = client.VerifyIPNotAllowed
	CodeInsufficientPermissions = client.VerifyInsufficientPermissions
	CodeInsufficientScope       = client.VerifyInsufficientScope
	CodeRateLimited             = client.VerifyRateLimited
)

// Result is the answer of POST /v1/keys/verify.
type Result struct {
	Valid bool
	Code  string
	// Identity is set when the key matched: VALID, DISABLED,
	// IP_NOT_ALLOWED, INSUFFICIENT_PERMISSIONS, INSUFFICIENT_SCOPE and
	// RATE_LIMITED (and QUOTA_EXCEEDED).
	Identity  *Identity
	RateLimit *RateLimit // nil when the key's plan has no limit
	Credits   *Credits   // nil when the key is unlimited
}

// Credits are what a key with credits has left after this call;
// RetryAfter, when QUOTA_EXCEEDED, is how long until its refill (0: none
// comes).
type Credits struct {
	Remaining  int64
	RetryAfter time.Duration
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
	client  *client.Client
	proxies httpapi.TrustedProxies
}

// TrustProxies makes the middlewares read the client's address, which a
// key's allowed_cidrs must hold, as Pome does behind --trusted-proxies:
// from a connection of one of these prefixes, the rightmost
// X-Forwarded-For address that is not theirs. Without it, the
// connection's address. Call it before the Remote is used.
func (c *Remote) TrustProxies(prefixes []netip.Prefix) { c.proxies = httpapi.TrustedProxies(prefixes) }

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
	return c.Check(ctx, client.VerifyParams{Key: key, Permission: string(p)})
}

// Check is Verify with every field of the verify call: the scopes the
// call requires and the client's address (docs/api.md).
func (c *Remote) Check(ctx context.Context, p client.VerifyParams) (Result, error) {
	v, err := c.client.Verify(ctx, p)
	if err != nil {
		return Result{}, callError(err)
	}
	res := Result{Valid: v.Valid, Code: v.Code}
	if v.Key != nil && v.Team != nil {
		id := &Identity{
			TeamID: v.Team.ID, TeamSlug: v.Team.Slug, PlanTier: v.Team.PlanTier,
			KeyID: v.Key.ID, KeyName: v.Key.Name, KeyPrefix: v.Key.Prefix, Role: string(v.Key.Role),
			Environment: v.Key.Environment, Scopes: v.Key.Scopes, Meta: v.Key.Meta,
		}
		if v.User != nil {
			id.UserID, id.UserEmail = v.User.ID, v.User.Email
		}
		if v.Team.ExternalID != nil {
			id.TeamExternalID = *v.Team.ExternalID
		}
		if v.Credits != nil {
			id.CreditsRemaining = &v.Credits.Remaining
		}
		res.Identity = id
	}
	if c := v.Credits; c != nil {
		res.Credits = &Credits{Remaining: c.Remaining, RetryAfter: time.Duration(c.RetryAfter) * time.Second}
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
func (c *Remote) Middleware(next http.Handler) http.Handler { return c.Require()(next) }

// Require is Middleware for handlers that need scopes: a key whose scopes
// do not cover every one is refused with 403 insufficient_scope.
func (c *Remote) Require(scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return c.middleware(next, scopes) }
}

func (c *Remote) middleware(next http.Handler, scopes []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := httpapi.APIKeyFrom(r.Header)
		if err != nil {
			WriteError(w, err)
			return
		}
		res, err := c.Check(r.Context(), client.VerifyParams{Key: key, Permission: string(PermissionOf(r.Method)),
			Scopes: scopes, IP: c.proxies.ClientAddr(r)})
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
		if c := res.Credits; c != nil {
			httpapi.SetRetryAfter(w.Header(), c.RetryAfter)
		}
		if !res.Valid || res.Identity == nil {
			WriteError(w, client.VerifyErrorOf(res.Code))
			return
		}
		next.ServeHTTP(w, Forward(r, *res.Identity))
	})
}
