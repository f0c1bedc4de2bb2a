package httpserver

import (
	"net/http"
	"strings"

	"github.com/pomehq/pome"
)

// headerAPIKey is X-API-KEY in canonical form.
const headerAPIKey = "X-Api-Key"

// apiKeyFrom extracts the API key of a request from its headers (SPEC §3):
// X-API-KEY, or Authorization with the Bearer scheme (any case). Either
// header given twice, or both given with different credentials, is
// ErrConflictingCredentials; no key, an empty one, or another scheme is
// ErrMissingAPIKey. The query string, cookies and body are never read.
func apiKeyFrom(h http.Header) (string, error) {
	xs, as := h[headerAPIKey], h["Authorization"]
	if len(xs) > 1 || len(as) > 1 {
		return "", pome.ErrConflictingCredentials
	}
	if len(as) == 0 {
		if len(xs) == 0 || xs[0] == "" {
			return "", pome.ErrMissingAPIKey
		}
		return xs[0], nil
	}
	token, bearer := bearerToken(as[0])
	if len(xs) == 1 && (!bearer || token != xs[0]) {
		return "", pome.ErrConflictingCredentials
	}
	if !bearer || token == "" {
		return "", pome.ErrMissingAPIKey
	}
	return token, nil
}

// bearerToken parses an Authorization value of the Bearer scheme: the scheme
// in any case, then one or more spaces, then the token.
func bearerToken(v string) (token string, ok bool) {
	const scheme = "Bearer"
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false
	}
	rest := v[len(scheme):]
	if rest == "" {
		return "", true
	}
	if rest[0] != ' ' {
		return "", false // "Bearerx...": another scheme
	}
	return strings.TrimLeft(rest, " "), true
}
