// Package httpapi holds what every HTTP front of Pome shares — the server,
// gateway mode and the pomeauth middleware: reading credentials, the client
// address limits count by, and the docs/api.md error envelope with the one
// mapping from error kind to status.
package httpapi

import (
	"net/http"
	"strings"

	"github.com/pomehq/pome"
)

// HeaderAPIKey is X-API-KEY in canonical form.
const HeaderAPIKey = "X-Api-Key"

// APIKeyFrom extracts the API key of a request from its headers (docs/api.md):
// X-API-KEY, or Authorization with the Bearer scheme (any case). Either
// header given twice, or both given with different credentials, is
// ErrConflictingCredentials; no key, an empty one, or another scheme is
// ErrMissingAPIKey. The query string, cookies and body are never read.
func APIKeyFrom(h http.Header) (string, error) {
	xs, as := h[HeaderAPIKey], h["Authorization"]
	if len(xs) > 1 || len(as) > 1 {
		return "", pome.ErrConflictingCredentials
	}
	if len(as) == 0 {
		if len(xs) == 0 || xs[0] == "" {
			return "", pome.ErrMissingAPIKey
		}
		return xs[0], nil
	}
	token, bearer := BearerToken(as[0])
	if len(xs) == 1 && (!bearer || token != xs[0]) {
		return "", pome.ErrConflictingCredentials
	}
	if !bearer || token == "" {
		return "", pome.ErrMissingAPIKey
	}
	return token, nil
}

// BearerToken parses an Authorization value of the Bearer scheme: the scheme
// in any case, then one or more spaces, then the token.
func BearerToken(v string) (token string, ok bool) {
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

// ActionOf is what a request of method asks of a key: reading (GET, HEAD)
// or writing (any other method). A viewer key only reads.
func ActionOf(method string) pome.Action {
	if method == http.MethodGet || method == http.MethodHead {
		return pome.ActionAPIRead
	}
	return pome.ActionAPIWrite
}
