package storetest

import (
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// RunIssuedToBackfill checks the migration that records who was issued a
// key's plaintext (0005_key_issued_to), on a store whose keys were rolled
// before it: a key another member rolled is issued to that member, as the
// audit log says, and one its creator rolled to nobody else. undo takes the
// store s, returns its database to the schema before the migration (the
// column dropped, the version forgotten) and opens it again, migrating.
func RunIssuedToBackfill(t *testing.T, s pome.Store, undo func(t *testing.T, s pome.Store) pome.Store) {
	a := mustAccount(t, s, "acme")
	d := mustAccount(t, s, "dave")
	mustAddMember(t, s, a, d, pome.RoleDeveloper, t0)
	roll := func(by string, old pome.Key) pome.Key {
		t.Helper()
		repl := newKey(a, old.Name, at(time.Hour))
		repl.CreatedBy = d.User.ID // an older release wrote no IssuedTo
		ev := userEvent(pome.AuditKeyRolled, at(time.Hour), by, a.Team.ID, pome.TargetKey, old.ID).
			With(map[string]any{"new_key_id": repl.ID})
		if _, err := s.RollKey(t.Context(), pome.KeyRoll{TeamID: a.Team.ID, OldKeyID: old.ID,
			OldExpiresAt: at(2 * time.Hour), New: repl}, ev); err != nil {
			t.Fatalf("RollKey(%s) = %v, want nil", old.Name, err)
		}
		return repl
	}
	mine := func(name string) pome.Key {
		k := newKey(a, name, t0)
		k.CreatedBy = d.User.ID
		return mustCreateKey(t, s, k)
	}
	byAdmin := roll(a.User.ID, mine("rolled by an admin"))
	byCreator := roll(d.User.ID, mine("rolled by its creator"))

	s = undo(t, s)
	for _, c := range []struct {
		key  pome.Key
		want string
	}{{byAdmin, a.User.ID}, {byCreator, ""}} {
		if got := mustKeyByID(t, s, a.Team.ID, c.key.ID); got.IssuedTo != c.want {
			t.Errorf("KeyByID(%s).IssuedTo after the migration = %q, want %q", c.key.Name, got.IssuedTo, c.want)
		}
	}
}
