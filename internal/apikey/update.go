package apikey

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"time"

	"github.com/pomehq/pome"
)

// UpdateParams are the changes of PATCH /api/keys/{id} and
// PATCH /v1/keys/{id}: each field unset is left as it is; a null clears
// meta, scopes, rate_limit, allowed_cidrs and expires_at (the key then
// never expires).
type UpdateParams struct {
	Name         pome.Optional[string]
	Description  pome.Optional[string]
	Meta         pome.Optional[json.RawMessage]
	Scopes       pome.Optional[[]string]
	RateLimit    pome.Optional[RateLimitParams]
	AllowedCIDRs pome.Optional[[]string]
	ExpiresAt    pome.Optional[time.Time]
	Enabled      pome.Optional[bool]
	Credits      pome.Optional[CreditsChange]
}

// The ErrKeyNotActive of a change of a key that may no longer be used. An
// expiry is as final as a revocation: a rolled key's grace ends for good,
// and a change cannot bring it back.
var (
	errUpdateRevoked = &pome.Error{Kind: pome.Conflict, Code: pome.ErrKeyNotActive.Code,
		Message: "API key is revoked: a revoked key cannot be changed"}
	errUpdateExpired = &pome.Error{Kind: pome.Conflict, Code: pome.ErrKeyNotActive.Code,
		Message: "API key has expired: an expired key cannot be changed"}
)

// Update changes a key of the member's team: owners and admins may change
// any key of it; no one else may change one.
func (s *Service) Update(ctx context.Context, m pome.Member, keyID string, p UpdateParams) (pome.Key, error) {
	a := memberActor(m)
	// Looked up first, as Revoke does: a key the member may not see is not
	// found, as ever, and an id of another team never reaches a write.
	if _, err := s.visibleKey(ctx, a, keyID); err != nil {
		return pome.Key{}, err
	}
	if !a.role.Can(pome.ActionManageAnyKey) {
		return pome.Key{}, pome.ErrInsufficientPermissions
	}
	return s.update(ctx, a, keyID, p)
}

func (s *Service) update(ctx context.Context, a actor, keyID string, p UpdateParams) (pome.Key, error) {
	if !pome.IsID(keyID, "key_") {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	// Checked before the store is touched: a bad field writes nothing.
	change, fields, err := s.keyChange(a, p)
	if err != nil {
		return pome.Key{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	ev := a.event(ctx, pome.AuditKeyUpdated, now, keyID).With(map[string]any{"fields": fields})
	k, err := s.store.UpdateKey(ctx, a.teamID, keyID, func(k *pome.Key) error {
		switch k.Status(now) {
		case pome.KeyRevoked:
			return errUpdateRevoked
		case pome.KeyExpired:
			return errUpdateExpired
		}
		return change(k, now)
	}, now, ev)
	if err != nil {
		return pome.Key{}, err
	}
	// This node at once; the others through the change log.
	s.verifier.Forget(k.Digest)
	s.verifier.changed([]pome.Change{{Kind: pome.ChangeKeyUpdated, TeamID: k.TeamID, KeyID: k.ID, At: now}})
	return k, nil
}

// keyChange checks p and returns what it does to a key, and the names of
// the fields it sets, for the audit event.
func (s *Service) keyChange(a actor, p UpdateParams) (func(*pome.Key, time.Time) error, []string, error) {
	var fields []string
	var steps []func(*pome.Key, time.Time) error
	step := func(name string, set bool, f func(*pome.Key, time.Time) error) {
		if set {
			fields = append(fields, name)
			steps = append(steps, f)
		}
	}
	if p.Name.Set {
		if err := checkName(p.Name.Value); err != nil {
			return nil, nil, err
		}
	}
	step("name", p.Name.Set, func(k *pome.Key, _ time.Time) error { k.Name = p.Name.Value; return nil })
	if err := checkDescription(p.Description.Value); err != nil {
		return nil, nil, err
	}
	step("description", p.Description.Set, func(k *pome.Key, _ time.Time) error { k.Description = p.Description.Value; return nil })
	meta := ""
	if p.Meta.Set && !p.Meta.Null {
		var err error
		if meta, err = pome.CheckKeyMeta(p.Meta.Value); err != nil {
			return nil, nil, err
		}
	}
	step("meta", p.Meta.Set, func(k *pome.Key, _ time.Time) error { k.Meta = meta; return nil })
	scopes, err := checkScopes(p.Scopes.Value)
	if err != nil {
		return nil, nil, err
	}
	step("scopes", p.Scopes.Set, func(k *pome.Key, _ time.Time) error { k.Scopes = scopes; return nil })
	var rl *pome.RateLimit
	if p.RateLimit.Set && !p.RateLimit.Null {
		if rl, err = s.checkRateLimit(a, &p.RateLimit.Value); err != nil {
			return nil, nil, err
		}
	}
	step("rate_limit", p.RateLimit.Set, func(k *pome.Key, _ time.Time) error { k.RateLimit = rl; return nil })
	var cidrs []netip.Prefix
	if cidrs, err = checkCIDRs(p.AllowedCIDRs.Value); err != nil {
		return nil, nil, err
	}
	step("allowed_cidrs", p.AllowedCIDRs.Set, func(k *pome.Key, _ time.Time) error { k.AllowedCIDRs = cidrs; return nil })
	step("expires_at", p.ExpiresAt.Set, func(k *pome.Key, now time.Time) error {
		if p.ExpiresAt.Null {
			return s.setExpiry(k, nil, now)
		}
		return s.setExpiry(k, &p.ExpiresAt.Value, now)
	})
	if p.Enabled.Null {
		return nil, nil, pome.InvalidParameter("'enabled' must be true or false")
	}
	step("enabled", p.Enabled.Set, func(k *pome.Key, _ time.Time) error { k.Disabled = !p.Enabled.Value; return nil })
	if p.Credits.Set {
		f, err := creditsChange(a, p.Credits)
		if err != nil {
			return nil, nil, err
		}
		step("credits", true, f)
	}
	if len(steps) == 0 {
		return nil, nil, pome.InvalidParameter("Nothing to change: give at least one of name, description, meta, scopes, rate_limit, allowed_cidrs, expires_at, enabled, credits")
	}
	return func(k *pome.Key, now time.Time) error {
		for _, f := range steps {
			if err := f(k, now); err != nil {
				return err
			}
		}
		return nil
	}, slices.Clip(fields), nil
}
