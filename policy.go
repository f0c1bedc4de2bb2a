package pome

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// The policies a key carries (docs/api.md, "Key policies"). Their rules of
// form live here, once; authz.Gate enforces them, in the order of
// docs/api.md's table.

// Limits of the policies.
const (
	MaxKeyScopes   = 50
	maxKeyScopeLen = 64
	MaxKeyCIDRs    = 50
	MaxKeyMetaSize = 4 << 10 // bytes of the compact JSON
	// MaxKeyRateWindow bounds a key's own rate-limit window.
	MaxKeyRateWindow = 24 * time.Hour
)

// The policy errors of verification: the rows of docs/api.md's table that a
// key's own policies add.
var (
	ErrKeyDisabled  = &Error{Kind: Forbidden, Code: "key_disabled", Message: "API key is disabled"}
	ErrIPNotAllowed = &Error{Kind: Forbidden, Code: "ip_not_allowed",
		Message: "The client address is not in this API key's allowed_cidrs"}
	// ErrKeyInsufficientScope is a key's 403 when the call needs a scope
	// the key lacks. Its code is that of a service token's
	// (ErrInsufficientScope), so that one errors.Is matches both.
	ErrKeyInsufficientScope = &Error{Kind: Forbidden, Code: ErrInsufficientScope.Code,
		Message: "API key lacks a scope this needs"}
)

// RateLimit is a key's own limit, which replaces its team plan's: at most
// Limit requests per Window.
type RateLimit struct {
	Limit  int
	Window time.Duration // whole seconds, 1 s to MaxKeyRateWindow
}

// CheckKeyScopes checks a key's scopes: at most MaxKeyScopes, each 1 to 64
// characters of [a-z0-9_.:*-]. A "*" is a wildcard only as the whole scope or
// after the last ":" ("docs:*"); elsewhere it is a character like any
// other. Duplicates are dropped; the order is kept.
func CheckKeyScopes(scopes []string) ([]string, error) {
	if len(scopes) > MaxKeyScopes {
		return nil, InvalidParameter("'scopes' may hold at most %d scopes", MaxKeyScopes)
	}
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if len(s) == 0 || len(s) > maxKeyScopeLen || !isScopeText(s) {
			return nil, InvalidParameter("'scopes' holds %q: a scope is 1 to %d characters of a-z, 0-9, _ . : * -",
				s, maxKeyScopeLen)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func isScopeText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("_.:*-", c) >= 0) {
			return false
		}
	}
	return true
}

// ScopesCover reports whether the granted scopes cover every required one.
// A granted "*" covers everything; "docs:*" covers "docs:read" and
// "docs:admin:write", never "docsearch:read". It does not allocate:
// TestScopesCoverAllocs.
func ScopesCover(granted, required []string) bool {
	for _, r := range required {
		if !scopeGranted(granted, r) {
			return false
		}
	}
	return true
}

func scopeGranted(granted []string, r string) bool {
	for _, g := range granted {
		if g == r || g == "*" {
			return true
		}
		if n := len(g); n >= 2 && g[n-1] == '*' && g[n-2] == ':' && strings.HasPrefix(r, g[:n-1]) {
			return true
		}
	}
	return false
}

// MissingScope returns the first required scope that granted does not
// cover, for the refusal's message.
func MissingScope(granted, required []string) string {
	for _, r := range required {
		if !scopeGranted(granted, r) {
			return r
		}
	}
	return ""
}

// KeyInsufficientScope is ErrKeyInsufficientScope naming the scope.
func KeyInsufficientScope(scope string) *Error {
	return Errorf(Forbidden, ErrInsufficientScope.Code, "API key lacks the '%s' scope", scope)
}

// ParseCIDRs reads a key's allowed_cidrs: at most MaxKeyCIDRs IPv4 or IPv6
// prefixes ("10.0.0.0/8", "2001:db8::/32"); a bare address is the prefix of
// that one address. Host bits are cleared ("10.1.2.3/8" is 10.0.0.0/8), an
// IPv4-mapped IPv6 prefix is its IPv4 one, and duplicates are dropped.
func ParseCIDRs(cidrs []string) ([]netip.Prefix, error) {
	if len(cidrs) > MaxKeyCIDRs {
		return nil, InvalidParameter("'allowed_cidrs' may hold at most %d prefixes", MaxKeyCIDRs)
	}
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, c := range cidrs {
		p, err := parseCIDR(c)
		if err != nil {
			return nil, InvalidParameter("'allowed_cidrs' holds %q, which is not an IPv4 or IPv6 address or CIDR prefix", c)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func parseCIDR(c string) (netip.Prefix, error) {
	if !strings.Contains(c, "/") {
		a, err := netip.ParseAddr(c)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, errBadCIDR
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(c)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a := p.Addr(); a.Is4In6() {
		bits := p.Bits() - 96
		if bits < 0 {
			return netip.Prefix{}, errBadCIDR
		}
		p = netip.PrefixFrom(a.Unmap(), bits)
	}
	return p.Masked(), nil
}

var errBadCIDR = InvalidParameter("not a CIDR prefix")

// CIDRsAllow reports whether addr is in one of the prefixes; the zero Addr
// (the client's address unknown) is in none. It does not allocate.
func CIDRsAllow(cidrs []netip.Prefix, addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range cidrs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// JoinCIDRs is prefixes as the stores keep them: space-separated.
func JoinCIDRs(cidrs []netip.Prefix) string {
	var b strings.Builder
	for i, p := range cidrs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// SplitCIDRs reads what JoinCIDRs wrote; an unreadable prefix (which no
// store writes) is an error.
func SplitCIDRs(s string) ([]netip.Prefix, error) {
	if s == "" {
		return nil, nil
	}
	fields := strings.Fields(s)
	out := make([]netip.Prefix, len(fields))
	for i, f := range fields {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// JoinKeyScopes and SplitKeyScopes are a key's scopes as the stores keep
// them: space-separated (a scope holds no space).
func JoinKeyScopes(scopes []string) string { return strings.Join(scopes, " ") }

// SplitKeyScopes reads what JoinKeyScopes wrote.
func SplitKeyScopes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

// CheckKeyMeta checks a key's meta, as the caller sent it: a JSON object
// of at most MaxKeyMetaSize bytes once compacted, which is what it returns
// ("" for an empty object: a key's Meta is "" when it has none). JSON null
// is the empty object.
func CheckKeyMeta(raw json.RawMessage) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", InvalidParameter("'meta' must be a JSON object")
	}
	b := buf.Bytes()
	switch {
	case string(b) == "null" || string(b) == "{}":
		return "", nil
	case len(b) == 0 || b[0] != '{':
		return "", InvalidParameter("'meta' must be a JSON object")
	case len(b) > MaxKeyMetaSize:
		return "", InvalidParameter("'meta' must be at most %d bytes of JSON, not %d", MaxKeyMetaSize, len(b))
	}
	return string(b), nil
}

// KeyMetaJSON is a key's meta as JSON: "{}" when it has none.
func KeyMetaJSON(meta string) string {
	if meta == "" {
		return "{}"
	}
	return meta
}
