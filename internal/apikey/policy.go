package apikey

import (
	"encoding/json"
	"net/netip"
	"time"

	"github.com/pomehq/pome"
)

// RateLimitParams is a key's own rate limit as a caller gives it.
type RateLimitParams struct {
	Limit         int `json:"limit"`
	WindowSeconds int `json:"window_seconds"`
}

// PolicyParams are a new key's policies as the caller gives them; absent
// fields are none (Enabled nil: enabled).
type PolicyParams struct {
	Environment  string // "live" (or empty) or "test"
	Meta         json.RawMessage
	Scopes       []string
	RateLimit    *RateLimitParams
	AllowedCIDRs []string
	Enabled      *bool
	Credits      *CreditsParams
	// Canary makes the key a decoy (pome.Key.Canary).
	Canary bool
}

// applyPolicies checks p and sets the policies of a new key k, made by a.
func (s *Service) applyPolicies(a actor, k *pome.Key, p PolicyParams) error {
	switch p.Environment {
	case "", pome.EnvLive:
	case pome.EnvTest:
		k.TestMode = true
	default:
		return pome.InvalidParameter("'environment' must be live or test")
	}
	var err error
	if p.Meta != nil {
		if k.Meta, err = pome.CheckKeyMeta(p.Meta); err != nil {
			return err
		}
	}
	if k.Scopes, err = checkScopes(p.Scopes); err != nil {
		return err
	}
	if k.RateLimit, err = s.checkRateLimit(a, p.RateLimit); err != nil {
		return err
	}
	if k.AllowedCIDRs, err = checkCIDRs(p.AllowedCIDRs); err != nil {
		return err
	}
	k.Disabled = p.Enabled != nil && !*p.Enabled
	k.Canary = p.Canary
	return nil
}

// checkScopes is pome.CheckKeyScopes, nil for none.
func checkScopes(scopes []string) ([]string, error) {
	out, err := pome.CheckKeyScopes(scopes)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// checkCIDRs is pome.ParseCIDRs, nil for none.
func checkCIDRs(cidrs []string) ([]netip.Prefix, error) {
	out, err := pome.ParseCIDRs(cidrs)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// checkRateLimit checks a key's own limit (nil: none). A member may only
// narrow their team plan's limit, never widen it: the plan is the
// operator's, and a key's limit replaces it. A service token, the
// platform's own credential, sets any.
func (s *Service) checkRateLimit(a actor, p *RateLimitParams) (*pome.RateLimit, error) {
	if p == nil {
		return nil, nil
	}
	if p.Limit <= 0 {
		return nil, pome.InvalidParameter("'rate_limit.limit' must be at least 1")
	}
	w := time.Duration(p.WindowSeconds) * time.Second
	if p.WindowSeconds <= 0 || w > pome.MaxKeyRateWindow {
		return nil, pome.InvalidParameter("'rate_limit.window_seconds' must be 1 to %d", int(pome.MaxKeyRateWindow/time.Second))
	}
	rl := &pome.RateLimit{Limit: p.Limit, Window: w}
	if plan, ok := s.plans[a.planTier]; a.tokenID == "" && ok && !within(rl, plan) {
		return nil, pome.InvalidParameter("'rate_limit' may not exceed your plan's limit of %d per %s", plan.Limit, plan.Window)
	}
	return rl, nil
}

// within reports whether rl allows no more than plan: no larger burst and
// no higher rate.
func within(rl *pome.RateLimit, plan pome.RateLimit) bool {
	return rl.Limit <= plan.Limit && float64(rl.Limit)/rl.Window.Seconds() <= float64(plan.Limit)/plan.Window.Seconds()
}

// SetPlans gives the Service the limits of the plans that have one, which
// a member's key limit may not exceed. Set it before the Service is used.
func (s *Service) SetPlans(plans map[string]pome.RateLimit) { s.plans = plans }
