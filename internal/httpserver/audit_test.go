package httpserver_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// only returns the one event of action about target among evs, failing
// unless there is exactly one.
func only(t *testing.T, evs []pome.AuditEvent, action, targetID string) pome.AuditEvent {
	t.Helper()
	var found []pome.AuditEvent
	for _, e := range evs {
		if e.Action == action && e.TargetID == targetID {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s events about %s = %d, want exactly 1 (all: %v)", action, targetID, len(found), evActions(evs))
	}
	return found[0]
}

func evActions(evs []pome.AuditEvent) []string {
	as := make([]string, len(evs))
	for i, e := range evs {
		as[i] = e.Action + ":" + e.Result
	}
	return as
}

func wantActor(t *testing.T, e pome.AuditEvent, typ, id string) {
	t.Helper()
	if e.ActorType != typ || e.ActorID != id {
		t.Errorf("%s actor = %s %q, want %s %q", e.Action, e.ActorType, e.ActorID, typ, id)
	}
}

// Each audited action leaves exactly one event, with the right actor,
// target and request metadata; and no event holds a plaintext key, a
// password, a session token, or their digests.
func TestAuditEvents(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	ua := hdr("User-Agent", "audit-test/1.0", "X-Request-Id", "req-audit-signup")

	// signup
	signup := s.Client()
	r := s.Do(t, signup, "POST", "/api/auth/signup", ua, `{"email":"alice@example.com","password":"`+pometest.Password+`"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("signup: %d %s", r.Status, r.Body)
	}
	tokens := []string{sessionToken(t, r)}
	sess := s.Session(t, signup)
	aliceID, teamID := sess.User.ID, sess.Teams[0].ID
	e := only(t, s.Audit(t, teamID), pome.AuditSignup, aliceID)
	wantActor(t, e, pome.ActorUser, aliceID)
	if e.RequestID != "req-audit-signup" || e.UserAgent != "audit-test/1.0" || e.IP != "127.0.0.1" || e.Result != pome.ResultSuccess {
		t.Errorf("signup event metadata = %q %q %q %q, want the request's id, user agent, loopback IP, success", e.RequestID, e.UserAgent, e.IP, e.Result)
	}
	if n := len(s.Audit(t, "")); n != 0 {
		t.Errorf("login events after a signup = %d, want 0 (the signup records its session)", n)
	}

	// login success and failures, logout
	alice := s.Login(t, "alice@example.com")
	s.Do(t, nil, "POST", "/api/auth/login", nil, `{"email":"alice@example.com","password":"wrong password 123"}`)
	s.Do(t, nil, "POST", "/api/auth/login", nil, `{"email":"nobody@example.com","password":"`+pometest.Password+`"}`)
	logout := s.Login(t, "alice@example.com")
	r = s.Do(t, logout, "POST", "/api/auth/logout", nil, "")
	if r.Status != 200 {
		t.Fatalf("logout: %d", r.Status)
	}
	s.Do(t, logout, "POST", "/api/auth/logout", nil, "") // a second logout: nothing to record
	users := s.Audit(t, "")
	var logins, failures, logouts int
	for _, e := range users {
		switch {
		case e.Action == pome.AuditLogin && e.Result == pome.ResultSuccess:
			logins++
			wantActor(t, e, pome.ActorUser, aliceID)
		case e.Action == pome.AuditLogin:
			failures++
			if e.Details["reason"] == "wrong_password" {
				wantActor(t, e, pome.ActorUser, aliceID)
			} else {
				wantActor(t, e, pome.ActorAnonymous, "")
			}
		case e.Action == pome.AuditLogout:
			logouts++
			wantActor(t, e, pome.ActorUser, aliceID)
		}
	}
	if logins != 2 || failures != 2 || logouts != 1 || len(users) != 5 {
		t.Errorf("user events = %v, want 2 logins, 2 failures, 1 logout", evActions(users))
	}

	// keys: created, revoked (twice: one event), rolled, expired on use (thrice: one event)
	k := s.CreateKeyWith(t, alice, `{"name":"ci"}`)
	s.Do(t, alice, "DELETE", "/api/keys/"+k.ID, nil, "")
	s.Do(t, alice, "DELETE", "/api/keys/"+k.ID, nil, "")
	k2 := s.CreateKeyWith(t, alice, `{"name":"rolled"}`)
	rolled := mustRoll(t, s, alice, k2.ID, `{"expire_old_in_hours":1}`)
	s.Clock.Advance(time.Hour)
	for range 3 {
		if st, code := meStatus(t, s, k2.Key); st != 403 || code != "key_expired" {
			t.Fatalf("GET /v1/me with the rolled key after its grace = %d %s", st, code)
		}
	}
	evs := s.Audit(t, teamID)
	wantActor(t, only(t, evs, pome.AuditKeyCreated, k.ID), pome.ActorUser, aliceID)
	wantActor(t, only(t, evs, pome.AuditKeyRevoked, k.ID), pome.ActorUser, aliceID)
	e = only(t, evs, pome.AuditKeyRolled, k2.ID)
	wantActor(t, e, pome.ActorUser, aliceID)
	if e.Details["new_key_id"] != rolled.ID {
		t.Errorf("key.rolled details = %v, want new_key_id %s", e.Details, rolled.ID)
	}
	e = only(t, evs, pome.AuditKeyExpired, k2.ID)
	wantActor(t, e, pome.ActorKey, k2.ID)
	if e.Result != pome.ResultFailure || e.TeamID != teamID {
		t.Errorf("key.expired = %+v, want a failure of team %s", e, teamID)
	}

	// members: invited, added (by accepting), role changed, removed with
	// the keys it revoked; an invitation revoked
	bob := s.Signup(t, "bob@example.com")
	s.Clock.Advance(time.Minute)
	bobID := s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
	var carolInv struct{ ID string }
	s.Do(t, alice, "POST", "/api/team/invitations", nil, `{"email":"carol@example.com","role":"viewer"}`).DecodeJSON(t, &carolInv)
	s.Do(t, alice, "DELETE", "/api/team/invitations/"+carolInv.ID, nil, "")
	r = s.Do(t, bob, "POST", "/api/keys?team=alice", nil, `{"name":"bob's"}`)
	bobKey := decode[pometest.CreatedKey](t, r)
	s.Do(t, alice, "PATCH", "/api/team/members/"+bobID, nil, `{"role":"viewer"}`)
	s.Do(t, alice, "DELETE", "/api/team/members/"+bobID, nil, "")
	evs = s.Audit(t, teamID)
	e = only(t, evs, pome.AuditMemberAdded, bobID)
	wantActor(t, e, pome.ActorUser, bobID) // the invited user accepts
	if !strings.HasPrefix(fmt.Sprint(e.Details["invitation_id"]), "inv_") || e.Details["role"] != "developer" {
		t.Errorf("member.added details = %v, want the invitation id and role developer", e.Details)
	}
	for _, action := range []string{pome.AuditMemberInvited, pome.AuditInvitationRevoked} {
		e = only(t, evs, action, carolInv.ID)
		wantActor(t, e, pome.ActorUser, aliceID)
		if e.TargetType != pome.TargetInvitation || e.Details["email"] != "carol@example.com" || e.Details["role"] != "viewer" {
			t.Errorf("%s = %+v, want on the invitation, with carol's email and role", action, e)
		}
	}
	e = only(t, evs, pome.AuditMemberRoleChanged, bobID)
	if e.Details["old_role"] != "developer" || e.Details["new_role"] != "viewer" {
		t.Errorf("member.role_changed details = %v", e.Details)
	}
	e = only(t, evs, pome.AuditMemberRemoved, bobID)
	if fmt.Sprint(e.Details["revoked_keys"]) != fmt.Sprint([]any{bobKey.ID}) {
		t.Errorf("member.removed revoked_keys = %v, want [%s]", e.Details["revoked_keys"], bobKey.ID)
	}

	// team: banned, unbanned, plan changed, by the operator (system)
	ctx := t.Context()
	for _, step := range []func() (pome.Team, error){
		func() (pome.Team, error) { return s.Accounts.SetTeamStatus(ctx, "alice", pome.TeamBanned) },
		func() (pome.Team, error) { return s.Accounts.SetTeamStatus(ctx, "alice", pome.TeamBanned) }, // no change: no event
		func() (pome.Team, error) { return s.Accounts.SetTeamStatus(ctx, "alice", pome.TeamActive) },
		func() (pome.Team, error) { return s.Accounts.SetTeamPlan(ctx, "alice", pome.PlanPro) },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	evs = s.Audit(t, teamID)
	for _, a := range []string{pome.AuditTeamBanned, pome.AuditTeamUnbanned, pome.AuditTeamPlanChanged} {
		wantActor(t, only(t, evs, a, teamID), pome.ActorSystem, "")
	}

	// No secret anywhere: not in the stored rows, not in the API's answer.
	var canaries []string
	for _, key := range []string{k.Key, k2.Key, rolled.Key, bobKey.Key} {
		d := pome.DigestOf(key)
		canaries = append(canaries, key, hex.EncodeToString(d[:]), base64.StdEncoding.EncodeToString(d[:]))
	}
	tokens = append(tokens, cookieValue(t, s, alice), cookieValue(t, s, bob))
	for _, tok := range tokens {
		d := pome.DigestOf(tok)
		canaries = append(canaries, tok, hex.EncodeToString(d[:]), base64.StdEncoding.EncodeToString(d[:]))
	}
	canaries = append(canaries, pometest.Password, "wrong password 123", "nobody@example.com")
	stored, _ := json.Marshal(append(s.Audit(t, teamID), s.Audit(t, "")...))
	api := s.Do(t, alice, "GET", "/api/audit?limit=200", nil, "")
	if api.Status != 200 {
		t.Fatalf("GET /api/audit: %d %s", api.Status, api.Body)
	}
	for _, c := range canaries {
		if strings.Contains(string(stored), c) || strings.Contains(string(api.Body), c) {
			t.Errorf("audit log holds a secret %q", c[:min(len(c), 12)])
		}
	}
}

// cookieValue returns the session token c holds for the server.
func cookieValue(t *testing.T, s *pometest.Server, c *http.Client) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "pome_session") {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// A management request refused by a rate limit is recorded once a minute
// per user and rule, through the hook the limiter calls.
func TestAuditRateLimited(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
		r.CreateKey = ratelimit.Rule{Name: "create_key", Limit: 2, Period: time.Minute}
	}))
	alice := s.Signup(t, "alice@example.com")
	sess := s.Session(t, alice)
	for i := range 5 {
		r := s.Do(t, alice, "POST", "/api/keys", nil, `{"name":"k"}`)
		if want := map[bool]int{true: 201, false: 429}[i < 2]; r.Status != want {
			t.Fatalf("create %d = %d, want %d", i+1, r.Status, want)
		}
	}
	e := only(t, s.Audit(t, sess.Teams[0].ID), pome.AuditRateLimited, sess.User.ID)
	wantActor(t, e, pome.ActorUser, sess.User.ID)
	if e.Details["rule"] != "create_key" || e.Result != pome.ResultFailure {
		t.Errorf("rate_limit.exceeded = %+v, want rule create_key, failure", e)
	}
	s.Clock.Advance(time.Minute)
	for range 3 {
		s.Do(t, alice, "POST", "/api/keys", nil, `{"name":"k"}`)
	}
	n := 0
	for _, e := range s.Audit(t, sess.Teams[0].ID) {
		if e.Action == pome.AuditRateLimited {
			n++
		}
	}
	if n != 2 { // one per minute: the first minute's and this one's
		t.Errorf("rate_limit.exceeded events after two minutes of refusals = %d, want 2", n)
	}
}

// GET /api/audit: newest first, cursor pages, filters, and who may read it.
func TestAuditAPI(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	s.Clock.Advance(time.Minute)
	s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
	var keys []pometest.CreatedKey
	for i := range 5 {
		s.Clock.Advance(time.Second)
		keys = append(keys, s.CreateKeyWith(t, alice, fmt.Sprintf(`{"name":"k%d"}`, i)))
	}
	s.Do(t, alice, "DELETE", "/api/keys/"+keys[2].ID, nil, "")

	type page struct {
		Events []struct {
			ID     string `json:"id"`
			Action string `json:"action"`
			Actor  struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"actor"`
			Target *struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"target"`
			Time string `json:"time"`
		} `json:"events"`
		NextCursor *string `json:"next_cursor"`
	}
	get := func(t *testing.T, c *http.Client, q string) page {
		t.Helper()
		r := s.Do(t, c, "GET", "/api/audit"+q, nil, "")
		if r.Status != 200 {
			t.Fatalf("GET /api/audit%s = %d %s", q, r.Status, r.Body)
		}
		return decode[page](t, r)
	}

	all := get(t, alice, "")
	want := []string{"key.revoked", "key.created", "key.created", "key.created", "key.created", "key.created", "member.added", "member.invited", "user.signup"}
	var got []string
	for _, e := range all.Events {
		got = append(got, e.Action)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || all.NextCursor != nil {
		t.Fatalf("GET /api/audit = %v (next %v), want %v and no next page", got, all.NextCursor, want)
	}

	var paged []string
	q := "?limit=3"
	for range 10 {
		p := get(t, alice, q)
		for _, e := range p.Events {
			paged = append(paged, e.ID)
		}
		if p.NextCursor == nil {
			break
		}
		q = "?limit=3&cursor=" + *p.NextCursor
	}
	if len(paged) != len(all.Events) || paged[0] != all.Events[0].ID || paged[len(paged)-1] != all.Events[len(all.Events)-1].ID {
		t.Errorf("paging by 3 gave %d events, want the same %d in the same order", len(paged), len(all.Events))
	}

	if p := get(t, alice, "?action=key.created"); len(p.Events) != 5 {
		t.Errorf("?action=key.created = %d events, want 5", len(p.Events))
	}
	if p := get(t, alice, "?target="+keys[2].ID); len(p.Events) != 2 || p.Events[0].Action != "key.revoked" || p.Events[0].Target.ID != keys[2].ID {
		t.Errorf("?target=%s = %+v, want key.revoked then key.created", keys[2].ID, p.Events)
	}
	if p := get(t, alice, "?action=key.revoked&target="+keys[0].ID); len(p.Events) != 0 || p.Events == nil {
		t.Errorf("filter with no match = %+v, want an empty list", p)
	}

	const inv = "invalid_request_error"
	runScenarios(t, s, []scenario{
		{name: "developer may not read", client: bob, method: "GET", path: "/api/audit?team=alice", status: 403, typ: "permission_error", code: "insufficient_permissions"},
		{name: "own team's log", client: bob, method: "GET", path: "/api/audit", status: 200},
		{name: "limit 0", client: alice, method: "GET", path: "/api/audit?limit=0", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "limit 201", client: alice, method: "GET", path: "/api/audit?limit=201", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "limit 200", client: alice, method: "GET", path: "/api/audit?limit=200", status: 200},
		{name: "limit not a number", client: alice, method: "GET", path: "/api/audit?limit=x", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "forged cursor", client: alice, method: "GET", path: "/api/audit?cursor=123", status: 400, typ: inv, code: "invalid_parameter"},
		{name: "without session", method: "GET", path: "/api/audit", status: 401, typ: "authentication_error", code: "unauthorized"},
		{name: "other team", client: alice, method: "GET", path: "/api/audit?team=bob", status: 404, typ: "not_found_error", code: "team_not_found"},
	})
}
