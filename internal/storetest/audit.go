package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

var auditTests = []test{
	{"every field round-trips", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		ev := userEvent(pome.AuditLogin, at(time.Minute), a.User.ID, a.Team.ID, pome.TargetUser, a.User.ID).
			With(map[string]any{"reason": "wrong_password", "n": 3.0, "ids": []string{"a", "b"}})
		ev.Result = pome.ResultFailure
		ev.UserAgent = "curl/8.5 ünïcode"
		if err := s.AppendAudit(t.Context(), ev); err != nil {
			t.Fatalf("AppendAudit = %v, want nil", err)
		}
		evs := teamEvents(t, s, a.Team.ID)
		if len(evs) != 2 || !sameEvent(evs[0], ev) || evs[0].Seq <= evs[1].Seq {
			t.Fatalf("AuditEvents = %+v, want [%+v] with a Seq", evs, ev)
		}
	}},
	{"signup writes its event in the same transaction", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 1 || evs[0].Action != pome.AuditSignup {
			t.Errorf("audit of a new team = %v, want [user.signup]", actions(evs))
		}
		// A refused signup leaves no event behind.
		u := pome.User{ID: pome.NewID("usr_"), Email: a.User.Email, PasswordHash: "h", CreatedAt: t0}
		tm := pome.Team{ID: pome.NewID("tm_"), Slug: "other", Name: "Other", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: t0}
		ev := sysEvent(pome.AuditSignup, t0).On(tm.ID, pome.TargetUser, u.ID)
		wantErr(t, "CreateUserWithTeam(taken email)", s.CreateUserWithTeam(t.Context(), u, tm, ev), pome.ErrEmailTaken)
		if evs := teamEvents(t, s, tm.ID); len(evs) != 0 {
			t.Errorf("audit of a refused signup's team = %v, want none", actions(evs))
		}
	}},
	{"a change whose event is refused does not happen", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		bad := pome.AuditEvent{Action: pome.AuditKeyRevoked} // no id, actor or result
		if _, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, at(time.Hour), bad); err == nil {
			t.Fatalf("RevokeKey(incomplete event) = nil, want an error")
		}
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); got.RevokedAt != nil {
			t.Errorf("key after a revocation whose event failed: revoked at %s, want active", fmtTime(got.RevokedAt))
		}
		if cs := mustChanges(t, s, 0, 10); len(cs) != 0 {
			t.Errorf("Changes = %+v, want none", cs)
		}
	}},
	{"one event per state change, none for a no-op", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		for range 3 {
			ev := sysEvent(pome.AuditKeyRevoked, t0).On(a.Team.ID, pome.TargetKey, k.ID)
			if _, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, at(time.Hour), ev); err != nil {
				t.Fatal(err)
			}
		}
		sess := newSession(a, pome.DigestOf("tok"), t0, t0)
		login := sysEvent(pome.AuditLogin, t0)
		if err := s.CreateSession(t.Context(), sess, &login); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			logout := sysEvent(pome.AuditLogout, t0)
			if err := s.DeleteSession(t.Context(), sess.Digest, &logout); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]int{}
		for _, e := range append(teamEvents(t, s, a.Team.ID), teamEvents(t, s, "")...) {
			got[e.Action]++
		}
		want := map[string]int{pome.AuditSignup: 1, pome.AuditKeyCreated: 1, pome.AuditKeyRevoked: 1, pome.AuditLogin: 1, pome.AuditLogout: 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events by action = %v, want %v", got, want)
		}
	}},
	{"UpdateTeam writes its event", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		ev := sysEvent(pome.AuditTeamPlanChanged, t0).On(a.Team.ID, pome.TargetTeam, a.Team.ID).
			With(map[string]any{"old_plan": "free", "new_plan": "pro"})
		if err := s.UpdateTeam(t.Context(), pome.Team{ID: a.Team.ID, Status: pome.TeamActive, PlanTier: pome.PlanPro}, t0, ev); err != nil {
			t.Fatal(err)
		}
		if evs := teamEvents(t, s, a.Team.ID); len(evs) != 2 || !sameEvent(evs[0], ev) {
			t.Errorf("audit of acme = %v, want newest %+v", actions(evs), ev)
		}
	}},
	{"newest first, filters, paging with Before", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		k1, k2 := mustKey(t, s, a, "one", at(time.Minute)), mustKey(t, s, a, "two", at(2*time.Minute))
		mustKey(t, s, b, "other team", at(3*time.Minute))
		for i, k := range []pome.Key{k1, k2, k1} {
			ev := userEvent(pome.AuditKeyRolled, at(time.Duration(10+i)*time.Minute), a.User.ID, a.Team.ID, pome.TargetKey, k.ID)
			if err := s.AppendAudit(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
		all := teamEvents(t, s, a.Team.ID)
		wantAll := []string{"key.rolled", "key.rolled", "key.rolled", "key.created", "key.created", "user.signup"}
		if fmt.Sprint(actions(all)) != fmt.Sprint(wantAll) {
			t.Fatalf("AuditEvents(acme) = %v, want %v", actions(all), wantAll)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq >= all[i-1].Seq {
				t.Errorf("AuditEvents(acme) seq %d after %d: want descending", all[i].Seq, all[i-1].Seq)
			}
		}
		for _, tc := range []struct {
			name string
			f    pome.AuditFilter
			want int
		}{
			{"by action", pome.AuditFilter{Action: pome.AuditKeyCreated}, 2},
			{"by target", pome.AuditFilter{TargetID: k1.ID}, 3},
			{"by action and target", pome.AuditFilter{Action: pome.AuditKeyRolled, TargetID: k1.ID}, 2},
			{"unknown action", pome.AuditFilter{Action: "nope"}, 0},
			{"before the third", pome.AuditFilter{Before: all[2].Seq}, 3},
			{"limit", pome.AuditFilter{Limit: 2}, 2},
		} {
			tc.f.TeamID = a.Team.ID
			if tc.f.Limit == 0 {
				tc.f.Limit = 100
			}
			got, err := s.AuditEvents(t.Context(), tc.f)
			if err != nil || len(got) != tc.want {
				t.Errorf("%s: AuditEvents(%+v) = %v, %v, want %d events", tc.name, tc.f, actions(got), err, tc.want)
			}
			for _, e := range got {
				if e.TeamID != a.Team.ID || tc.f.Before > 0 && e.Seq >= tc.f.Before {
					t.Errorf("%s: AuditEvents(%+v) returned %+v", tc.name, tc.f, e)
				}
			}
		}
		// Paging two at a time walks the whole log once.
		var paged []pome.AuditEvent
		before := int64(0)
		for range 10 {
			page, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: a.Team.ID, Before: before, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			before = page[len(page)-1].Seq
		}
		if len(paged) != len(all) {
			t.Errorf("paged AuditEvents = %d events, want %d", len(paged), len(all))
		}
	}},
	{"one key.expired per key, whichever node writes it", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k1, k2 := mustKey(t, s, a, "one", t0), mustKey(t, s, a, "two", t0)
		errs := run(workers, func(w int) error {
			k := k1
			if w%2 == 1 {
				k = k2
			}
			ev := pome.NewAuditEvent(t.Context(), pome.AuditKeyExpired, t0).On(a.Team.ID, pome.TargetKey, k.ID)
			ev.ActorType, ev.ActorID, ev.Result = pome.ActorKey, k.ID, pome.ResultFailure
			return s.AppendAudit(t.Context(), ev)
		})
		for _, err := range errs {
			t.Errorf("AppendAudit(key.expired) = %v, want nil", err)
		}
		got, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: a.Team.ID, Action: pome.AuditKeyExpired, Limit: 100})
		if err != nil || len(got) != 2 || got[0].TargetID == got[1].TargetID {
			t.Errorf("key.expired events = %+v, %v, want one per key", got, err)
		}
	}},
}

var rollTests = []test{
	{"stores the replacement, moves the expiry, logs a change and the event", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		old := mustKey(t, s, a, "ci", t0)
		repl := newKey(a, "ci", at(time.Hour))
		repl.IssuedTo = pome.NewID("usr_") // rolled by another member
		ev := userEvent(pome.AuditKeyRolled, at(time.Hour), a.User.ID, a.Team.ID, pome.TargetKey, old.ID)
		seq, _ := s.LastChange(t.Context())
		got, err := s.RollKey(t.Context(), pome.KeyRoll{TeamID: a.Team.ID, OldKeyID: old.ID, ExpectedExpiresAt: nil,
			OldExpiresAt: at(25 * time.Hour), New: repl}, ev)
		want := old
		want.ExpiresAt = ptr(at(25 * time.Hour))
		want.ReplacedBy = repl.ID
		if err != nil || !sameKey(got, want) {
			t.Fatalf("RollKey = %s, %v, want %s", fmtKey(got), err, fmtKey(want))
		}
		if k := mustKeyByID(t, s, a.Team.ID, old.ID); !sameKey(k, want) {
			t.Errorf("KeyByID(rolled) = %s, want %s", fmtKey(k), fmtKey(want))
		}
		if k := mustKeyByID(t, s, a.Team.ID, repl.ID); !sameKey(k, repl) {
			t.Errorf("KeyByID(replacement) = %s, want %s", fmtKey(k), fmtKey(repl))
		}
		cs := mustChanges(t, s, seq, 10)
		wantC := pome.Change{Kind: pome.ChangeKeyUpdated, TeamID: a.Team.ID, KeyID: old.ID, At: at(time.Hour)}
		if len(cs) != 1 || !sameChange(cs[0], wantC) {
			t.Errorf("Changes after roll = %+v, want [%+v]", cs, wantC)
		}
		if evs := teamEvents(t, s, a.Team.ID); len(evs) == 0 || !sameEvent(evs[0], ev) {
			t.Errorf("newest event = %+v, want %+v", evs[0], ev)
		}
	}},
	{"refusals store nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		expiring := newKey(a, "expiring", t0)
		expiring.ExpiresAt = ptr(at(2 * time.Hour))
		mustCreateKey(t, s, expiring)
		revoked := mustKey(t, s, a, "revoked", t0)
		if _, err := s.RevokeKey(t.Context(), a.Team.ID, revoked.ID, t0, sysEvent(pome.AuditKeyRevoked, t0)); err != nil {
			t.Fatal(err)
		}
		theirs := mustKey(t, s, b, "theirs", t0)
		seq, _ := s.LastChange(t.Context())
		roll := func(keyID string, expected *time.Time) (pome.Key, error) {
			return s.RollKey(t.Context(), pome.KeyRoll{TeamID: a.Team.ID, OldKeyID: keyID, ExpectedExpiresAt: expected,
				OldExpiresAt: at(time.Hour), New: newKey(a, "repl", at(time.Hour))}, sysEvent(pome.AuditKeyRolled, t0))
		}
		_, err := roll(expiring.ID, nil) // its expiry is not nil any more
		wantErr(t, "RollKey(stale expiry)", err, pome.ErrConcurrentChange)
		_, err = roll(expiring.ID, ptr(at(3*time.Hour)))
		wantErr(t, "RollKey(other stale expiry)", err, pome.ErrConcurrentChange)
		_, err = roll(revoked.ID, nil)
		wantErr(t, "RollKey(revoked)", err, pome.ErrKeyNotActive)
		_, err = roll(theirs.ID, nil)
		wantErr(t, "RollKey(other team's key)", err, pome.ErrKeyNotFound)
		_, err = roll(pome.NewID("key_"), nil)
		wantErr(t, "RollKey(unknown)", err, pome.ErrKeyNotFound)
		if got := mustKeyByID(t, s, a.Team.ID, expiring.ID); !sameTimePtr(got.ExpiresAt, expiring.ExpiresAt) {
			t.Errorf("expiry after refused rolls = %s, want %s", fmtTime(got.ExpiresAt), fmtTime(expiring.ExpiresAt))
		}
		if ks, _ := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: a.Team.ID, Now: t0}); len(ks) != 2 {
			t.Errorf("ListKeys after refused rolls = %d keys, want 2 (no replacement stored)", len(ks))
		}
		if cs := mustChanges(t, s, seq, 10); len(cs) != 0 {
			t.Errorf("Changes after refused rolls = %+v, want none", cs)
		}
		if evs, _ := s.AuditEvents(t.Context(), pome.AuditFilter{Action: pome.AuditKeyRolled, Limit: 10}); len(evs) != 0 {
			t.Errorf("key.rolled events after refused rolls = %d, want 0", len(evs))
		}
	}},
}
