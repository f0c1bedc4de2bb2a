package pome

import "time"

// PortalLink is a one-time link of POST /v1/portal/sessions (docs/api.md,
// "Portal sessions"): opened once before ExpiresAt, it signs Email in to
// the dashboard of TeamID with at least Role. Only the digest of its token
// is stored.
type PortalLink struct {
	Digest    Digest
	TeamID    string
	Email     string // lower-cased
	Role      Role
	ReturnURL string // the platform's page the dashboard links back to; "" for none
	CreatedBy string // the service token that made it: the actor of what opening it does
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PortalOpened is what Store.OpenPortalLink did: the link it consumed, the
// user it signed in, whether it created them, and their role in the link's
// team before (Was, "" when they were not a member) and after.
type PortalOpened struct {
	Link    PortalLink
	User    User
	NewUser bool
	Was     Role
	Role    Role
}
