package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

var changeTests = []test{
	{"empty log", func(t *testing.T, s pome.Store) {
		if seq, err := s.LastChange(t.Context()); err != nil || seq != 0 {
			t.Errorf("LastChange() = %d, %v, want 0, nil", seq, err)
		}
		if cs := mustChanges(t, s, 0, 10); len(cs) != 0 {
			t.Errorf("Changes(0, 10) = %+v, want []", cs)
		}
	}},
	{"paging with after and limit", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		var want []pome.Change
		for i := range 5 {
			k := mustKey(t, s, a, "k", t0)
			when := at(time.Duration(i+1) * time.Minute)
			if _, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, when, sysEvent(pome.AuditKeyRevoked, when)); err != nil {
				t.Fatalf("RevokeKey = %v, want nil", err)
			}
			want = append(want, pome.Change{Kind: pome.ChangeKeyRevoked, TeamID: a.Team.ID, KeyID: k.ID, At: when})
		}
		if err := s.UpdateTeam(t.Context(), pome.Team{ID: a.Team.ID, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, at(time.Hour), sysEvent(pome.AuditTeamBanned, at(time.Hour))); err != nil {
			t.Fatalf("UpdateTeam = %v, want nil", err)
		}
		want = append(want, pome.Change{Kind: pome.ChangeTeamUpdated, TeamID: a.Team.ID, At: at(time.Hour)})

		// Page through two at a time, as a poller does.
		var got []pome.Change
		after := int64(0)
		for range 10 {
			page := mustChanges(t, s, after, 2)
			if len(page) > 2 {
				t.Fatalf("Changes(%d, 2) returned %d entries", after, len(page))
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				if c.Seq <= after {
					t.Fatalf("Changes(%d, 2) returned seq %d, want > %d, ascending", after, c.Seq, after)
				}
				after = c.Seq
			}
			got = append(got, page...)
		}
		if len(got) != len(want) {
			t.Fatalf("paged Changes = %+v, want %d entries %+v", got, len(want), want)
		}
		for i := range want {
			if !sameChange(got[i], want[i]) {
				t.Errorf("paged Changes[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		if seq, err := s.LastChange(t.Context()); err != nil || seq != got[len(got)-1].Seq {
			t.Errorf("LastChange() = %d, %v, want %d", seq, err, got[len(got)-1].Seq)
		}
		if cs := mustChanges(t, s, after, 10); len(cs) != 0 {
			t.Errorf("Changes(%d, 10) past the end = %+v, want []", after, cs)
		}
		if cs := mustChanges(t, s, got[2].Seq, 100); len(cs) != len(want)-3 {
			t.Errorf("Changes(%d, 100) = %d entries, want %d", got[2].Seq, len(cs), len(want)-3)
		}
	}},
}

var errorTests = []test{
	{"Ping", func(t *testing.T, s pome.Store) {
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping() = %v, want nil", err)
		}
	}},
	{"cancelled context stays a context error", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", t0)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for name, call := range map[string]func() error{
			"KeyByDigest": func() error { _, err := s.KeyByDigest(ctx, k.Digest); return err },
			"ListKeys":    func() error { _, err := s.ListKeys(ctx, pome.KeyFilter{TeamID: a.Team.ID, Now: t0}); return err },
			"AddUsage": func() error {
				return s.AddUsage(ctx, []pome.UsageDelta{{KeyID: k.ID, Outcomes: pome.OutcomeCounts{1}, At: t0, LastUsed: t0}})
			},
			"RevokeKey": func() error {
				_, err := s.RevokeKey(ctx, a.Team.ID, k.ID, t0, sysEvent(pome.AuditKeyRevoked, t0))
				return err
			},
		} {
			if err := call(); !errorsIsCanceled(err) {
				t.Errorf("%s(cancelled ctx) = %v, want context.Canceled", name, err)
			}
		}
		// Nothing of the cancelled writes was applied.
		if got := mustKeyByID(t, s, a.Team.ID, k.ID); got.RevokedAt != nil || got.UsageCount != 0 {
			t.Errorf("KeyByID(%q) after cancelled writes = %s, want unchanged", k.ID, fmtKey(got))
		}
	}},
}
