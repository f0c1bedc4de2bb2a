// Package pomeauth protects a Go service's HTTP handlers with the API keys
// that a Pome deployment issues, in one of two ways (docs/protect.md):
//
//   - Remotely, with NewRemote: each request is checked by a Pome server's
//     POST /v1/keys/verify, authenticated by a service token. This package
//     depends only on the standard library and Pome's Go SDK (client).
//   - In process, with package pomeauth/inprocess: keys are verified
//     against Pome's own database (SQLite or PostgreSQL), with the same
//     cache, change-log invalidation, plan limits, failed-authentication
//     limit and usage counting as `pome serve`, and no network hop.
//
// Both give a func(http.Handler) http.Handler middleware that reads the key
// as Pome's public API does (X-API-KEY, or Authorization: Bearer), refuses
// what Pome would refuse with the same JSON errors, lets a viewer key use
// only GET and HEAD, and hands the wrapped handler the request without its
// credentials and with the caller's identity: in its context for
// FromContext, and as the Pome-* headers the gateway sends (any a client
// sent removed first, so that none can be forged).
package pomeauth

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// Identity is who a verified key belongs to.
type Identity struct {
	UserID    string `json:"user_id"`
	UserEmail string `json:"user_email"`
	TeamID    string `json:"team_id"`
	TeamSlug  string `json:"team_slug"`
	PlanTier  string `json:"plan_tier"`
	KeyID     string `json:"key_id"`
	KeyName   string `json:"key_name"`
	KeyPrefix string `json:"key_prefix"`
	// Role is the key's effective role: the lower of its own and its
	// creator's current role in the team.
	Role string `json:"role"`
	// The key's policies the service may act on (docs/api.md, "Key
	// policies"): its environment (live or test), its scopes, and the
	// platform's meta about it, a JSON object ({} for none);
	// TeamExternalID is the platform's own id of the team ("" for none).
	// UserID and UserEmail are "" for a key a service token made.
	Environment    string          `json:"environment"`
	Scopes         []string        `json:"scopes"`
	Meta           json.RawMessage `json:"meta"`
	TeamExternalID string          `json:"team_external_id"`
	// CreditsRemaining is what a key with credits has left after the
	// request (docs/api.md, "Credits"); nil for an unlimited key.
	CreditsRemaining *int64 `json:"credits_remaining"`
}

type identityKey struct{}

// identityCtx is a context carrying an identity: one allocation, where
// context.WithValue would make two (the context and the boxed Identity).
type identityCtx struct {
	context.Context
	id Identity
}

func (c *identityCtx) Value(key any) any {
	if _, ok := key.(identityKey); ok {
		return &c.id
	}
	return c.Context.Value(key)
}

// WithIdentity returns ctx carrying id, as the middleware does.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return &identityCtx{Context: ctx, id: id}
}

// Forward returns r as the middleware hands it to the wrapped handler
// once id is verified: X-API-KEY, Authorization and every header named
// Pome-* or Pome_* (any case) removed from r's headers, which it changes in
// place, then id set as the gateway sets it (Pome-User-Id, Pome-Team-Id,
// Pome-Team-Slug, Pome-Plan-Tier, Pome-Key-Id, Pome-Key-Role,
// Pome-Key-Environment, Pome-Key-Scopes, Pome-Key-Meta,
// Pome-Team-External-Id; docs/protect.md), and id in
// the context (FromContext). A handler behind the middleware never sees
// the key, and no client can pass it a Pome-* header of its own.
func Forward(r *http.Request, id Identity) *http.Request {
	httpapi.ForwardIdentity(r.Header, httpapi.Identity{UserID: id.UserID, TeamID: id.TeamID, TeamSlug: id.TeamSlug,
		PlanTier: id.PlanTier, KeyID: id.KeyID, Role: id.Role, Environment: id.Environment,
		TeamExternalID: id.TeamExternalID, Scopes: id.Scopes, Meta: string(id.Meta), CreditsRemaining: id.CreditsRemaining})
	return r.WithContext(WithIdentity(r.Context(), id))
}

// FromContext returns the identity the middleware put in ctx, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(*Identity)
	if !ok {
		return Identity{}, false
	}
	return *id, true
}

// Permission is what a request does with a key: read (GET, HEAD) or write
// (any other method), as on Pome's public API. A viewer key only reads
// (docs/api.md).
type Permission string

const (
	Read  Permission = "read"
	Write Permission = "write"
)

// PermissionOf is the permission a method needs.
func PermissionOf(method string) Permission {
	switch method {
	case http.MethodGet, http.MethodHead:
		return Read
	}
	return Write
}

// Action is what the permission asks of a key.
func (p Permission) Action() pome.Action {
	if p == Write {
		return pome.ActionAPIWrite
	}
	return pome.ActionAPIRead
}

// WriteError answers err as Pome's error envelope, with the response's
// X-Request-Id (a new one if the service set none). A *pome.Error answers
// with its kind's status; anything else is a 500 that shows nothing of it.
func WriteError(w http.ResponseWriter, err error) {
	h := w.Header()
	id := h.Get("X-Request-Id")
	if id == "" {
		id = pome.NewRequestID()
		h.Set("X-Request-Id", id)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	httpapi.WriteError(w, err, id)
}
