package apikey_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
)

// Role changes and removals made elsewhere (another node, through the
// store) reach a running verifier through the change log at its next poll:
// the key's effective role drops, and a removed member's key is refused.
func TestFollowAppliesMemberChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	admin := f.member(t, &owner.Team, pome.RoleAdmin)
	c := f.mustCreate(t, admin, apikey.CreateParams{})
	synctest.Test(t, func(t *testing.T) {
		startFollow(t, f.verifier, followEvery)
		if o, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil || o.Role != pome.RoleAdmin {
			t.Fatalf("Verify = role %q, %v, want admin", o.Role, err)
		}
		now := f.clock.Now()
		if err := f.store.SetMemberRole(t.Context(), owner.Team.ID, admin.User.ID, pome.RoleAdmin, pome.RoleViewer, now, pometest.Event(pome.AuditMemberRoleChanged)); err != nil {
			t.Fatal(err)
		}
		elapse(followEvery)
		if o, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil || o.Role != pome.RoleViewer || o.Key.Role != pome.RoleAdmin {
			t.Fatalf("Verify one poll after a demotion elsewhere = role %q (key's own %q), %v; want viewer (admin), nil", o.Role, o.Key.Role, err)
		}
		if _, err := f.store.RemoveMember(t.Context(), owner.Team.ID, admin.User.ID, pome.RoleViewer, now, pometest.Event(pome.AuditMemberRemoved)); err != nil {
			t.Fatal(err)
		}
		elapse(followEvery)
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
			t.Fatalf("Verify one poll after a removal elsewhere = %v, want key_revoked", err)
		}
	})
}

// A roll on another node shortens the old key's life on this one too, from
// the first poll of the change log.
func TestFollowAppliesRoll(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	other := apikey.New(f.store, pome.DefaultKeyFormat, apikey.NewVerifier(f.store, pome.DefaultKeyFormat, time.Minute, f.clock.Now), f.clock.Now)
	synctest.Test(t, func(t *testing.T) {
		startFollow(t, f.verifier, followEvery)
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
			t.Fatal(err)
		}
		zero := 0
		if _, err := other.Roll(t.Context(), m, c.Key.ID, apikey.RollParams{GraceHours: &zero}); err != nil {
			t.Fatal(err)
		}
		elapse(followEvery)
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyExpired) {
			t.Fatalf("Verify(key rolled elsewhere, no grace) one poll later = %v, want key_expired", err)
		}
	})
}

// An expired key's refusal is recorded once per key on a node, however
// often it is presented: one write, not one per request.
func TestExpiredRecordedOnce(t *testing.T) {
	t.Parallel()
	db := pometest.NewStore(t)
	cs := pometest.NewCountingStore(db)
	clock := pometest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	f := &fixture{store: db, clock: clock}
	v := apikey.NewVerifier(cs, pome.DefaultKeyFormat, time.Minute, clock.Now)
	f.verifier, f.keys = v, apikey.New(cs, pome.DefaultKeyFormat, v, clock.Now)
	m := f.member(t, nil, pome.RoleOwner)
	one := 1
	c := f.mustCreate(t, m, apikey.CreateParams{ExpiresInDays: &one})
	clock.Advance(48 * time.Hour)
	cs.Reset()
	for range 20 {
		if _, err := v.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyExpired) {
			t.Fatalf("Verify(expired) = %v, want key_expired", err)
		}
	}
	if n := cs.Count("AppendAudit"); n != 1 {
		t.Errorf("AppendAudit calls for 20 uses of an expired key = %d, want 1", n)
	}
	evs, err := db.AuditEvents(t.Context(), pome.AuditFilter{TeamID: m.Team.ID, Action: pome.AuditKeyExpired, Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].ActorType != pome.ActorKey || evs[0].ActorID != c.Key.ID {
		t.Errorf("key.expired events = %+v, %v, want one by the key", evs, err)
	}
}

// Rolling never extends an expiry and keeps name, description and role,
// capped at the creator's current role.
func TestRollRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	dev := f.member(t, &owner.Team, pome.RoleAdmin)
	name := "ci"
	c := f.mustCreate(t, dev, apikey.CreateParams{Name: &name, Description: "d"})
	if err := f.store.SetMemberRole(t.Context(), owner.Team.ID, dev.User.ID, pome.RoleAdmin, pome.RoleDeveloper, f.clock.Now(), pometest.Event(pome.AuditMemberRoleChanged)); err != nil {
		t.Fatal(err)
	}
	r, err := f.keys.Roll(t.Context(), owner, c.Key.ID, apikey.RollParams{})
	if err != nil {
		t.Fatalf("Roll = %v", err)
	}
	if r.Key.Name != "ci" || r.Key.Description != "d" || r.Key.Role != pome.RoleDeveloper || r.Key.CreatedBy != dev.User.ID {
		t.Errorf("replacement = %+v, want name ci, description d, role developer (capped), creator kept", r.Key)
	}
	// The owner holds the replacement's plaintext; a creator's own roll
	// issues it to nobody else.
	issuedTo := func(id string) string {
		k, err := f.keys.Get(t.Context(), owner, id)
		if err != nil {
			t.Fatalf("Get(%s) = %v", id, err)
		}
		return k.IssuedTo
	}
	if got := issuedTo(r.Key.ID); got != owner.User.ID {
		t.Errorf("replacement rolled by the owner: IssuedTo = %q, want %q", got, owner.User.ID)
	}
	own, err := f.keys.Roll(t.Context(), dev, r.Key.ID, apikey.RollParams{})
	if err != nil {
		t.Fatalf("Roll by its creator = %v", err)
	}
	if got := issuedTo(own.Key.ID); got != "" {
		t.Errorf("replacement rolled by its creator: IssuedTo = %q, want none", got)
	}
	if want := f.clock.Now().Add(24 * time.Hour); r.Old.ExpiresAt == nil || !r.Old.ExpiresAt.Equal(want) {
		t.Errorf("old expiry = %v, want %v", r.Old.ExpiresAt, want)
	}
	f.clock.Advance(time.Hour)
	week := 168
	r2, err := f.keys.Roll(t.Context(), owner, c.Key.ID, apikey.RollParams{GraceHours: &week})
	if err != nil || !r2.Old.ExpiresAt.Equal(*r.Old.ExpiresAt) {
		t.Errorf("second roll: old expiry = %v, %v, want unchanged %v", r2.Old.ExpiresAt, err, r.Old.ExpiresAt)
	}
}
