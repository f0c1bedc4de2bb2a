package pome

import "time"

// ServiceTokenPrefix is the prefix of service tokens: a backend's credential
// for POST /v1/keys/verify. A token has the key format (docs/api.md) with this
// prefix, so secret scanners and the log redactor recognise it too.
const ServiceTokenPrefix = "pst"

// ServiceTokenFormat generates and parses service tokens.
var ServiceTokenFormat = KeyFormat{prefix: ServiceTokenPrefix + "_"}

// ServiceToken is an operator-made credential of a backend that verifies
// customers' keys through Pome. Like a key, only its digest is stored. It
// belongs to no team: it may verify any key.
type ServiceToken struct {
	ID        string // stk_ + 16 base62
	Name      string
	Prefix    string // display prefix, e.g. "pst_aB3kPqXy"
	Digest    Digest
	CreatedAt time.Time
	RevokedAt *time.Time
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
)
