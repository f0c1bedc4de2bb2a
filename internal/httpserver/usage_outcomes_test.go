package httpserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/testenv"
)

// outcomeNodes are servers on one store and one clock, whose failure limit
// per client address is authFailures a minute.
const authFailures = 3

func outcomeRules(r *ratelimit.Rules) { r.AuthFailureIP.Limit = authFailures }

// Every verification of a known key counts once, by outcome, in its usage:
// a scripted mix of attempts through GET /v1/me and POST /v1/keys/verify on
// one node, then on three nodes sharing one PostgreSQL, and after each
// node's flush the store's per-day counts, the platform API's key and team
// usage and each node's pome_verifications_total equal the script's
// counts exactly. Unknown keys and the 429 of a client's failed
// authentications count nothing.
func TestUsageOutcomesExact(t *testing.T) {
	t.Parallel()
	t.Run("one node", func(t *testing.T) {
		t.Parallel()
		testUsageOutcomes(t, []*pometest.Server{pometest.NewServer(t, pometest.WithRules(outcomeRules))})
	})
	t.Run("three nodes on one PostgreSQL", func(t *testing.T) {
		t.Parallel()
		url := testenv.FreshSchema(t)
		clock := pometest.NewClock(pometest.Epoch)
		var nodes []*pometest.Server
		for range 3 {
			db, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatalf("postgres.Open: %v", err)
			}
			t.Cleanup(func() { db.Close() })
			nodes = append(nodes, pometest.NewServer(t, pometest.WithStore(db), pometest.WithClock(clock), pometest.WithRules(outcomeRules)))
		}
		testUsageOutcomes(t, nodes)
		// PostgreSQL's pool, as /metrics exports it (SQLite's: TestMetrics).
		r := nodes[0].Do(t, nil, "GET", "/metrics", nil, "")
		for _, want := range []string{`pome_db_pool_in_use{pool="main"}`, `pome_db_pool_idle{pool="main"}`,
			`pome_db_pool_max{pool="main"}`, `pome_db_pool_waits_total{pool="main"}`, `pome_db_pool_wait_seconds_total{pool="main"}`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("GET /metrics on PostgreSQL lacks %s", want)
			}
		}
	})
}

// scriptKey is a key of the script and what each node does with it.
type scriptKey struct {
	name    string
	team    int    // 0: acme; 1: the team banned before the script
	body    string // the creation's policies, beside its name
	attempt func(t *testing.T, s *pometest.Server, tok http.Header, key string)
	want    pome.OutcomeCounts // per node
}

func testUsageOutcomes(t *testing.T, nodes []*pometest.Server) {
	first := nodes[0]
	tok := bearer(mustServiceToken(t, first, "platform", "all").Plaintext)
	verify := func(t *testing.T, s *pometest.Server, key, extra, wantCode string) {
		t.Helper()
		r := s.Do(t, nil, "POST", "/v1/keys/verify", tok, `{"key":"`+key+`"`+extra+`}`)
		if v := decode[verifyBody](t, r); r.Status != http.StatusOK || v.Code != wantCode {
			t.Fatalf("verify %s%s = %d %s, want %s", key[:12], extra, r.Status, r.Body, wantCode)
		}
	}
	me := func(t *testing.T, s *pometest.Server, key string, status int, code string) {
		t.Helper()
		r := s.Do(t, nil, "GET", "/v1/me", hdr("Authorization", "Bearer "+key), "")
		if r.Status != status || checkErrorBody(t, "GET /v1/me", r).Code != code {
			t.Fatalf("GET /v1/me with %s = %d %s, want %d %q", key[:12], r.Status, r.Body, status, code)
		}
	}
	counts := func(pairs ...any) pome.OutcomeCounts {
		var c pome.OutcomeCounts
		for i := 0; i < len(pairs); i += 2 {
			c[pairs[i].(pome.Outcome).Index()] = int64(pairs[i+1].(int))
		}
		return c
	}
	const ip = `,"ip":"203.0.113.7"`
	keys := []*scriptKey{
		{name: "valid", attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			for range 3 {
				verify(t, s, k, ip, "VALID")
			}
		}, want: counts(pome.OutcomeValid, 3)},
		{name: "revoked", attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			me(t, s, k, 403, "key_revoked")
			me(t, s, k, 403, "key_revoked")
			verify(t, s, k, "", "REVOKED")
		}, want: counts(pome.OutcomeRevoked, 3)},
		{name: "expired", attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			verify(t, s, k, "", "EXPIRED")
			me(t, s, k, 403, "key_expired")
		}, want: counts(pome.OutcomeExpired, 2)},
		{name: "banned", team: 1, attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			verify(t, s, k, "", "TEAM_BANNED")
			verify(t, s, k, "", "TEAM_BANNED")
		}, want: counts(pome.OutcomeTeamBanned, 2)},
		{name: "disabled", body: `"enabled": false`, attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			me(t, s, k, 403, "key_disabled")
			verify(t, s, k, "", "DISABLED")
		}, want: counts(pome.OutcomeDisabled, 2)},
		{name: "cidr", body: `"allowed_cidrs": ["10.0.0.0/8"]`, attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			verify(t, s, k, ip, "IP_NOT_ALLOWED")
			verify(t, s, k, `,"ip":"10.1.2.3"`, "VALID")
			me(t, s, k, 403, "ip_not_allowed") // from 127.0.0.1
		}, want: counts(pome.OutcomeIPNotAllowed, 2, pome.OutcomeValid, 1)},
		{name: "viewer", body: `"role": "viewer"`, attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			verify(t, s, k, `,"permission":"write"`, "INSUFFICIENT_PERMISSIONS")
			verify(t, s, k, `,"permission":"write"`, "INSUFFICIENT_PERMISSIONS")
			verify(t, s, k, `,"permission":"read"`, "VALID")
		}, want: counts(pome.OutcomeInsufficientPermissions, 2, pome.OutcomeValid, 1)},
		{name: "scoped", body: `"scopes": ["docs:read"]`, attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			verify(t, s, k, `,"scopes":["billing:write"]`, "INSUFFICIENT_SCOPE")
			verify(t, s, k, `,"scopes":["docs:read"]`, "VALID")
		}, want: counts(pome.OutcomeInsufficientScope, 1, pome.OutcomeValid, 1)},
		{name: "limited", body: `"rate_limit": {"limit": 2, "window_seconds": 3600}`, attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			// Each node counts in its own memory (no Redis): 2 a node.
			verify(t, s, k, "", "VALID")
			verify(t, s, k, "", "VALID")
			for range 3 {
				verify(t, s, k, "", "RATE_LIMITED")
			}
		}, want: counts(pome.OutcomeValid, 2, pome.OutcomeRateLimited, 3)},
		{name: "guessed after failures", attempt: func(t *testing.T, s *pometest.Server, _ http.Header, k string) {
			// This client has guessed too often: a key no cache holds
			// is refused before the store says whose it is. Not an
			// outcome of the key.
			for range authFailures {
				unknown, _ := pome.DefaultKeyFormat.Generate()
				me(t, s, unknown, 401, "invalid_api_key")
			}
			me(t, s, k, 429, "rate_limit_exceeded")
		}},
	}

	// The teams and keys, made on the first node before any attempt, so
	// that no node has cached a key before its last change.
	var teams [2]client.PlatformTeam
	for i, name := range []string{"Acme", "Banned"} {
		teams[i] = decode[client.PlatformTeam](t, first.Do(t, nil, "POST", "/v1/teams", tok, `{"name":"`+name+`"}`))
	}
	plain := make(map[*scriptKey]string)
	ids := make(map[*scriptKey]string)
	for _, k := range keys {
		body := `{"name":"` + k.name + `"`
		if k.body != "" {
			body += "," + k.body
		}
		c := decode[client.CreatedKey](t, first.Do(t, nil, "POST", "/v1/teams/"+teams[k.team].ID+"/keys", tok, body+"}"))
		plain[k], ids[k] = c.Key, c.ID
	}
	for _, k := range keys {
		switch k.name {
		case "revoked":
			first.Do(t, nil, "DELETE", "/v1/keys/"+ids[k], tok, "")
		case "expired":
			first.Do(t, nil, "POST", "/v1/keys/"+ids[k]+"/roll", tok, `{"expire_old_in_hours": 0}`)
		}
	}
	if r := first.Do(t, nil, "PATCH", "/v1/teams/"+teams[1].ID, tok, `{"status":"banned"}`); r.Status != http.StatusOK {
		t.Fatalf("ban = %d %s", r.Status, r.Body)
	}

	for _, s := range nodes {
		for _, k := range keys {
			k.attempt(t, s, tok, plain[k])
		}
	}
	for i, s := range nodes {
		if err := s.Meter.Flush(t.Context()); err != nil {
			t.Fatalf("node %d: flush: %v", i, err)
		}
	}

	// What each node counted for /metrics: the script's share of one node.
	var perNode pome.OutcomeCounts
	for _, k := range keys {
		perNode.Add(&k.want)
	}
	for i, s := range nodes {
		for j, o := range pome.Outcomes {
			if got := s.Gate.OutcomeCount(o); got != uint64(perNode[j]) {
				t.Errorf("node %d: pome_verifications_total{outcome=%q} = %d, want %d", i, o, got, perNode[j])
			}
		}
	}

	n := int64(len(nodes))
	today := pometest.Epoch.UTC().Truncate(24 * time.Hour)
	var teamWant [2]pome.OutcomeCounts
	for _, k := range keys {
		var want pome.OutcomeCounts
		for j := range want {
			want[j] = k.want[j] * n
		}
		teamWant[k.team].Add(&want)
		stored, err := first.Store.DailyUsage(t.Context(), ids[k], today)
		if err != nil {
			t.Fatal(err)
		}
		var got pome.OutcomeCounts
		if len(stored) > 0 {
			got = stored[0].Outcomes
		}
		if len(stored) > 1 || got != want {
			t.Errorf("%s: stored usage %+v, want one day of %v", k.name, stored, want)
		}
		u := decode[client.KeyUsage](t, first.Do(t, nil, "GET", "/v1/keys/"+ids[k]+"/usage?days=1", tok, ""))
		if len(u.Days) != 1 || u.Days[0].Outcomes() != want || u.Days[0].Total != want.Total() || u.Days[0].Count != want.Of(pome.OutcomeValid) {
			t.Errorf("%s: GET /v1/keys/{id}/usage = %+v, want %v", k.name, u.Days, want)
		}
		key := decode[client.Key](t, first.Do(t, nil, "GET", "/v1/keys/"+ids[k], tok, ""))
		if key.UsageCount != want.Of(pome.OutcomeValid) {
			t.Errorf("%s: usage_count = %d, want the valid count %d", k.name, key.UsageCount, want.Of(pome.OutcomeValid))
		}
		if k.name == "valid" && (key.LastUsedIP == nil || *key.LastUsedIP != "203.0.113.7") {
			t.Errorf("%s: last_used_ip = %v, want the address the verify call gave", k.name, key.LastUsedIP)
		}
	}
	for i, team := range teams {
		u := decode[client.TeamUsage](t, first.Do(t, nil, "GET", "/v1/teams/"+team.ID+"/usage?days=2", tok, ""))
		if len(u.Days) != 2 || u.Days[1].Outcomes() != teamWant[i] || u.Days[0].Total != 0 {
			t.Errorf("team %s: GET /v1/teams/{id}/usage = %+v, want yesterday empty and today %v", team.Name, u.Days, teamWant[i])
		}
	}
}
