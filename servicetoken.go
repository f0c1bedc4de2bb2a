package pome

import (
	"slices"
	"strings"
	"time"
)

// ServiceTokenPrefix is the prefix of service tokens: a backend's credential
// for POST /v1/keys/verify. A token has the key format (docs/api.md) with this
// prefix, so secret scanners and the log redactor recognise it too.
const ServiceTokenPrefix = "pst"

// ServiceTokenFormat generates and parses service tokens.
var ServiceTokenFormat = KeyFormat{prefix: ServiceTokenPrefix + "_"}

// ServiceToken is an operator-made credential of a platform's backend. Like
// a key, only its digest is stored. It belongs to no team: it acts on every
// team, within its scopes.
type ServiceToken struct {
	ID        string // stk_ + 16 base62
	Name      string
	Prefix    string // display prefix, e.g. "pst_aB3kPqXy"
	Digest    Digest
	Scopes    []Scope // never empty: tokens made before scopes have ScopeKeysVerify
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Allows reports whether the token's scopes grant s.
func (t *ServiceToken) Allows(s Scope) bool {
	return slices.Contains(t.Scopes, s) || slices.Contains(t.Scopes, ScopeAll)
}

// Scope is what a service token may do (docs/api.md, "Service tokens").
type Scope string

// The scopes. ScopeAll is stored as itself, not expanded: it grants the
// scopes of later versions too, as a root credential is expected to.
const (
	ScopeKeysVerify    Scope = "keys:verify" // the default, and every token made before scopes
	ScopeKeysRead      Scope = "keys:read"
	ScopeKeysWrite     Scope = "keys:write"
	ScopeTeamsRead     Scope = "teams:read"
	ScopeTeamsWrite    Scope = "teams:write"
	ScopePortalWrite   Scope = "portal:write"
	ScopeWebhooksWrite Scope = "webhooks:write"
	ScopeAll           Scope = "all"
)

// Scopes lists every scope, in the order docs and help show them.
var Scopes = []Scope{ScopeKeysVerify, ScopeKeysRead, ScopeKeysWrite, ScopeTeamsRead, ScopeTeamsWrite,
	ScopePortalWrite, ScopeWebhooksWrite, ScopeAll}

// ParseScopes reads scope names, each once, in the order given (an empty
// list is ScopeKeysVerify alone); an unknown name is a 400 naming it.
func ParseScopes(names []string) ([]Scope, error) {
	if len(names) == 0 {
		return []Scope{ScopeKeysVerify}, nil
	}
	scopes := make([]Scope, 0, len(names))
	for _, n := range names {
		s := Scope(strings.TrimSpace(n))
		if !slices.Contains(Scopes, s) {
			return nil, InvalidParameter("Unknown scope %q: the scopes are %s", n, strings.Join(ScopeNames(), ", "))
		}
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return scopes, nil
}

// ScopeNames is Scopes as strings, for messages, help and completion.
func ScopeNames() []string {
	names := make([]string, len(Scopes))
	for i, s := range Scopes {
		names[i] = string(s)
	}
	return names
}

// InsufficientScope is the 403 of a service token that lacks s; the message
// names the scope, so that an operator knows which token to make.
func InsufficientScope(s Scope) *Error {
	return Errorf(Forbidden, ErrInsufficientScope.Code, "This service token lacks the '%s' scope", s)
}

// Audit actions and target type of service tokens. Their events belong to no
// team (TeamID empty) and are made by the system actor (`pome admin`).
const (
	AuditServiceTokenCreated = "service_token.created"
	AuditServiceTokenRevoked = "service_token.revoked"
	TargetServiceToken       = "service_token"
)

// Errors of service tokens.
var (
	ErrServiceTokenNotFound = &Error{Kind: NotFound, Code: "service_token_not_found", Message: "Service token not found"}
	// ErrMissingServiceToken and ErrInvalidServiceToken answer a verify
	// call without a usable service token. Unknown, malformed and revoked
	// tokens (and customers' keys) get the same answer.
	ErrMissingServiceToken = &Error{Kind: Unauthenticated, Code: "missing_service_token", Message: "No service token provided: send Authorization: Bearer <service token>"}
	ErrInvalidServiceToken = &Error{Kind: Unauthenticated, Code: "invalid_service_token", Message: "Invalid service token"}
	// ErrInsufficientScope matches every InsufficientScope error.
	ErrInsufficientScope = &Error{Kind: Forbidden, Code: "insufficient_scope", Message: "This service token lacks the scope this needs"}
)

// JoinScopes is scopes as the stores keep them: space-separated names.
func JoinScopes(scopes []Scope) string {
	var b strings.Builder
	for i, s := range scopes {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(s))
	}
	return b.String()
}

// SplitScopes reads what JoinScopes wrote.
func SplitScopes(text string) []Scope {
	fields := strings.Fields(text)
	scopes := make([]Scope, len(fields))
	for i, f := range fields {
		scopes[i] = Scope(f)
	}
	return scopes
}

// IsServiceTokenID reports whether id is a service token's: the creator of
// a key made through the platform API, where a user's id is otherwise.
func IsServiceTokenID(id string) bool { return IsID(id, "stk_") }
