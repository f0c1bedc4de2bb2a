package storetest

import (
	"slices"
	"testing"

	"github.com/pomehq/pome"
)

// RunScopesDefault checks the migration that gives service tokens scopes
// (0006_service_token_scopes): a token made before it keeps doing exactly
// what it did, verify keys. undo takes the store s, returns its database to
// the schema before the migration (the column dropped, the version
// forgotten) and opens it again, migrating.
func RunScopesDefault(t *testing.T, s pome.Store, undo func(t *testing.T, s pome.Store) pome.Store) {
	old := mustServiceToken(t, s, "made before scopes", t0)
	s = undo(t, s)
	got, err := s.ServiceTokenByDigest(t.Context(), old.Digest)
	if want := []pome.Scope{pome.ScopeKeysVerify}; err != nil || !slices.Equal(got.Scopes, want) {
		t.Errorf("a token made before scopes, after the migration: %s, %v; want scopes %v", fmtServiceToken(got), err, want)
	}
}
