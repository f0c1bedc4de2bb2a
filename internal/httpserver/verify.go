package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/servicetoken"
)

// Codes of POST /v1/keys/verify (docs/protect.md).
const (
	verifyValid        = "VALID"
	verifyInvalid      = "INVALID"
	verifyRevoked      = "REVOKED"
	verifyExpired      = "EXPIRED"
	verifyTeamBanned   = "TEAM_BANNED"
	verifyInsufficient = "INSUFFICIENT_PERMISSIONS"
	verifyRateLimited  = "RATE_LIMITED"
)

type verifyRequest struct {
	Key        *string `json:"key"`
	Permission *string `json:"permission"`
}

type verifyResponse struct {
	Valid     bool             `json:"valid"`
	Code      string           `json:"code"`
	Key       *verifyKey       `json:"key"`
	Team      *verifyTeam      `json:"team"`
	User      *verifyUser      `json:"user"`
	RateLimit *verifyRateLimit `json:"ratelimit"`
}

type verifyKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Role      pome.Role  `json:"role"` // effective
	ExpiresAt *time.Time `json:"expires_at"`
}

type verifyTeam struct {
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	PlanTier string `json:"plan_tier"`
}

type verifyUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

type verifyRateLimit struct {
	Limit      int   `json:"limit"`
	Remaining  int   `json:"remaining"`
	Reset      int64 `json:"reset"`                 // seconds until the quota is whole
	RetryAfter int64 `json:"retry_after,omitempty"` // seconds, when RATE_LIMITED
}

// handleVerify answers POST /v1/keys/verify: whether a customer's key may be
// used, for a backend that cannot run Pome's Go middleware. The caller is
// authenticated by a service token, never by a customer's key. The key is
// verified exactly as on the public API (the same verifier, role check and
// per-key plan limit) and a valid one counts one use. The answer is 200
// with a code whatever the key; only the call itself (service token, body,
// an unreachable store) gets the SPEC §8 errors.
//
// The per-IP limit of failed authentications applies to the service token,
// not to the keys it asks about: the backend's address is shared by all of
// its clients, so charging their bad keys to it would let one of them lock
// the others out.
func handleVerify(log *slog.Logger, gate *keyGate, tokens *servicetoken.Service, m *meter.Meter, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := gate.authorizeService(w, r, tokens); err != nil {
			writeError(w, r, log, err)
			return
		}
		var req verifyRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, log, err)
			return
		}
		if req.Key == nil {
			writeError(w, r, log, pome.MissingParameter("key"))
			return
		}
		action := pome.ActionAPIRead
		if req.Permission != nil {
			switch *req.Permission {
			case "read":
			case "write":
				action = pome.ActionAPIWrite
			default:
				writeError(w, r, log, pome.InvalidParameter("'permission' must be read or write"))
				return
			}
		}
		// requestContext: an expired key's audit event records this call.
		res, err := gate.verify(requestContext(w, r), *req.Key, action)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		if res.Valid {
			m.Record(res.Key.ID, now())
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// verify answers one verify call. Its error is only for what is no answer
// about the key: the store or the rate-limit counters unreachable.
func (g *keyGate) verify(ctx context.Context, candidate string, action pome.Action) (verifyResponse, error) {
	owner, err := g.verifier.Verify(ctx, candidate)
	switch {
	case err == nil:
	case errors.Is(err, pome.ErrInvalidAPIKey), errors.Is(err, pome.ErrMissingAPIKey):
		return verifyResponse{Code: verifyInvalid}, nil
	case errors.Is(err, pome.ErrKeyRevoked):
		return verifyResponse{Code: verifyRevoked}, nil
	case errors.Is(err, pome.ErrKeyExpired):
		return verifyResponse{Code: verifyExpired}, nil
	case errors.Is(err, pome.ErrTeamBanned):
		return verifyResponse{Code: verifyTeamBanned}, nil
	default:
		return verifyResponse{}, err
	}
	res := verifyResponse{
		Code: verifyValid,
		Key:  &verifyKey{ID: owner.Key.ID, Name: owner.Key.Name, Prefix: owner.Key.Prefix, Role: owner.Role, ExpiresAt: owner.Key.ExpiresAt},
		Team: &verifyTeam{ID: owner.Team.ID, Slug: owner.Team.Slug, PlanTier: owner.Team.PlanTier},
		User: &verifyUser{ID: owner.User.ID, Email: owner.User.Email},
	}
	// As authorizeKey: the role first, so a refused call spends no quota.
	if !owner.Role.Can(action) {
		res.Code = verifyInsufficient
		return res, nil
	}
	if rule, ok := g.plans[owner.Team.PlanTier]; ok && !rule.Unlimited() && g.limiter != nil {
		d, err := g.limiter.Allow(ctx, owner.Key.ID, rule)
		if err != nil {
			return verifyResponse{}, limiterUnavailable(err)
		}
		res.RateLimit = &verifyRateLimit{Limit: rule.Limit, Remaining: d.Remaining, Reset: ceilSeconds(d.ResetAfter)}
		if !d.Allowed {
			res.RateLimit.RetryAfter = max(ceilSeconds(d.RetryAfter), 1)
			res.Code = verifyRateLimited
			return res, nil
		}
	}
	res.Valid = true
	return res, nil
}

// ceilSeconds is d in whole seconds, rounded up, as the rate-limit headers
// count them.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}

// serviceTokenFrom reads the service token of a verify call: Authorization
// with the Bearer scheme, once.
func serviceTokenFrom(h http.Header) (string, error) {
	as := h["Authorization"]
	if len(as) > 1 {
		return "", pome.ErrConflictingCredentials
	}
	if len(as) == 0 {
		return "", pome.ErrMissingServiceToken
	}
	token, bearer := httpapi.BearerToken(as[0])
	if !bearer || token == "" {
		return "", pome.ErrMissingServiceToken
	}
	return token, nil
}

// authorizeService authenticates a verify call by its service token. Failed
// attempts are charged to the client IP under the same rule as failed
// API-key authentications, before a store read as keyGate.authorize does:
// over the limit, only a token already cached passes.
func (g *keyGate) authorizeService(w http.ResponseWriter, r *http.Request, tokens *servicetoken.Service) error {
	candidate, err := serviceTokenFrom(r.Header)
	if err == nil && tokens == nil {
		err = pome.ErrInvalidServiceToken
	}
	limited := g.limiter != nil && !g.failures.Unlimited()
	ctx := r.Context()
	var (
		d       ratelimit.Decision
		charged bool
	)
	if err == nil {
		gate := func() error {
			if !limited {
				return nil
			}
			var lerr error
			if d, lerr = g.limiter.Allow(ctx, httpapi.ClientIP(r), g.failures); lerr != nil {
				return limiterUnavailable(lerr)
			}
			if !d.Allowed {
				return pome.ErrRateLimited
			}
			charged = true
			return nil
		}
		_, err = tokens.Authenticate(ctx, candidate, gate)
	}
	failed := errors.Is(err, pome.ErrInvalidServiceToken) || errors.Is(err, pome.ErrMissingServiceToken) ||
		errors.Is(err, pome.ErrConflictingCredentials)
	switch {
	case errors.Is(err, pome.ErrRateLimited):
		ratelimit.SetHeaders(w.Header(), g.failures, d)
	case failed && limited:
		if !charged {
			var lerr error
			if d, lerr = g.limiter.Allow(ctx, httpapi.ClientIP(r), g.failures); lerr != nil {
				return limiterUnavailable(lerr)
			}
		}
		ratelimit.SetHeaders(w.Header(), g.failures, d)
		if !d.Allowed {
			return pome.ErrRateLimited
		}
	case charged:
		// The token exists (or the store could not say): not a failure.
		g.limiter.Refund(context.WithoutCancel(ctx), httpapi.ClientIP(r), g.failures)
	}
	return err
}
