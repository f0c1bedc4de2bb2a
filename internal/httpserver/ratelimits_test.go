package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
)

// checkLimited checks the rate-limit headers of a response under rule: the
// quota, what is left, and on a 429 the error envelope and Retry-After.
func checkLimited(t *testing.T, what string, r *pometest.Response, rule ratelimit.Rule, remaining int) {
	t.Helper()
	want := map[string]string{
		"X-RateLimit-Limit":     strconv.Itoa(rule.Limit),
		"X-RateLimit-Remaining": strconv.Itoa(remaining),
		"RateLimit-Policy":      fmt.Sprintf("%q;q=%d;w=%d", rule.Name, rule.Limit, int(rule.Period.Seconds())),
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s %s = %q, want %q", what, k, got, v)
		}
	}
	reset, err := strconv.Atoi(r.Header.Get("X-RateLimit-Reset"))
	if err != nil || reset < 0 || reset > int(rule.Period.Seconds()) {
		t.Errorf("%s X-RateLimit-Reset = %q, want 0 to %d seconds", what, r.Header.Get("X-RateLimit-Reset"), int(rule.Period.Seconds()))
	}
	if got, want := r.Header.Get("RateLimit"), fmt.Sprintf("%q;r=%d;t=%d", rule.Name, remaining, reset); got != want {
		t.Errorf("%s RateLimit = %q, want %q", what, got, want)
	}
	retry := r.Header.Get("Retry-After")
	if r.Status != http.StatusTooManyRequests {
		if retry != "" {
			t.Errorf("%s (status %d) Retry-After = %q, want none", what, r.Status, retry)
		}
		return
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > int(rule.Period.Seconds()) {
		t.Errorf("%s Retry-After = %q, want 1 to %d seconds", what, retry, int(rule.Period.Seconds()))
	}
	checkCommonHeaders(t, what, r)
	if e := checkErrorBody(t, what, r); e.Type != "rate_limit_error" || e.Code != "rate_limit_exceeded" {
		t.Errorf("%s error = %s/%s, want rate_limit_error/rate_limit_exceeded", what, e.Type, e.Code)
	}
}

// parallel sends n copies of a request at once and counts the statuses.
func parallel(t *testing.T, n int, do func() int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			st := do()
			mu.Lock()
			counts[st]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return counts
}

// parallelClient is a client of s that keeps enough connections open for 50
// requests at once.
func parallelClient(s *pometest.Server, c *http.Client) *http.Client {
	tr := s.HTTP.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	out := &http.Client{Transport: tr}
	if c != nil {
		out.Jar = c.Jar
	}
	return out
}

// Every per-user limit of the management API (docs/api.md): exactly the quota
// is served, the next request is refused with the headers, another user is
// not affected, and a period later the whole quota is back.
func TestManagementRateLimits(t *testing.T) {
	t.Parallel()
	rules := ratelimit.DefaultRules()
	for _, c := range []struct {
		rule   ratelimit.Rule
		method string
		path   func(s *pometest.Server, c *http.Client) string
		body   string
		status int
	}{
		{rules.ListKeys, "GET", func(*pometest.Server, *http.Client) string { return "/api/keys" }, "", 200},
		{rules.ListKeys, "GET", func(s *pometest.Server, c *http.Client) string {
			return "/api/keys/" + s.CreateKeyWith(t, c, `{"name":"g"}`).ID
		}, "", 200},
		{rules.CreateKey, "POST", func(*pometest.Server, *http.Client) string { return "/api/keys" }, `{"name":"k"}`, 201},
		{rules.RevokeKey, "DELETE", func(s *pometest.Server, c *http.Client) string {
			return "/api/keys/" + s.CreateKeyWith(t, c, `{"name":"r"}`).ID
		}, "", 200},
		// A change of a key spends the revoke-key quota.
		{rules.RevokeKey, "PATCH", func(s *pometest.Server, c *http.Client) string {
			return "/api/keys/" + s.CreateKeyWith(t, c, `{"name":"p"}`).ID
		}, `{"enabled":true}`, 200},
		// The role a member has already: served, and changes nothing.
		{rules.Members, "PATCH", func(s *pometest.Server, c *http.Client) string {
			s.Signup(t, "carol@example.com")
			return "/api/team/members/" + s.AddMember(t, c, "carol@example.com", pome.RoleDeveloper)
		}, `{"role":"developer"}`, 200},
		// A webhook endpoint's deletion is counted before it is looked
		// up: an unknown one spends the quota too.
		{rules.Members, "DELETE", func(*pometest.Server, *http.Client) string { return "/api/team/webhooks/whk_0000000000000000" }, "", 404},
		// Each invitation replaces the previous one of the address.
		{rules.Invitations, "POST", func(*pometest.Server, *http.Client) string { return "/api/team/invitations" },
			`{"email":"carol@example.com","role":"viewer"}`, 201},
	} {
		t.Run(c.rule.Name, func(t *testing.T) {
			s := pometest.NewServer(t)
			alice := s.Signup(t, "alice@example.com")
			bob := s.Signup(t, "bob@example.com")
			path := c.path(s, alice)
			keysBefore := len(decode[keyList](t, s.Do(t, alice, "GET", "/api/keys?status=all", nil, "")).Keys)
			s.Clock.Advance(time.Hour) // the setup's own requests are forgotten
			for round := range 2 {
				for i := range c.rule.Limit {
					r := s.Do(t, alice, c.method, path, nil, c.body)
					if r.Status != c.status {
						t.Fatalf("round %d: %s %s #%d status = %d, want %d; body %s", round, c.method, path, i+1, r.Status, c.status, r.Body)
					}
					checkLimited(t, fmt.Sprintf("%s #%d", c.method, i+1), r, c.rule, c.rule.Limit-1-i)
				}
				r := s.Do(t, alice, c.method, path, nil, c.body)
				if r.Status != http.StatusTooManyRequests {
					t.Fatalf("round %d: %s %s over the limit status = %d, want 429; body %s", round, c.method, path, r.Status, r.Body)
				}
				checkLimited(t, c.method+" over the limit", r, c.rule, 0)
				if round == 0 {
					// The refusal is in the team's audit log, with its rule.
					audit := s.Do(t, alice, "GET", "/api/audit", nil, "")
					if !strings.Contains(string(audit.Body), `"rate_limit.exceeded"`) || !strings.Contains(string(audit.Body), c.rule.Name) {
						t.Errorf("GET /api/audit = %s, want a rate_limit.exceeded event for %s", audit.Body, c.rule.Name)
					}
					// Another user has their own quota.
					if r := s.Do(t, bob, c.method, "/api/keys", nil, c.body); r.Status == http.StatusTooManyRequests {
						t.Errorf("bob's first %s status = 429, want served", c.method)
					}
				}
				s.Clock.Advance(c.rule.Period)
			}
			if c.rule.Name == "create_key" {
				// The refused creations created nothing.
				got := len(decode[keyList](t, s.Do(t, alice, "GET", "/api/keys?status=all", nil, "")).Keys)
				if want := keysBefore + 2*c.rule.Limit; got != want {
					t.Errorf("keys after two rounds = %d, want %d", got, want)
				}
			}
		})
	}
}

// 50 parallel requests against a limit of 10 are served exactly 10 times:
// per user, per key, failed API authentications and signups per IP, and
// failed logins.
func TestRateLimitsParallel(t *testing.T) {
	t.Parallel()
	ten := func(r *ratelimit.Rule) { r.Limit, r.Period = 10, time.Minute }
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
		ten(&r.CreateKey)
		ten(&r.AuthFailureIP)
		ten(&r.LoginEmail)
		ten(&r.LoginIP)
		r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, 10)
	}))
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "k")
	s.Clock.Advance(time.Hour)

	for _, c := range []struct {
		name string
		do   func(c *http.Client) *http.Request
		ok   int
		jar  *http.Client
	}{
		{"create_key per user", func(*http.Client) *http.Request {
			return newReq(t, s, "POST", "/api/keys", `{"name":"p"}`, "Content-Type", "application/json")
		}, 201, alice},
		{"plan limit per key", func(*http.Client) *http.Request { return newReq(t, s, "GET", "/v1/me", "", "X-API-KEY", key) }, 200, nil},
		{"auth failures per IP", func(*http.Client) *http.Request {
			return newReq(t, s, "GET", "/v1/me", "", "X-API-KEY", mustForge(t))
		}, 401, nil},
		{"login failures", func(*http.Client) *http.Request {
			return newReq(t, s, "POST", "/api/auth/login", `{"email":"alice@example.com","password":"wrong password!"}`, "Content-Type", "application/json")
		}, 401, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := parallelClient(s, c.jar)
			s.Store.Reset()
			counts := parallel(t, 50, func() int {
				resp, err := client.Do(c.do(client))
				if err != nil {
					t.Error(err)
					return 0
				}
				resp.Body.Close()
				return resp.StatusCode
			})
			if counts[c.ok] != 10 || counts[http.StatusTooManyRequests] != 40 {
				t.Errorf("statuses of 50 parallel requests = %v, want %d×10 and 429×40", counts, c.ok)
			}
			if c.name == "auth failures per IP" {
				if got := s.Store.Count("KeyByDigest"); got != 10 {
					t.Errorf("store reads for 50 parallel forged keys = %d, want 10", got)
				}
			}
		})
	}

	t.Run("signup per IP", func(t *testing.T) {
		s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) { ten(&r.SignupIP) }))
		client := parallelClient(s, nil)
		var mu sync.Mutex
		i := 0
		counts := parallel(t, 50, func() int {
			mu.Lock()
			i++
			body := fmt.Sprintf(`{"email":"user%d@example.com","password":"correct horse battery staple"}`, i)
			mu.Unlock()
			resp, err := client.Do(newReq(t, s, "POST", "/api/auth/signup", body, "Content-Type", "application/json"))
			if err != nil {
				t.Error(err)
				return 0
			}
			resp.Body.Close()
			return resp.StatusCode
		})
		if counts[201] != 10 || counts[429] != 40 {
			t.Errorf("statuses of 50 parallel signups = %v, want 201×10 and 429×40", counts)
		}
	})
}

func newReq(t *testing.T, s *pometest.Server, method, path, body string, kv ...string) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	if body == "" {
		req, err = http.NewRequestWithContext(t.Context(), method, s.URL+path, nil)
	} else {
		req, err = http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Add(kv[i], kv[i+1])
	}
	return req
}

func mustForge(t *testing.T) string {
	t.Helper()
	k, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The per-key limit of the public API follows the team's plan: unlimited by
// default (no headers at all), the plan's quota when set, usage counted only
// for served requests.
func TestKeyRateLimit(t *testing.T) {
	t.Parallel()
	free := ratelimit.PlanRule(pome.PlanFree, 5)
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) { r.Plans[pome.PlanFree] = free }))
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "k")
	other := s.CreateKey(t, alice, "other")
	me := func() *pometest.Response { return s.Do(t, nil, "GET", "/v1/me", apiKey(key), "") }

	for round := range 2 {
		for i := range free.Limit {
			r := me()
			if r.Status != 200 {
				t.Fatalf("round %d: GET /v1/me #%d status = %d, want 200; body %s", round, i+1, r.Status, r.Body)
			}
			checkLimited(t, fmt.Sprintf("GET /v1/me #%d", i+1), r, free, free.Limit-1-i)
		}
		r := me()
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("round %d: GET /v1/me over the plan limit status = %d, want 429", round, r.Status)
		}
		checkLimited(t, "GET /v1/me over the limit", r, free, 0)
		if round == 0 {
			// Another key of the same team has its own quota.
			if r := s.Do(t, nil, "GET", "/v1/me", apiKey(other), ""); r.Status != 200 {
				t.Errorf("other key's GET /v1/me status = %d, want 200", r.Status)
			}
		}
		s.Clock.Advance(time.Minute)
	}
	if err := s.Meter.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, k := range decode[keyList](t, s.Do(t, alice, "GET", "/api/keys", nil, "")).Keys {
		if k.Name == "k" && k.UsageCount != int64(2*free.Limit) {
			t.Errorf("usage_count = %d, want %d: refused requests are not usage", k.UsageCount, 2*free.Limit)
		}
	}

	// A team on a plan without a limit: no limit, no headers.
	team := decode[meBody](t, me()).Team.ID
	if err := s.DB.UpdateTeam(t.Context(), pome.Team{ID: team, Status: pome.TeamActive, PlanTier: pome.PlanPro}, s.Now(), pometest.Event(pome.AuditTeamPlanChanged)); err != nil {
		t.Fatal(err)
	}
	s.Verifier.Forget(pome.DigestOf(key))
	for i := range 3 * free.Limit {
		r := me()
		if r.Status != 200 {
			t.Fatalf("pro GET /v1/me #%d status = %d, want 200", i+1, r.Status)
		}
		for _, h := range []string{"X-RateLimit-Limit", "RateLimit", "RateLimit-Policy"} {
			if v := r.Header.Get(h); v != "" {
				t.Fatalf("unlimited GET /v1/me %s = %q, want none", h, v)
			}
		}
	}
}

// the API's 429 row: a key over its plan's limit.
func TestMeRateLimited(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
		r.Plans[pome.PlanFree] = ratelimit.PlanRule(pome.PlanFree, 1)
	}))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "k")
	runScenarios(t, s, []scenario{
		{name: "first", method: "GET", path: "/v1/me", header: apiKey(key), status: 200},
		{name: "over the limit", method: "GET", path: "/v1/me", header: apiKey(key), status: 429, typ: "rate_limit_error", code: "rate_limit_exceeded"},
	})
}

// Failed logins are limited per email and per IP, 10 per 15 minutes: then
// 429 even with the right password, until the quota refills. Successful
// logins do not count.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	rules := ratelimit.DefaultRules()
	login := func(s *pometest.Server, email, password string) *pometest.Response {
		return s.Do(t, nil, "POST", "/api/auth/login", nil, fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
	}
	t.Run("successes do not count", func(t *testing.T) {
		s := pometest.NewServer(t)
		s.Signup(t, "alice@example.com")
		for i := range 2 * rules.LoginEmail.Limit {
			if r := login(s, "alice@example.com", pometest.Password); r.Status != 200 {
				t.Fatalf("login #%d status = %d, want 200", i+1, r.Status)
			}
		}
	})
	for _, c := range []struct {
		name  string
		rule  ratelimit.Rule
		email func(i int) string // the email of failed attempt i
	}{
		{"per email", rules.LoginEmail, func(int) string { return "ALICE@example.com " }},
		{"per IP", rules.LoginIP, func(i int) string { return fmt.Sprintf("nobody%d@example.com", i) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) {
				// Only the limit under test.
				if c.rule.Name == "login_ip" {
					r.LoginEmail.Limit = 0
				} else {
					r.LoginIP.Limit = 0
				}
			}))
			s.Signup(t, "alice@example.com")
			for round := range 2 {
				for i := range c.rule.Limit {
					r := login(s, c.email(i), "wrong password!")
					if r.Status != 401 {
						t.Fatalf("round %d: failed login #%d status = %d, want 401", round, i+1, r.Status)
					}
					checkLimited(t, fmt.Sprintf("failed login #%d", i+1), r, c.rule, c.rule.Limit-1-i)
				}
				r := login(s, "alice@example.com", pometest.Password)
				if r.Status != http.StatusTooManyRequests {
					t.Fatalf("round %d: right password after %d failures status = %d, want 429", round, c.rule.Limit, r.Status)
				}
				checkLimited(t, "locked login", r, c.rule, 0)
				if cookies := r.Header.Values("Set-Cookie"); len(cookies) != 0 {
					t.Errorf("locked login Set-Cookie = %q, want none", cookies)
				}
				s.Clock.Advance(c.rule.Period - time.Second)
				if r := login(s, "alice@example.com", pometest.Password); r.Status != 200 {
					t.Fatalf("round %d: right password once the quota refilled: status = %d, want 200", round, r.Status)
				}
				s.Clock.Advance(time.Second)
			}
		})
	}
}

// Member changes and logouts write to the append-only audit log, so each has
// a per-user limit: over it the answer is 429 with Retry-After, and the
// refused request changes and records nothing (but the one rate_limit.exceeded
// event a minute). PATCH and DELETE of members and the revocation of an
// invitation share one quota; the dashboard's sign-out shares the logout
// quota.
func TestMemberChangesAndLogoutLimited(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) { r.Members.Limit, r.Logout.Limit = 3, 2 }))
	alice := s.Signup(t, "alice@example.com")
	s.Signup(t, "bob@example.com")
	s.Signup(t, "carol@example.com")
	team := s.Session(t, alice).Teams[0].ID
	count := func(evs []pome.AuditEvent, action string) (n int) {
		for _, e := range evs {
			if e.Action == action {
				n++
			}
		}
		return n
	}

	t.Run("members", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		bob := s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper) // spends the invitations quota
		var inv struct{ ID string }
		s.Do(t, alice, "POST", "/api/team/invitations", nil, `{"email":"carol@example.com","role":"viewer"}`).DecodeJSON(t, &inv)
		for i, role := range []string{"viewer", "developer", "viewer"} { // 1, 2, 3
			if r := s.Do(t, alice, "PATCH", "/api/team/members/"+bob, nil, `{"role":"`+role+`"}`); r.Status != http.StatusOK {
				t.Fatalf("PATCH #%d = %d %s", i+1, r.Status, r.Body)
			}
		}
		before := s.Audit(t, team)
		for _, c := range []struct{ method, path, body string }{
			{"PATCH", "/api/team/members/" + bob, `{"role":"developer"}`},
			{"DELETE", "/api/team/members/" + bob, ""},
			{"DELETE", "/api/team/invitations/" + inv.ID, ""},
		} {
			r := s.Do(t, alice, c.method, c.path, nil, c.body)
			if r.Status != http.StatusTooManyRequests {
				t.Fatalf("%s %s over the limit = %d %s, want 429", c.method, c.path, r.Status, r.Body)
			}
			checkLimited(t, c.method+" over the limit", r, s.Rules.Members, 0)
		}
		after := s.Audit(t, team)
		if len(after) != len(before)+1 || after[0].Action != pome.AuditRateLimited {
			t.Errorf("audit events after 3 refusals: %v, want only one rate_limit.exceeded more than %v", evActions(after), evActions(before))
		}
		if members := decode[struct {
			Total int `json:"total"`
		}](t, s.Do(t, alice, "GET", "/api/team/members", nil, "")); members.Total != 2 {
			t.Errorf("members after the refusals = %d, want 2 (alice, bob)", members.Total)
		}
	})

	t.Run("logout", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		sessions := []*http.Client{s.Login(t, "carol@example.com"), s.Login(t, "carol@example.com"), s.Login(t, "carol@example.com")}
		for i, c := range sessions[:2] {
			r := s.Do(t, c, "POST", "/api/auth/logout", nil, "")
			if r.Status != http.StatusOK {
				t.Fatalf("logout #%d = %d %s", i+1, r.Status, r.Body)
			}
			checkLimited(t, "logout", r, s.Rules.Logout, 1-i)
		}
		r := s.Do(t, sessions[2], "POST", "/api/auth/logout", nil, "")
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("third logout = %d %s, want 429", r.Status, r.Body)
		}
		checkLimited(t, "logout over the limit", r, s.Rules.Logout, 0)
		if got := r.Header.Values("Set-Cookie"); len(got) != 0 {
			t.Errorf("refused logout Set-Cookie = %q, want none: the session stays, to be ended later", got)
		}
		s.Session(t, sessions[2]) // still signed in
		// The dashboard's sign-out spends the same quota.
		if p := getPage(t, s, sessions[2], "POST", "/signout", nil, ""); p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
			t.Errorf("POST /signout over the limit = %d, Retry-After %q; want 429 with Retry-After", p.Status, p.Header.Get("Retry-After"))
		}
		evs := s.Audit(t, "")
		if n := count(evs, pome.AuditLogout); n != 2 {
			t.Errorf("auth.logout events = %d, want 2: refused logouts record none", n)
		}
		if n := count(evs, pome.AuditRateLimited); n != 1 {
			t.Errorf("rate_limit.exceeded events without a team = %d, want 1", n)
		}
		s.Clock.Advance(s.Rules.Logout.Period)
		if r := s.Do(t, sessions[2], "POST", "/api/auth/logout", nil, ""); r.Status != http.StatusOK {
			t.Errorf("logout once the quota refilled = %d, want 200", r.Status)
		}
	})
}

// failingAudit is a store whose audit log cannot be written.
type failingAudit struct{ pome.Store }

func (failingAudit) AppendAudit(context.Context, pome.AuditEvent) error { return pome.ErrUnavailable }

// A login whose password was checked counts against the login limits even
// when what follows the check fails: a wrong password whose record cannot be
// written is a guess all the same, and must not be given back.
func TestLoginCountedAfterCheck(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t,
		pometest.WithStoreWrapper(func(next pome.Store) pome.Store { return failingAudit{next} }),
		pometest.WithRules(func(r *ratelimit.Rules) { r.LoginIP.Limit, r.LoginEmail.Limit = 3, 0 }))
	s.Signup(t, "alice@example.com")
	for i := range 3 {
		if r := s.Do(t, nil, "POST", "/api/auth/login", nil, credentials("alice@example.com", "wrong password!")); r.Status != http.StatusServiceUnavailable {
			t.Fatalf("wrong password #%d, audit log down: status = %d, want 503; body %s", i+1, r.Status, r.Body)
		}
	}
	if r := s.Do(t, nil, "POST", "/api/auth/login", nil, credentials("alice@example.com", pometest.Password)); r.Status != http.StatusTooManyRequests {
		t.Fatalf("login after 3 checked passwords: status = %d, want 429", r.Status)
	}
}

// Signups are limited per IP.
func TestSignupRateLimit(t *testing.T) {
	t.Parallel()
	rule := ratelimit.Rule{Name: "signup_ip", Limit: 3, Period: time.Hour}
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) { r.SignupIP = rule }))
	n := 0
	signup := func() *pometest.Response {
		n++
		return s.Do(t, nil, "POST", "/api/auth/signup", nil, fmt.Sprintf(`{"email":"u%d@example.com","password":"correct horse battery"}`, n))
	}
	for round := range 2 {
		for i := range rule.Limit {
			r := signup()
			if r.Status != 201 {
				t.Fatalf("round %d: signup #%d status = %d, want 201", round, i+1, r.Status)
			}
			checkLimited(t, fmt.Sprintf("signup #%d", i+1), r, rule, rule.Limit-1-i)
		}
		r := signup()
		if r.Status != 429 {
			t.Fatalf("round %d: signup over the limit status = %d, want 429", round, r.Status)
		}
		checkLimited(t, "signup over the limit", r, rule, 0)
		s.Clock.Advance(rule.Period)
	}
}

// Failed API authentications are limited per client IP and never charged to
// the key they name: over the limit, a key not already cached gets 429
// without a store read, a cached key still passes, and the next period
// restores the quota.
func TestAuthFailureLimit(t *testing.T) {
	t.Parallel()
	rule := ratelimit.Rule{Name: "auth_failures_ip", Limit: 10, Period: time.Minute}
	s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) { r.AuthFailureIP = rule }))
	alice := s.Signup(t, "alice@example.com")
	cached := s.CreateKey(t, alice, "cached")
	uncached := s.CreateKey(t, alice, "uncached")
	failures := []http.Header{
		apiKey(mustForge(t)), // unknown: a store read
		nil,                  // missing
		apiKey("pme_short"),  // malformed
		hdr("X-API-KEY", cached, "Authorization", "Bearer "+uncached), // conflicting
	}
	for round := range 2 {
		if r := s.Do(t, nil, "GET", "/v1/me", apiKey(cached), ""); r.Status != 200 { // now cached
			t.Fatalf("GET /v1/me status = %d, want 200", r.Status)
		}
		s.Store.Reset()
		for i := range rule.Limit {
			h := failures[i%len(failures)]
			if i%len(failures) == 0 {
				h = apiKey(mustForge(t))
			}
			r := s.Do(t, nil, "GET", "/v1/me", h, "")
			if r.Status != 401 && r.Status != 400 {
				t.Fatalf("round %d: failure #%d status = %d, want 401 or 400", round, i+1, r.Status)
			}
			checkLimited(t, fmt.Sprintf("failure #%d", i+1), r, rule, rule.Limit-1-i)
		}
		reads := s.Store.Count("KeyByDigest")
		for _, h := range failures {
			r := s.Do(t, nil, "GET", "/v1/me", h, "")
			if r.Status != http.StatusTooManyRequests {
				t.Fatalf("round %d: failure over the limit status = %d, want 429", round, r.Status)
			}
			checkLimited(t, "failure over the limit", r, rule, 0)
		}
		if r := s.Do(t, nil, "GET", "/v1/me", apiKey(uncached), ""); r.Status != http.StatusTooManyRequests {
			t.Errorf("round %d: uncached good key over the failure limit status = %d, want 429", round, r.Status)
		}
		if got := s.Store.Count("KeyByDigest"); got != reads {
			t.Errorf("round %d: store reads over the failure limit = %d, want none", round, got-reads)
		}
		if r := s.Do(t, nil, "GET", "/v1/me", apiKey(cached), ""); r.Status != 200 {
			t.Errorf("round %d: cached good key over the failure limit status = %d, want 200", round, r.Status)
		}
		s.Clock.Advance(rule.Period)
		s.Verifier.Forget(pome.DigestOf(uncached))
	}

	// Successes, and keys that matched but may not be used, are no failures.
	s.Clock.Advance(rule.Period)
	revoked := s.CreateKeyWith(t, alice, `{"name":"revoked"}`)
	s.Do(t, alice, "DELETE", "/api/keys/"+revoked.ID, nil, "")
	for i := range 3 * rule.Limit {
		key := []string{cached, uncached, revoked.Key}[i%3]
		s.Verifier.Forget(pome.DigestOf(key))
		r := s.Do(t, nil, "GET", "/v1/me", apiKey(key), "")
		if r.Status == http.StatusTooManyRequests {
			t.Fatalf("request #%d with a real key = 429: a matched key is no failure", i+1)
		}
	}
}

// A flood of 10,000 forged, well-formed, distinct keys from one address
// costs at most the failure limit in store reads (the rest is 429 without a
// read), and the same unknown key repeated costs one read per negative TTL.
func TestForgedKeyFlood(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	limit := s.Rules.AuthFailureIP.Limit
	client := parallelClient(s, nil)
	const n, workers = 10_000, 8
	keys := make(chan string)
	go func() {
		defer close(keys)
		for range n {
			keys <- mustForge(t)
		}
	}()
	s.Store.Reset()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k := range keys {
				resp, err := client.Do(newReq(t, s, "GET", "/v1/me", "", "X-API-KEY", k))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if statuses[401] != limit || statuses[429] != n-limit {
		t.Errorf("statuses of %d forged keys = %v, want 401×%d and 429×%d", n, statuses, limit, n-limit)
	}
	if got := s.Store.Total(); got > limit {
		t.Errorf("store calls for %d forged keys = %d (%v), want at most %d", n, got, s.Store.Calls(), limit)
	}

	t.Run("one key repeated", func(t *testing.T) {
		s := pometest.NewServer(t, pometest.WithRules(func(r *ratelimit.Rules) { r.AuthFailureIP.Limit = 0 }))
		forged := apiKey(mustForge(t))
		for round := range 3 {
			s.Store.Reset()
			for range 200 {
				if r := s.Do(t, nil, "GET", "/v1/me", forged, ""); r.Status != 401 {
					t.Fatalf("forged key status = %d, want 401", r.Status)
				}
			}
			if got := s.Store.Count("KeyByDigest"); got != 1 {
				t.Errorf("round %d: store reads for 200 uses of one forged key = %d, want 1", round, got)
			}
			s.Clock.Advance(5 * time.Second) // the negative cache's TTL
		}
	})
}
