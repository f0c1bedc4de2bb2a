package client_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
)

// A UsageDay's fields are the outcomes of pome.Outcomes, each under its
// own name on the wire, with count the valid ones and total their sum; and
// Outcomes reads back what NewUsageDay was given.
func TestUsageDayFields(t *testing.T) {
	t.Parallel()
	var c pome.OutcomeCounts
	for i := range c {
		c[i] = int64(i + 1)
	}
	d := client.NewUsageDay("2026-12-06", &c)
	if d.Outcomes() != c {
		t.Errorf("Outcomes() = %v, want %v", d.Outcomes(), c)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var wire map[string]any
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	for i, o := range pome.Outcomes {
		if got := wire[string(o)]; got != float64(i+1) {
			t.Errorf("%s = %v, want %d", o, got, i+1)
		}
	}
	if wire["count"] != float64(1) || wire["total"] != float64(c.Total()) || wire["date"] != "2026-12-06" || len(wire) != len(pome.Outcomes)+3 {
		t.Errorf("day = %s, want date, count (valid), total and every outcome", b)
	}
}

// The platform API's usage calls: a key's and a team's verifications by
// outcome, the errors of the API as the SDK's.
func TestPlatformUsage(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	ctx := t.Context()
	tok, err := s.ServiceTokens.Create(ctx, "platform", []string{"teams:write", "keys:read", "keys:write"})
	if err != nil {
		t.Fatal(err)
	}
	p := client.New(s.URL, client.WithServiceToken(tok.Plaintext))
	team := platformTeam(t, p, "Acme")
	k, err := p.CreatePlatformKey(ctx, team.ID, client.CreateKeyParams{Name: "ci", Scopes: []string{"docs:read"}})
	if err != nil {
		t.Fatal(err)
	}
	kc := client.New(s.URL, client.WithAPIKey(k.Key))
	if _, err := kc.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RevokePlatformKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = kc.Me(ctx)
	mustAPIError(t, "Me(revoked)", err, http.StatusForbidden, "key_revoked")
	if err := s.Meter.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	u, err := p.PlatformKeyUsage(ctx, k.ID, 3)
	if err != nil {
		t.Fatalf("PlatformKeyUsage = %v", err)
	}
	if d := u.Days[2]; u.KeyID != k.ID || len(u.Days) != 3 || d.Valid != 1 || d.Revoked != 1 || d.Total != 2 || u.Total() != 1 {
		t.Errorf("PlatformKeyUsage(3) = %+v, want 3 days, today 1 valid and 1 revoked", u)
	}
	tu, err := p.PlatformTeamUsage(ctx, team.ID, 0)
	if err != nil || len(tu.Days) != 30 || tu.Days[29] != u.Days[2] {
		t.Errorf("PlatformTeamUsage(0) = %+v, %v; want 30 days, today the key's %+v", tu, err, u.Days[2])
	}
	_, err = p.PlatformKeyUsage(ctx, "key_0000000000000000", 1)
	mustAPIError(t, "PlatformKeyUsage(unknown)", err, http.StatusNotFound, "key_not_found")
	_, err = p.PlatformTeamUsage(ctx, "tm_0000000000000000", 1)
	mustAPIError(t, "PlatformTeamUsage(unknown)", err, http.StatusNotFound, "team_not_found")
	_, err = p.PlatformTeamUsage(ctx, team.ID, 91)
	mustAPIError(t, "PlatformTeamUsage(91)", err, http.StatusBadRequest, "invalid_parameter")
}
