package pomeauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// Codes of POST /v1/keys/verify.
const (
	CodeValid                   = "VALID"
	CodeInvalid                 = "INVALID"
	CodeRevoked                 = "REVOKED"
	CodeExpired                 = "EXPIRED"
	CodeTeamBanned              = "TEAM_BANNED"
	CodeInsufficientPermissions = "INSUFFICIENT_PERMISSIONS"
	CodeRateLimited             = "RATE_LIMITED"
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
	url   string
	token string
	http  *http.Client
}

// NewRemote returns a Remote calling the Pome server at baseURL (e.g.
// "https://pome.internal:8080") with serviceToken, made by `pome admin
// service-token create`. client may be nil: a client with a 10 s timeout.
func NewRemote(baseURL, serviceToken string, client *http.Client) *Remote {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Remote{url: strings.TrimRight(baseURL, "/") + "/v1/keys/verify", token: serviceToken, http: client}
}

type remoteBody struct {
	Valid bool   `json:"valid"`
	Code  string `json:"code"`
	Key   *struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Prefix string `json:"prefix"`
		Role   string `json:"role"`
	} `json:"key"`
	Team *struct {
		ID       string `json:"id"`
		Slug     string `json:"slug"`
		PlanTier string `json:"plan_tier"`
	} `json:"team"`
	User *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	RateLimit *struct {
		Limit      int   `json:"limit"`
		Remaining  int   `json:"remaining"`
		Reset      int64 `json:"reset"`
		RetryAfter int64 `json:"retry_after"`
	} `json:"ratelimit"`
}

// Verify asks Pome whether key may be used for p. A valid key counts one
// use. The error is for a call that got no answer about the key: the
// server unreachable, or a refusal of the call itself (the service token),
// as a *pome.Error.
func (c *Remote) Verify(ctx context.Context, key string, p Permission) (Result, error) {
	body, err := json.Marshal(map[string]string{"key": key, "permission": string(p)})
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{}, pome.ErrUnavailable.WithCause(fmt.Errorf("pomeauth: verify: %w", err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Result{}, pome.ErrUnavailable.WithCause(fmt.Errorf("pomeauth: verify: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		return Result{}, callError(resp.StatusCode, raw)
	}
	var b remoteBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return Result{}, fmt.Errorf("pomeauth: verify: decode answer: %w", err)
	}
	res := Result{Valid: b.Valid, Code: b.Code}
	if b.Key != nil && b.Team != nil && b.User != nil {
		res.Identity = &Identity{
			UserID: b.User.ID, UserEmail: b.User.Email,
			TeamID: b.Team.ID, TeamSlug: b.Team.Slug, PlanTier: b.Team.PlanTier,
			KeyID: b.Key.ID, KeyName: b.Key.Name, KeyPrefix: b.Key.Prefix, Role: b.Key.Role,
		}
	}
	if rl := b.RateLimit; rl != nil {
		res.RateLimit = &RateLimit{Limit: rl.Limit, Remaining: rl.Remaining,
			Reset: time.Duration(rl.Reset) * time.Second, RetryAfter: time.Duration(rl.RetryAfter) * time.Second}
	}
	return res, nil
}

// callError decodes the SPEC §8 envelope of a refused call.
func callError(status int, raw []byte) error {
	var env struct {
		Error struct {
			Message, Code string
		} `json:"error"`
	}
	json.Unmarshal(raw, &env)
	kind := pome.Internal
	switch status {
	case http.StatusBadRequest:
		kind = pome.Invalid
	case http.StatusUnauthorized:
		kind = pome.Unauthenticated
	case http.StatusTooManyRequests:
		kind = pome.RateLimited
	case http.StatusServiceUnavailable:
		kind = pome.Unavailable
	}
	cause := fmt.Errorf("pomeauth: verify: status %d: %s: %s", status, env.Error.Code, env.Error.Message)
	if kind == pome.Internal || kind == pome.Unauthenticated {
		// The service's own credential was refused, or Pome failed: to the
		// service's caller that is Pome being unusable, not their fault.
		return pome.ErrUnavailable.WithCause(cause)
	}
	return &pome.Error{Kind: kind, Code: env.Error.Code, Message: env.Error.Message, Err: cause}
}

// codeErrors are the SPEC §3 errors of the verify codes.
var codeErrors = map[string]*pome.Error{
	CodeInvalid:                 pome.ErrInvalidAPIKey,
	CodeRevoked:                 pome.ErrKeyRevoked,
	CodeExpired:                 pome.ErrKeyExpired,
	CodeTeamBanned:              pome.ErrTeamBanned,
	CodeInsufficientPermissions: pome.ErrInsufficientPermissions,
	CodeRateLimited:             pome.ErrRateLimited,
}

// Middleware is Auth.Middleware through the verify endpoint: one call per
// request. If Pome cannot be reached, requests are refused (503), never let
// through. The per-IP limit of failed authentications is not applied: put
// the service's own limits in front.
func (c *Remote) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := httpapi.APIKeyFrom(r.Header)
		if err != nil {
			writeError(w, err)
			return
		}
		res, err := c.Verify(r.Context(), key, PermissionOf(r.Method))
		if err != nil {
			writeError(w, err)
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
			e, ok := codeErrors[res.Code]
			if !ok {
				e = pome.ErrInvalidAPIKey
			}
			writeError(w, e)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), *res.Identity)))
	})
}
