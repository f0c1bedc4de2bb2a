// Package servicetoken issues, lists and revokes service tokens, the
// credentials of platforms' backends, and authenticates them.
package servicetoken

import (
	"context"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pomehq/pome"
)

// CacheTTL is how long an authenticated token is trusted without reading the
// store again, and so how long a revocation made elsewhere (`pome admin
// service-token revoke`, straight on the database) takes to reach a running
// server: within 1 s, the bound of docs/api.md for a key revoked on another node.
const CacheTTL = time.Second

// maxNameLen bounds a token's name.
const maxNameLen = 100

// Store is what a Service keeps tokens in (pome.Store's service-token
// methods).
type Store interface {
	CreateServiceToken(ctx context.Context, t pome.ServiceToken, ev pome.AuditEvent) error
	ServiceTokenByDigest(ctx context.Context, d pome.Digest) (pome.ServiceToken, error)
	ListServiceTokens(ctx context.Context) ([]pome.ServiceToken, error)
	RevokeServiceToken(ctx context.Context, id string, at time.Time, ev pome.AuditEvent) (pome.ServiceToken, error)
}

// Service manages service tokens and authenticates them.
type Service struct {
	store Store
	now   func() time.Time
	ttl   time.Duration

	mu    sync.Mutex
	cache map[pome.Digest]cached // tokens found in the store, revoked ones included
}

type cached struct {
	token    pome.ServiceToken
	loadedAt time.Time
}

// New returns a Service on store, whose cache entries live CacheTTL.
func New(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: now, ttl: CacheTTL, cache: make(map[pome.Digest]cached)}
}

// Created is a new token and its plaintext, which exists only in this value.
type Created struct {
	Token     pome.ServiceToken
	Plaintext string
}

// Create mints a token named name with scopes (pome.ParseScopes: none is
// keys:verify), audited as done by the system actor (the operator, through
// `pome admin`).
func (s *Service) Create(ctx context.Context, name string, scopes []string) (Created, error) {
	if name == "" {
		return Created{}, pome.MissingParameter("name")
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		return Created{}, pome.InvalidParameter("'name' must be 1 to %d characters", maxNameLen)
	}
	if err := pome.CheckText("name", name); err != nil {
		return Created{}, err
	}
	granted, err := pome.ParseScopes(scopes)
	if err != nil {
		return Created{}, err
	}
	secret, err := pome.ServiceTokenFormat.Generate()
	if err != nil {
		return Created{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	st := pome.ServiceToken{
		ID:        pome.NewID("stk_"),
		Name:      name,
		Prefix:    pome.ServiceTokenFormat.DisplayPrefix(secret),
		Digest:    pome.DigestOf(secret),
		Scopes:    granted,
		CreatedAt: now,
	}
	ev := systemEvent(ctx, pome.AuditServiceTokenCreated, now, st.ID).With(map[string]any{"name": name, "scopes": granted})
	if err := s.store.CreateServiceToken(ctx, st, ev); err != nil {
		return Created{}, err
	}
	return Created{Token: st, Plaintext: secret}, nil
}

// List lists every token, newest first.
func (s *Service) List(ctx context.Context) ([]pome.ServiceToken, error) {
	return s.store.ListServiceTokens(ctx)
}

// Revoke revokes a token; revoking a revoked one changes nothing. This
// process forgets it at once; other processes within CacheTTL.
func (s *Service) Revoke(ctx context.Context, id string) (pome.ServiceToken, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	st, err := s.store.RevokeServiceToken(ctx, id, now, systemEvent(ctx, pome.AuditServiceTokenRevoked, now, id))
	if err != nil {
		return pome.ServiceToken{}, err
	}
	s.mu.Lock()
	delete(s.cache, st.Digest)
	s.mu.Unlock()
	return st, nil
}

func systemEvent(ctx context.Context, action string, at time.Time, id string) pome.AuditEvent {
	ev := pome.NewAuditEvent(ctx, action, at).On("", pome.TargetServiceToken, id)
	ev.ActorType = pome.ActorSystem
	return ev
}

// Authenticate answers which token candidate is, or ErrInvalidServiceToken
// for a malformed, unknown or revoked one (a customer's key included).
// A malformed candidate costs no store read. When the answer needs the store
// (a well-formed token not in the cache), gate is called first, if not nil,
// and its error answered without reading the store: the HTTP layer charges
// the caller's failure budget there, as for keys.
func (s *Service) Authenticate(ctx context.Context, candidate string, gate func() error) (pome.ServiceToken, error) {
	d, err := pome.ServiceTokenFormat.Parse(candidate)
	if err != nil {
		return pome.ServiceToken{}, pome.ErrInvalidServiceToken
	}
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[d]
	s.mu.Unlock()
	if !ok || now.Sub(c.loadedAt) >= s.ttl || now.Before(c.loadedAt) {
		if gate != nil {
			if err := gate(); err != nil {
				return pome.ServiceToken{}, err
			}
		}
		st, err := s.store.ServiceTokenByDigest(ctx, d)
		if err != nil {
			if pome.AsError(err).Kind == pome.NotFound {
				return pome.ServiceToken{}, pome.ErrInvalidServiceToken
			}
			return pome.ServiceToken{}, err
		}
		c = cached{token: st, loadedAt: now}
		s.mu.Lock()
		s.cache[d] = c
		s.mu.Unlock()
	}
	if c.token.RevokedAt != nil {
		return pome.ServiceToken{}, pome.ErrInvalidServiceToken
	}
	return c.token, nil
}
