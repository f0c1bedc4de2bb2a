package apikey

import (
	"context"

	"github.com/pomehq/pome"
)

// TokenKeys is the Service as a service token uses it, through the platform
// API: on the keys of every team, as the team's owner would, and audited
// with the token as actor. Its rules are the Service's own.
type TokenKeys struct {
	s     *Service
	token pome.ServiceToken
}

// ForToken returns the Service acting for a service token, which the
// caller has authenticated and checked the scope of.
func (s *Service) ForToken(st pome.ServiceToken) TokenKeys { return TokenKeys{s: s, token: st} }

// Create mints a key for team (whose existence the caller has checked),
// created by the token; its role defaults to developer.
func (t TokenKeys) Create(ctx context.Context, team pome.Team, p CreateParams) (Created, error) {
	a := tokenActor(t.token, team.ID)
	return t.s.create(ctx, a, p)
}

// List returns a page of team's keys.
func (t TokenKeys) List(ctx context.Context, team pome.Team, q ListQuery) (Page, error) {
	return t.s.list(ctx, tokenActor(t.token, team.ID), q)
}

// Get returns a key of any team.
func (t TokenKeys) Get(ctx context.Context, keyID string) (pome.Key, error) {
	if !pome.IsID(keyID, "key_") {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	return t.s.store.KeyByIDAnyTeam(ctx, keyID)
}

// Update changes a key of any team.
func (t TokenKeys) Update(ctx context.Context, keyID string, p UpdateParams) (pome.Key, error) {
	a, err := t.actorFor(ctx, keyID)
	if err != nil {
		return pome.Key{}, err
	}
	return t.s.update(ctx, a, keyID, p)
}

// Revoke revokes a key of any team; revoking a revoked key succeeds again.
func (t TokenKeys) Revoke(ctx context.Context, keyID string) (pome.Key, error) {
	a, err := t.actorFor(ctx, keyID)
	if err != nil {
		return pome.Key{}, err
	}
	return t.s.revoke(ctx, a, keyID)
}

// Roll rolls a key of any team, as Service.Roll does.
func (t TokenKeys) Roll(ctx context.Context, keyID string, p RollParams) (Rolled, error) {
	a, err := t.actorFor(ctx, keyID)
	if err != nil {
		return Rolled{}, err
	}
	return t.s.rollAs(ctx, a, keyID, p)
}

// Usage returns the daily usage of a key of any team, as Service.Usage
// does: a check of days before any read, then pome.ErrKeyNotFound for no
// such key.
func (t TokenKeys) Usage(ctx context.Context, keyID string, days int) ([]pome.DailyUsage, error) {
	since, err := t.s.usageSince(days)
	if err != nil {
		return nil, err
	}
	if _, err := t.Get(ctx, keyID); err != nil {
		return nil, err
	}
	return t.s.keyUsage(ctx, keyID, since, days)
}

// TeamUsage returns the daily usage of every key of team (whose existence
// the caller has checked), as Service.TeamUsage does for its owners.
func (t TokenKeys) TeamUsage(ctx context.Context, team pome.Team, days int) ([]pome.DailyUsage, error) {
	since, err := t.s.usageSince(days)
	if err != nil {
		return nil, err
	}
	return t.s.teamUsage(ctx, tokenActor(t.token, team.ID), since, days)
}

// actorFor is the token acting on the team of the key it names.
func (t TokenKeys) actorFor(ctx context.Context, keyID string) (actor, error) {
	k, err := t.Get(ctx, keyID)
	if err != nil {
		return actor{}, err
	}
	return tokenActor(t.token, k.TeamID), nil
}
