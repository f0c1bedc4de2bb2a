package httpapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pomehq/pome"
)

const testKey = "pme_aB3kPqXyZ0123456789abcdefghijkl000000"

func TestAPIKeyFrom(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		h       http.Header
		want    string
		wantErr error
	}{
		{"none", http.Header{}, "", pome.ErrMissingAPIKey},
		{"x-api-key", http.Header{"X-Api-Key": {testKey}}, testKey, nil},
		{"x-api-key empty", http.Header{"X-Api-Key": {""}}, "", pome.ErrMissingAPIKey},
		{"x-api-key repeated", http.Header{"X-Api-Key": {testKey, testKey}}, "", pome.ErrConflictingCredentials},
		{"bearer", http.Header{"Authorization": {"Bearer " + testKey}}, testKey, nil},
		{"bearer lowercase", http.Header{"Authorization": {"bearer " + testKey}}, testKey, nil},
		{"bearer mixed case, spaces", http.Header{"Authorization": {"bEaReR   " + testKey}}, testKey, nil},
		{"bearer alone", http.Header{"Authorization": {"Bearer"}}, "", pome.ErrMissingAPIKey},
		{"bearer glued", http.Header{"Authorization": {"Bearer" + testKey}}, "", pome.ErrMissingAPIKey},
		{"basic", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, "", pome.ErrMissingAPIKey},
		{"no scheme", http.Header{"Authorization": {testKey}}, "", pome.ErrMissingAPIKey},
		{"short", http.Header{"Authorization": {"Bear"}}, "", pome.ErrMissingAPIKey},
		{"authorization empty", http.Header{"Authorization": {""}}, "", pome.ErrMissingAPIKey},
		{"authorization repeated", http.Header{"Authorization": {"Bearer " + testKey, "Bearer " + testKey}}, "", pome.ErrConflictingCredentials},
		{"both equal", http.Header{"X-Api-Key": {testKey}, "Authorization": {"Bearer " + testKey}}, testKey, nil},
		{"both different", http.Header{"X-Api-Key": {testKey}, "Authorization": {"Bearer other"}}, "", pome.ErrConflictingCredentials},
		{"x-api-key and basic", http.Header{"X-Api-Key": {testKey}, "Authorization": {"Basic dXNlcjpwYXNz"}}, "", pome.ErrConflictingCredentials},
		{"empty x-api-key and bearer", http.Header{"X-Api-Key": {""}, "Authorization": {"Bearer " + testKey}}, "", pome.ErrConflictingCredentials},
		{"both empty", http.Header{"X-Api-Key": {""}, "Authorization": {"Bearer"}}, "", pome.ErrMissingAPIKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := APIKeyFrom(c.h)
			if got != c.want || !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
				t.Errorf("APIKeyFrom(%v) = %q, %v, want %q, %v", c.h, got, err, c.want, c.wantErr)
			}
		})
	}
}

// FuzzAPIKeyFrom checks the extraction's invariants on any headers: it
// returns a non-empty key that is exactly what one header carried, or one of
// the two errors, and a repeated header is always a conflict.
func FuzzAPIKeyFrom(f *testing.F) {
	// x, hasX, xRepeated, auth, hasAuth, authRepeated: a seed for every branch.
	f.Add("", false, false, "", false, false)
	f.Add(testKey, true, false, "", false, false)
	f.Add("", true, false, "", false, false)
	f.Add(testKey, true, true, "", false, false)
	f.Add("", false, false, "Bearer "+testKey, true, false)
	f.Add("", false, false, "bearer "+testKey, true, false)
	f.Add("", false, false, "Bearer", true, false)
	f.Add("", false, false, "Bearerx", true, false)
	f.Add("", false, false, "Basic dXNlcjpwYXNz", true, false)
	f.Add("", false, false, "Bearer "+testKey, true, true)
	f.Add(testKey, true, false, "Bearer "+testKey, true, false)
	f.Add(testKey, true, false, "Bearer other", true, false)
	f.Add(testKey, true, false, "Basic dXNlcjpwYXNz", true, false)
	f.Add("", true, false, "Bearer", true, false)
	f.Fuzz(func(t *testing.T, x string, hasX, xRepeated bool, auth string, hasAuth, authRepeated bool) {
		h := http.Header{}
		if hasX {
			h["X-Api-Key"] = []string{x}
			if xRepeated {
				h["X-Api-Key"] = append(h["X-Api-Key"], x)
			}
		}
		if hasAuth {
			h["Authorization"] = []string{auth}
			if authRepeated {
				h["Authorization"] = append(h["Authorization"], auth)
			}
		}
		key, err := APIKeyFrom(h)
		switch {
		case (hasX && xRepeated) || (hasAuth && authRepeated):
			if !errors.Is(err, pome.ErrConflictingCredentials) {
				t.Fatalf("APIKeyFrom(%q) = %q, %v, want conflicting_credentials", h, key, err)
			}
		case err == nil:
			if key == "" {
				t.Fatalf("APIKeyFrom(%q) = empty key, nil", h)
			}
			token, bearer := BearerToken(auth)
			if !(hasX && key == x) && !(hasAuth && bearer && key == token) {
				t.Fatalf("APIKeyFrom(%q) = %q: not a header's credential", h, key)
			}
			if hasX && hasAuth && (key != x || !bearer || key != token) {
				t.Fatalf("APIKeyFrom(%q) = %q: two different credentials accepted", h, key)
			}
		case !errors.Is(err, pome.ErrMissingAPIKey) && !errors.Is(err, pome.ErrConflictingCredentials):
			t.Fatalf("APIKeyFrom(%q) error = %v, want missing_api_key or conflicting_credentials", h, err)
		}
	})
}
