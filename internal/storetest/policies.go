package storetest

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// withPolicies sets every policy on k, and makes it a canary.
func withPolicies(k pome.Key) pome.Key {
	k.TestMode = true
	k.Disabled = true
	k.Canary = true
	k.Scopes = []string{"docs:read", "billing:*"}
	k.Meta = `{"plan":"gold","n":[1,2]}`
	k.RateLimit = &pome.RateLimit{Limit: 7, Window: 90 * time.Second}
	k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	return k
}

var errRefused = errors.New("refused by the change")

var policyTests = []test{
	{"every read returns the policies as stored", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		plain := mustKey(t, s, a, "plain", at(time.Minute))
		full := mustCreateKey(t, s, withPolicies(newKey(a, "full", at(2*time.Minute))))
		for _, k := range []pome.Key{plain, full} {
			if got := mustKeyByID(t, s, a.Team.ID, k.ID); !sameKey(got, k) {
				t.Errorf("KeyByID = %+v, want %+v", got, k)
			}
			got, err := s.KeyByIDAnyTeam(t.Context(), k.ID)
			if err != nil || !sameKey(got, k) {
				t.Errorf("KeyByIDAnyTeam = %+v, %v; want %+v", got, err, k)
			}
			o, err := s.KeyByDigest(t.Context(), k.Digest)
			if err != nil || !sameKey(o.Key, k) {
				t.Errorf("KeyByDigest = %+v, %v; want %+v", o.Key, err, k)
			}
		}
		ks, err := s.ListKeys(t.Context(), pome.KeyFilter{TeamID: a.Team.ID, Now: at(time.Hour)})
		if err != nil || len(ks) != 2 || !sameKey(ks[0], full) || !sameKey(ks[1], plain) {
			t.Errorf("ListKeys = %+v, %v; want full then plain", ks, err)
		}
		if plain := mustKeyByID(t, s, a.Team.ID, plain.ID); plain.Scopes != nil || plain.AllowedCIDRs != nil {
			t.Errorf("a key without policies reads scopes %#v, cidrs %#v; want nil", plain.Scopes, plain.AllowedCIDRs)
		}
	}},
	{"a key made by a service token has no user creator", func(t *testing.T, s pome.Store) {
		team := mustCreateTeam(t, s, newTeam("acme", "cus_1"))
		k := newKey(account{Team: team}, "platform", at(time.Minute))
		k.CreatedBy = pome.NewID("stk_")
		mustCreateKey(t, s, k)
		o, err := s.KeyByDigest(t.Context(), k.Digest)
		if err != nil || !sameKey(o.Key, k) || o.User != (pome.User{}) || o.CreatorRole != "" || !sameTeam(o.Team, team) {
			t.Fatalf("KeyByDigest = %+v, %v; want the key, its team (external id included), no user and no creator role", o, err)
		}
	}},
	{"KeyByIDAnyTeam finds keys of every team, and nothing else", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "beta")
		ka, kb := mustKey(t, s, a, "a", t0), mustKey(t, s, b, "b", t0)
		for _, k := range []pome.Key{ka, kb} {
			if got, err := s.KeyByIDAnyTeam(t.Context(), k.ID); err != nil || got.TeamID != k.TeamID {
				t.Errorf("KeyByIDAnyTeam(%s) = %+v, %v; want the key of team %s", k.ID, got, err, k.TeamID)
			}
		}
		_, err := s.KeyByIDAnyTeam(t.Context(), pome.NewID("key_"))
		wantErr(t, "KeyByIDAnyTeam(unknown)", err, pome.ErrKeyNotFound)
	}},
	{"UpdateKey stores the change, logs it and returns the key", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		last := lastChange(t, s)
		when := at(time.Hour)
		ev := sysEvent(pome.AuditKeyUpdated, when).On(a.Team.ID, pome.TargetKey, k.ID)
		var seen pome.Key
		got, err := s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error {
			seen = *k
			*k = withPolicies(*k)
			k.Name, k.Description = "renamed", "new description"
			k.ExpiresAt, k.Lifetime = ptr(at(48*time.Hour)), 48*time.Hour
			return nil
		}, when, ev)
		if err != nil {
			t.Fatalf("UpdateKey = %v, want nil", err)
		}
		if !sameKey(seen, k) {
			t.Errorf("UpdateKey's change saw %+v, want the stored key %+v", seen, k)
		}
		want := withPolicies(k)
		want.TestMode = false // the environment is not UpdateKey's to change: a key's text says it
		want.Canary = false   // nor is a canary: it is one from its creation or never
		want.Name, want.Description, want.ExpiresAt, want.Lifetime = "renamed", "new description", ptr(at(48*time.Hour)), 48*time.Hour
		if !sameKey(got, want) {
			t.Errorf("UpdateKey returned %+v, want %+v", got, want)
		}
		if stored := mustKeyByID(t, s, a.Team.ID, k.ID); !sameKey(stored, want) {
			t.Errorf("KeyByID after UpdateKey = %+v, want %+v", stored, want)
		}
		cs := mustChanges(t, s, last, 10)
		if len(cs) != 1 || !sameChange(cs[0], pome.Change{Kind: pome.ChangeKeyUpdated, TeamID: a.Team.ID, KeyID: k.ID, At: when}) {
			t.Errorf("changes after UpdateKey = %+v, want one key_updated", cs)
		}
		mustHaveEvent(t, s, a.Team.ID, ev.ID)

		// Clearing: every policy back to none.
		_, err = s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error {
			k.Disabled, k.Scopes, k.Meta, k.RateLimit, k.AllowedCIDRs = false, nil, "", nil, nil
			return nil
		}, when, sysEvent(pome.AuditKeyUpdated, when).On(a.Team.ID, pome.TargetKey, k.ID))
		if err != nil {
			t.Fatalf("UpdateKey(clear) = %v", err)
		}
		want.Disabled, want.Scopes, want.Meta, want.RateLimit, want.AllowedCIDRs = false, nil, "", nil, nil
		if stored := mustKeyByID(t, s, a.Team.ID, k.ID); !sameKey(stored, want) {
			t.Errorf("KeyByID after clearing = %+v, want %+v", stored, want)
		}
	}},
	{"UpdateKey writes nothing when the change fails or the key is not the team's", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "beta")
		k := mustKey(t, s, a, "ci", t0)
		last := lastChange(t, s)
		_, err := s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error {
			k.Name = "lost"
			return errRefused
		}, t0, sysEvent(pome.AuditKeyUpdated, t0).On(a.Team.ID, pome.TargetKey, k.ID))
		if !errors.Is(err, errRefused) {
			t.Errorf("UpdateKey(failing change) = %v, want the change's error", err)
		}
		called := false
		_, err = s.UpdateKey(t.Context(), b.Team.ID, k.ID, func(*pome.Key) error { called = true; return nil },
			t0, sysEvent(pome.AuditKeyUpdated, t0).On(b.Team.ID, pome.TargetKey, k.ID))
		wantErr(t, "UpdateKey(another team's key)", err, pome.ErrKeyNotFound)
		if called {
			t.Error("UpdateKey called the change of a key the team does not have")
		}
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); got.Name != "ci" {
			t.Errorf("name after failed updates = %q, want ci", got.Name)
		}
		if cs := mustChanges(t, s, last, 10); len(cs) != 0 {
			t.Errorf("failed updates logged %+v, want nothing", cs)
		}
	}},
	{"concurrent UpdateKeys lose nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				scope := fmt.Sprintf("s%d", i)
				_, err := s.UpdateKey(t.Context(), a.Team.ID, k.ID, func(k *pome.Key) error {
					k.Scopes = append(k.Scopes, scope)
					return nil
				}, t0, sysEvent(pome.AuditKeyUpdated, t0).On(a.Team.ID, pome.TargetKey, k.ID))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("UpdateKey = %v", err)
			}
		}
		got := mustKeyByID(t, s, a.Team.ID, k.ID).Scopes
		slices.Sort(got)
		if len(got) != n {
			t.Errorf("scopes after %d concurrent additions = %v, want all of them", n, got)
		}
	}},
}

// RunKeyPoliciesMigration checks 0011_key_policies on keys made before it:
// run again (undo puts api_keys back as 0010 left it, forgets the
// migration and opens the store again), it keeps every key, its usage and
// its daily counts, gives each no policy, and lets a service token be a
// key's creator.
func RunKeyPoliciesMigration(t *testing.T, s pome.Store, undo func(t *testing.T, s pome.Store) pome.Store) {
	a := mustAccount(t, s, "acme")
	k := mustKey(t, s, a, "ci", t0)
	if err := s.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{5}, At: at(time.Minute), LastUsed: at(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompactUsage(t.Context(), at(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	before := mustKeyByID(t, s, a.Team.ID, k.ID)
	s = undo(t, s)
	if got := mustKeyByID(t, s, a.Team.ID, k.ID); !sameKey(got, before) {
		t.Errorf("key after the migration = %+v, want %+v", got, before)
	}
	days, err := s.DailyUsage(t.Context(), k.ID, t0.Truncate(24*time.Hour))
	if err != nil || len(days) != 1 || days[0].Outcomes[0] != 5 {
		t.Errorf("DailyUsage after the migration = %+v, %v; want one day of 5", days, err)
	}
	byToken := newKey(a, "platform", at(time.Hour))
	byToken.CreatedBy = pome.NewID("stk_")
	mustCreateKey(t, s, withPolicies(byToken))
}

func lastChange(t *testing.T, s pome.Store) int64 {
	t.Helper()
	seq, err := s.LastChange(t.Context())
	if err != nil {
		t.Fatalf("LastChange = %v", err)
	}
	return seq
}

// mustHaveEvent fails t unless the team's audit log holds the event id.
func mustHaveEvent(t *testing.T, s pome.Store, teamID, id string) {
	t.Helper()
	evs, err := s.AuditEvents(t.Context(), pome.AuditFilter{TeamID: teamID, Limit: 100})
	if err != nil {
		t.Fatalf("AuditEvents = %v", err)
	}
	for _, ev := range evs {
		if ev.ID == id {
			return
		}
	}
	t.Errorf("the audit log of %s lacks event %s", teamID, id)
}
