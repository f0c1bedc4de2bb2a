package apikey_test

import (
	"errors"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
)

// A leak report revokes an active key at once, recorded as key.leaked by
// nobody known with where it was found; it leaves a canary armed, recording
// the report as its use; it changes nothing for a revoked key, an unknown
// key or a token that is no key, and says which of them were keys.
func TestReportLeak(t *testing.T) {
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	active := f.mustCreate(t, m, apikey.CreateParams{})
	canary := f.mustCreate(t, m, apikey.CreateParams{PolicyParams: apikey.PolicyParams{Canary: true}})
	revoked := f.mustCreate(t, m, apikey.CreateParams{})
	if _, err := f.keys.Revoke(t.Context(), m, revoked.Key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.verifier.Verify(t.Context(), active.Plaintext); err != nil {
		t.Fatalf("Verify(active) = %v before the report", err)
	}
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	leak := apikey.Leak{Source: "github:commit", URL: "https://github.com/o/r/blob/abc/config.yml"}
	for _, c := range []struct {
		name, token string
		found       bool
	}{
		{"active", active.Plaintext, true},
		{"again", active.Plaintext, true},
		{"canary", canary.Plaintext, true},
		{"revoked", revoked.Plaintext, true},
		{"unknown", unknown, false},
		{"no key", "pme_nothing", false},
	} {
		if found, err := f.keys.ReportLeak(t.Context(), c.token, leak); found != c.found || err != nil {
			t.Errorf("ReportLeak(%s) = %v, %v; want %v, nil", c.name, found, err, c.found)
		}
	}
	if _, err := f.verifier.Verify(t.Context(), active.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
		t.Errorf("Verify(reported) = %v, want %v at once", err, pome.ErrKeyRevoked)
	}
	evs, err := f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: m.Team.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, ev := range evs {
		counts[ev.Action]++
		switch ev.Action {
		case pome.AuditKeyLeaked, pome.AuditKeyCanaryUsed:
			want := active.Key.ID
			if ev.Action == pome.AuditKeyCanaryUsed {
				want = canary.Key.ID
			}
			if ev.TargetID != want || ev.ActorType != pome.ActorAnonymous ||
				ev.Details["source"] != leak.Source || ev.Details["url"] != leak.URL {
				t.Errorf("%s = %+v, want on %s by anonymous with the leak's source and url", ev.Action, ev, want)
			}
		}
	}
	if counts[pome.AuditKeyLeaked] != 1 || counts[pome.AuditKeyCanaryUsed] != 1 || counts[pome.AuditKeyRevoked] != 1 {
		t.Errorf("events = %v, want one key.leaked, one key.canary_used and the one key.revoked of the setup", counts)
	}
	if k, err := f.keys.Get(t.Context(), m, canary.Key.ID); err != nil || k.RevokedAt != nil {
		t.Errorf("reported canary = %+v, %v; want still active", k, err)
	}
}
