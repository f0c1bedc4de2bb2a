package httpapi

import "net/http"

// The identity headers a protected service receives from the gateway and
// from pomeauth's middlewares (docs/protect.md). Any incoming header whose
// name starts with "Pome-" or "Pome_" (any case) is removed first, so that
// no client can forge them.
const (
	HeaderUserID   = "Pome-User-Id"
	HeaderTeamID   = "Pome-Team-Id"
	HeaderTeamSlug = "Pome-Team-Slug"
	HeaderPlanTier = "Pome-Plan-Tier"
	HeaderKeyID    = "Pome-Key-Id"
	HeaderKeyRole  = "Pome-Key-Role" // effective: what the key may do now
)

// Identity is what the identity headers say.
type Identity struct {
	UserID, TeamID, TeamSlug, PlanTier, KeyID, Role string
}

// ForwardIdentity makes h, a verified request's headers, what the
// protected service sees: the credentials (X-API-KEY, Authorization) and
// every header in Pome's namespace removed, then the identity set.
func ForwardIdentity(h http.Header, id Identity) {
	delete(h, "Authorization")
	delete(h, HeaderAPIKey)
	for k := range h {
		if IsPomeHeader(k) {
			delete(h, k)
		}
	}
	h[HeaderUserID] = []string{id.UserID}
	h[HeaderTeamID] = []string{id.TeamID}
	h[HeaderTeamSlug] = []string{id.TeamSlug}
	h[HeaderPlanTier] = []string{id.PlanTier}
	h[HeaderKeyID] = []string{id.KeyID}
	h[HeaderKeyRole] = []string{id.Role}
}

// IsPomeHeader reports a header name in Pome's namespace: "Pome-" or
// "Pome_" in any case.
func IsPomeHeader(k string) bool { return HasNamePrefix(k, "pome-") }

// HasNamePrefix reports whether header name k starts with prefix (lower
// case, with dashes) in any letter case and with "_" for "-": frameworks
// that map headers to variables (CGI, WSGI, Rack) read Pome_User_Id as
// Pome-User-Id and X_Forwarded_For as X-Forwarded-For.
func HasNamePrefix(k, prefix string) bool {
	if len(k) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := k[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
