package httpapi

import (
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

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
	// The key's policies and its team's id on the platform's side.
	HeaderKeyEnvironment = "Pome-Key-Environment"  // live or test
	HeaderKeyScopes      = "Pome-Key-Scopes"       // comma-separated; absent for none
	HeaderKeyMeta        = "Pome-Key-Meta"         // base64url (no padding) of the compact JSON
	HeaderTeamExternalID = "Pome-Team-External-Id" // absent for none
	// What a key with credits has left after the request; absent for an
	// unlimited key.
	HeaderCreditsRemaining = "Pome-Credits-Remaining"
)

// Identity is what the identity headers say. UserID is empty for a key a
// service token made: its header is then absent, as are those of no
// scopes and no external id.
type Identity struct {
	UserID, TeamID, TeamSlug, PlanTier, KeyID, Role string
	Environment, TeamExternalID                     string
	Scopes                                          []string
	Meta                                            string // compact JSON object
	CreditsRemaining                                *int64 // nil: unlimited
}

// ForwardIdentity makes h, a verified request's headers, what the
// protected service sees: the credentials (X-API-KEY, Authorization) and
// every header in Pome's namespace removed, then the identity set. The
// values' slices share one array: one allocation for them all
// (TestInProcessAllocs).
func ForwardIdentity(h http.Header, id Identity) {
	delete(h, "Authorization")
	delete(h, HeaderAPIKey)
	for k := range h {
		if IsPomeHeader(k) {
			delete(h, k)
		}
	}
	v := headerValues{h: h, vals: make([]string, 0, identityHeaders)}
	v.setIf(HeaderUserID, id.UserID)
	v.set(HeaderTeamID, id.TeamID)
	v.set(HeaderTeamSlug, id.TeamSlug)
	v.set(HeaderPlanTier, id.PlanTier)
	v.set(HeaderKeyID, id.KeyID)
	v.set(HeaderKeyRole, id.Role)
	v.set(HeaderKeyEnvironment, id.Environment)
	v.setIf(HeaderKeyScopes, strings.Join(id.Scopes, ","))
	v.set(HeaderKeyMeta, encodeMeta(id.Meta))
	v.setIf(HeaderTeamExternalID, id.TeamExternalID)
	if c := id.CreditsRemaining; c != nil {
		v.set(HeaderCreditsRemaining, strconv.FormatInt(*c, 10))
	}
}

// identityHeaders is how many headers ForwardIdentity may set.
const identityHeaders = 11

// headerValues sets header values, each a one-element slice of vals.
type headerValues struct {
	h    http.Header
	vals []string
}

func (v *headerValues) set(k, val string) {
	n := len(v.vals)
	v.vals = append(v.vals, val)
	v.h[k] = v.vals[n : n+1 : n+1]
}

func (v *headerValues) setIf(k, val string) {
	if val != "" {
		v.set(k, val)
	}
}

// emptyMeta is Pome-Key-Meta for a key without meta: {} encoded.
var emptyMeta = base64.RawURLEncoding.EncodeToString([]byte("{}"))

// encodeMeta is Pome-Key-Meta's value: base64url, no padding, of the key's
// compact JSON meta ({} for none).
func encodeMeta(meta string) string {
	if meta == "" || meta == "{}" {
		return emptyMeta
	}
	return base64.RawURLEncoding.EncodeToString([]byte(meta))
}

// SetRetryAfter sets Retry-After to d in whole seconds, rounded up, when d
// is positive: a key without credits learns when its refill comes.
func SetRetryAfter(h http.Header, d time.Duration) {
	if d > 0 {
		h["Retry-After"] = []string{strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)}
	}
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

// IdentityOf is what the identity headers say of a verified key.
func IdentityOf(o *pome.KeyOwner) Identity {
	return Identity{UserID: o.User.ID, TeamID: o.Team.ID, TeamSlug: o.Team.Slug, PlanTier: o.Team.PlanTier,
		KeyID: o.Key.ID, Role: string(o.Role), Environment: o.Key.Environment(),
		TeamExternalID: o.Team.ExternalID, Scopes: o.Key.Scopes, Meta: o.Key.Meta}
}
