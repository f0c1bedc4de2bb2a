package httpserver

import (
	"context"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
)

// authorizeKey authenticates a public API request by its API key and checks
// that the key's effective role (the lower of its own and its creator's
// current role) may use the request's method (SPEC §4: a viewer key reads only). It is the one gate of the public API: gateway mode reuses it.
//
// keyGate.authorize wraps it with the rate limits: gate, if not nil, is
// called before the store is read (see apikey.Verifier.VerifyGated).
func authorizeKey(r *http.Request, v *apikey.Verifier, gate func() error) (pome.KeyOwner, error) {
	return authorizeKeyCtx(r.Context(), r, v, gate)
}

// authorizeKeyCtx is authorizeKey verifying under ctx (keyGate passes
// requestContext's, which carries the request info an expired key's audit
// event records).
func authorizeKeyCtx(ctx context.Context, r *http.Request, v *apikey.Verifier, gate func() error) (pome.KeyOwner, error) {
	candidate, err := httpapi.APIKeyFrom(r.Header)
	if err != nil {
		return pome.KeyOwner{}, err
	}
	owner, err := v.VerifyGated(ctx, candidate, gate)
	if err != nil {
		return pome.KeyOwner{}, err
	}
	// The effective role: a key never does more than its creator can now.
	if !owner.Role.Can(actionOf(r.Method)) {
		return pome.KeyOwner{}, pome.ErrInsufficientPermissions
	}
	return owner, nil
}

// actionOf is the permission a method needs on the public API.
func actionOf(method string) pome.Action {
	if method == http.MethodGet || method == http.MethodHead {
		return pome.ActionAPIRead
	}
	return pome.ActionAPIWrite
}
