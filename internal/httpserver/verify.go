package httpserver

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/netip"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/httpapi"
)

type verifyRequest struct {
	Key        *string  `json:"key"`
	Permission *string  `json:"permission"`
	Scopes     []string `json:"scopes"`
	IP         *string  `json:"ip"`
	Cost       *int64   `json:"cost"`
}

// verify answers POST /v1/keys/verify: whether a customer's key may be
// used, for a backend that cannot run Pome's Go middleware. The caller is
// authenticated by a service token (platformAPI.handle, scope keys:verify),
// never by a customer's key. The key is decided by the same gate as the
// public API's, and a valid one counts one use. The answer is 200 with a
// code whatever the key; only the call itself (service token, body, an
// unreachable store) gets error answers.
//
// The per-IP limit of failed authentications applies to the service token,
// not to the keys it asks about: the backend's address is shared by all of
// its clients, so charging their bad keys to it would let one of them lock
// the others out.
func (p *platformAPI) verify(ctx context.Context, w http.ResponseWriter, r *http.Request, _ pome.ServiceToken) error {
	var req verifyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Key == nil {
		return pome.MissingParameter("key")
	}
	action := pome.ActionAPIRead
	if req.Permission != nil {
		switch *req.Permission {
		case "read":
		case "write":
			action = pome.ActionAPIWrite
		default:
			return pome.InvalidParameter("'permission' must be read or write")
		}
	}
	a := authz.Attempt{Key: *req.Key, Action: action}
	if req.IP != nil {
		ip, err := netip.ParseAddr(*req.IP)
		if err != nil || ip.Zone() != "" {
			return pome.InvalidParameter("'ip' must be an IPv4 or IPv6 address")
		}
		a.From = ip
	}
	if len(req.Scopes) > 0 {
		var err error
		if a.Scopes, err = pome.CheckKeyScopes(req.Scopes); err != nil {
			return err
		}
	}
	if c := req.Cost; c != nil {
		if *c < 0 || *c > pome.MaxCredits {
			return pome.InvalidParameter("'cost' must be 0 to %d", int64(pome.MaxCredits))
		}
		a.Cost = *c
		if *c == 0 {
			a.Cost = authz.ZeroCost
		}
	}
	// ctx records this call in an expired key's audit event.
	grant, err := p.gate.Authorize(ctx, a)
	res, err := verification(&grant, err)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, res)
	return nil
}

// verification is the answer about a key the gate decided; its error is
// only for what is no answer (the store or the rate-limit counters
// unreachable).
func verification(g *authz.Grant, err error) (client.Verification, error) {
	res := client.Verification{Valid: err == nil, Code: client.VerifyValid}
	if err != nil {
		code, ok := client.VerifyCodeOf(err)
		if !ok {
			return client.Verification{}, err
		}
		res.Code = code
	}
	if g.Matched() {
		o := &g.Owner
		res.Key = &client.VerifiedKey{ID: o.Key.ID, Name: o.Key.Name, Prefix: o.Key.Prefix, Role: o.Role,
			ExpiresAt: o.Key.ExpiresAt, Environment: o.Key.Environment(), Scopes: o.Key.Scopes,
			Meta: json.RawMessage(pome.KeyMetaJSON(o.Key.Meta))}
		if res.Key.Scopes == nil {
			res.Key.Scopes = []string{}
		}
		res.Team = &client.VerifiedTeam{ID: o.Team.ID, Slug: o.Team.Slug, PlanTier: o.Team.PlanTier}
		if o.Team.ExternalID != "" {
			res.Team.ExternalID = &o.Team.ExternalID
		}
		if o.User.ID != "" {
			res.User = &client.VerifiedUser{ID: o.User.ID, Email: o.User.Email}
		}
	}
	if l := g.Limit; !l.Rule.Unlimited() {
		res.RateLimit = &client.VerificationRateLimit{Limit: l.Rule.Limit, Remaining: l.Decision.Remaining, Reset: ceilSeconds(l.Decision.ResetAfter)}
		if !l.Decision.Allowed {
			res.RateLimit.RetryAfter = max(ceilSeconds(l.Decision.RetryAfter), 1)
		}
	}
	if c := g.Credits; c.Metered {
		res.Credits = &client.VerificationCredits{Remaining: c.Remaining, RetryAfter: ceilSeconds(c.RetryAfter)}
	}
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
