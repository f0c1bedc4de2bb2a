package httpserver_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

// The dashboard's pages, over HTTP without a browser: who may see what, and
// the browser protections of the API holding for the pages too. The
// browser tests (dashboard_browser_test.go) drive them in Chromium.

const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// pageClient is a browser without redirects followed, sharing c's cookies.
func pageClient(s *pometest.Server, c *http.Client) *http.Client {
	if c == nil {
		c = s.Client()
	}
	return &http.Client{
		Jar: c.Jar, Transport: c.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type pageResponse struct {
	Status int
	Header http.Header
	Body   string
}

// getPage sends method path with header through c, redirects not followed.
func getPage(t *testing.T, s *pometest.Server, c *http.Client, method, path string, header http.Header, body string) pageResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := pageClient(s, c).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return pageResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Every page answers signed-out visitors with a redirect to the sign-in
// page, which brings them back; the sign-in page itself never sends anyone
// to another site.
func TestPagesRedirectToSignIn(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	for _, path := range []string{"/keys", "/keys?team=acme&status=all", "/keys/key_0000000000000000", "/settings", "/usage", "/audit"} {
		t.Run(path, func(t *testing.T) {
			r := getPage(t, s, nil, "GET", path, nil, "")
			want := "/signin?next=" + url.QueryEscape(path)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
				t.Errorf("GET %s = %d Location %q, want 303 %q", path, r.Status, r.Header.Get("Location"), want)
			}
		})
	}
	t.Run("root", func(t *testing.T) {
		r := getPage(t, s, nil, "GET", "/", nil, "")
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/keys" {
			t.Errorf("GET / = %d Location %q, want 303 /keys", r.Status, r.Header.Get("Location"))
		}
	})

	c := s.Signup(t, "alice@example.com")
	for _, c2 := range []struct{ next, want string }{
		{"/settings?team=x", "/settings?team=x"},
		{"//evil.example/", "/keys"},
		{"/\\evil.example", "/keys"},
		{"https://evil.example/", "/keys"},
		{"", "/keys"},
	} {
		t.Run("signed in, next="+c2.next, func(t *testing.T) {
			r := getPage(t, s, c, "GET", "/signin?next="+url.QueryEscape(c2.next), nil, "")
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != c2.want {
				t.Errorf("GET /signin?next=%s = %d Location %q, want 303 %q", c2.next, r.Status, r.Header.Get("Location"), c2.want)
			}
		})
	}
}

// Pages carry the security headers of the API, with a policy of their own
// that allows this origin's script and style sheet and nothing inline; they
// are never cached.
func TestPageSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	c := s.Signup(t, "alice@example.com")
	for _, rq := range []struct {
		path string
		c    *http.Client
	}{
		{"/signin", nil}, {"/signup", nil}, {"/keys", c}, {"/settings", c}, {"/audit", c},
		{"/keys/key_0000000000000000", c}, // the 404 page
	} {
		r := getPage(t, s, rq.c, "GET", rq.path, nil, "")
		if r.Status != 200 && r.Status != 404 {
			t.Fatalf("GET %s = %d, want a page; body %s", rq.path, r.Status, r.Body)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": pageCSP,
			"Content-Type":            "text/html; charset=utf-8",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("GET %s %s = %q, want %q", rq.path, k, got, want)
			}
		}
		if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") || strings.Contains(r.Body, " onclick=") {
			t.Errorf("GET %s has inline script or style, which its policy refuses", rq.path)
		}
	}
}

// A form posted from another origin to a page route (sign-out) is refused
// before it runs, as on the API: the session survives. The same form from
// the dashboard itself signs out.
func TestPageCrossOriginFormRefused(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	c := s.Signup(t, "alice@example.com")
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, attack := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}},
		{"Origin": {"https://evil.example"}},
	} {
		h := form.Clone()
		for k, v := range attack {
			h[k] = v
		}
		r := getPage(t, s, c, "POST", "/signout", h, "x=1")
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "cross_origin_request") {
			t.Errorf("POST /signout with %v = %d %s, want 403 cross_origin_request", attack, r.Status, r.Body)
		}
	}
	if r := s.Do(t, c, "GET", "/api/session", nil, ""); r.Status != 200 {
		t.Fatalf("GET /api/session after refused sign-outs = %d, want 200", r.Status)
	}
	h := form.Clone()
	h.Set("Sec-Fetch-Site", "same-origin")
	r := getPage(t, s, c, "POST", "/signout", h, "")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/signin" {
		t.Fatalf("POST /signout same-origin = %d Location %q, want 303 /signin", r.Status, r.Header.Get("Location"))
	}
	if got := r.Header.Get("Clear-Site-Data"); got != `"cookies", "storage"` {
		t.Errorf("POST /signout Clear-Site-Data = %q", got)
	}
	if r := s.Do(t, c, "GET", "/api/session", nil, ""); r.Status != 401 {
		t.Errorf("GET /api/session after sign-out = %d, want 401", r.Status)
	}
}

// Static files are served with their type, versioned and cached; an unknown
// one is the JSON 404.
func TestStaticFiles(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	for path, ct := range map[string]string{
		"/static/app.js":      "text/javascript; charset=utf-8",
		"/static/app.css":     "text/css; charset=utf-8",
		"/static/favicon.svg": "image/svg+xml",
	} {
		r := getPage(t, s, nil, "GET", path, nil, "")
		if r.Status != 200 || r.Header.Get("Content-Type") != ct || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s = %d %q %q, want 200 %q immutable", path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), ct)
		}
		etag := r.Header.Get("Etag")
		if r2 := getPage(t, s, nil, "GET", path, http.Header{"If-None-Match": {etag}}, ""); r2.Status != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match %s = %d, want 304", path, etag, r2.Status)
		}
	}
	r := getPage(t, s, nil, "GET", "/static/nope.js", nil, "")
	if r.Status != 404 || !strings.Contains(r.Body, "route_not_found") {
		t.Errorf("GET /static/nope.js = %d %s, want the JSON 404", r.Status, r.Body)
	}
}

// What each role sees: a developer only their own keys, no audit log and no
// member management; a viewer no keys at all; a team they are not in is a
// 404 page.
func TestPagesByRole(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	carol := s.Signup(t, "carol@example.com")
	bobTeam := s.Session(t, bob).DefaultTeam // his only team, for now
	s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
	s.AddMember(t, alice, "carol@example.com", pome.RoleViewer)
	team := s.Session(t, alice).DefaultTeam
	aliceKey := s.CreateKeyWith(t, alice, `{"name":"alice-key"}`)
	if r := s.Do(t, bob, "POST", "/api/keys?team="+bobTeam, nil, `{"name":"bob-key"}`); r.Status != 201 {
		t.Fatalf("bob creates a key in his team = %d %s", r.Status, r.Body)
	}
	bobKey := s.Do(t, bob, "POST", "/api/keys?team="+team, nil, `{"name":"bob-in-alice"}`)
	if bobKey.Status != 201 {
		t.Fatalf("bob creates a key in alice's team = %d %s", bobKey.Status, bobKey.Body)
	}
	q := "?team=" + team
	for _, c := range []struct {
		name       string
		who        *http.Client
		path       string
		status     int
		has, lacks []string
	}{
		{"owner keys", alice, "/keys" + q, 200, []string{"alice-key", "bob-in-alice", `href="/audit`, "data-created-by"}, nil},
		{"owner settings", alice, "/settings" + q, 200, []string{"bob@example.com", "invite-form", `data-open="remove-dialog"`, "plan-free", "alice-key", "bob-in-alice", "Create API key"}, nil},
		{"owner audit", alice, "/audit" + q, 200, []string{"key.created", "member.added"}, nil},
		{"owner key page", alice, "/keys/" + aliceKey.ID + q, 200, []string{"alice-key", `<svg viewBox="0 0 300 100" preserveAspectRatio="none"`, "No requests in the last 30 days"}, nil},
		{"owner key page, 7 days", alice, "/keys/" + aliceKey.ID + q + "&days=7", 200, []string{`<svg viewBox="0 0 70 100"`, "Requests per day, last 7 days", `aria-current="page">7 days`}, nil},
		{"owner key page, days not a number", alice, "/keys/" + aliceKey.ID + q + "&days=week", 400, []string{"&#39;days&#39; must be an integer"}, []string{"<svg"}},
		{"owner key page, too many days", alice, "/keys/" + aliceKey.ID + q + "&days=1000", 400, []string{"invalid_parameter"}, []string{"<svg"}},
		{"owner usage", alice, "/usage" + q, 200, []string{"every key of", `<svg viewBox="0 0 300 100"`, `href="/usage?team=` + team + `&amp;days=7"`}, nil},
		{"owner usage, days not a number", alice, "/usage" + q + "&days=week", 400, []string{"invalid_parameter"}, []string{"<svg"}},
		{"developer usage", bob, "/usage" + q, 200, []string{"your keys in", "<svg"}, nil},
		{"viewer usage", carol, "/usage" + q, 200, []string{"Viewers don"}, []string{"<svg"}},
		{"developer keys", bob, "/keys" + q, 200, []string{"bob-in-alice"}, []string{"alice-key", `href="/audit`, "data-created-by"}},
		{"developer settings", bob, "/settings" + q, 200, []string{"alice@example.com", "bob-in-alice", "Create API key"}, []string{"invite-form", "remove-dialog\" data-member", "alice-key"}},
		{"viewer settings", carol, "/settings" + q, 200, []string{"Viewers don"}, []string{"alice-key", "bob-in-alice", "Create API key"}},
		{"developer, another's key page", bob, "/keys/" + aliceKey.ID + q, 404, []string{"API key not found"}, []string{"alice-key"}},
		{"developer audit", bob, "/audit" + q, 403, []string{"Only owners and admins", "insufficient_permissions"}, nil},
		{"developer's own team", bob, "/keys?team=" + bobTeam, 200, []string{"bob-key"}, []string{"bob-in-alice"}},
		{"viewer keys", carol, "/keys" + q, 200, []string{"Viewers don"}, []string{"alice-key", "bob-in-alice", "Create API key"}},
		{"not a member", carol, "/keys?team=nope", 404, []string{"Team not found"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := getPage(t, s, c.who, "GET", c.path, nil, "")
			if r.Status != c.status {
				t.Fatalf("GET %s = %d, want %d", c.path, r.Status, c.status)
			}
			for _, want := range c.has {
				if !strings.Contains(r.Body, want) {
					t.Errorf("GET %s lacks %q", c.path, want)
				}
			}
			for _, not := range c.lacks {
				if strings.Contains(r.Body, not) {
					t.Errorf("GET %s shows %q", c.path, not)
				}
			}
		})
	}
}

// The keys page shows one page of keys and a real link (no script needed)
// to the older ones, carrying the cursor and the status tab; the last page
// has none, and links back to the newest; a bad cursor is a 400 page.
func TestKeysPagePages(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t, pometest.WithoutRateLimits())
	alice := s.Signup(t, "alice@example.com")
	team := s.Session(t, alice).DefaultTeam
	for i := range 53 {
		s.CreateKeyWith(t, alice, fmt.Sprintf(`{"name":"key-%02d"}`, i))
		s.Clock.Advance(time.Millisecond)
	}
	rows := func(body string) int { return strings.Count(body, "data-key-row=") }
	first := getPage(t, s, alice, "GET", "/keys?team="+team+"&status=all", nil, "")
	if first.Status != http.StatusOK || rows(first.Body) != 50 {
		t.Fatalf("GET /keys = %d with %d rows, want 200 with 50", first.Status, rows(first.Body))
	}
	m := regexp.MustCompile(`<a class="btn" href="([^"]+)" rel="next">Older keys</a>`).FindStringSubmatch(first.Body)
	if m == nil {
		t.Fatalf("GET /keys has no Older keys link:\n%s", first.Body)
	}
	next, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil || next.Path != "/keys" || next.Query().Get("status") != "all" || next.Query().Get("team") != team || next.Query().Get("cursor") == "" {
		t.Fatalf("Older keys link = %q, want /keys with the team, status=all and a cursor", m[1])
	}
	for _, want := range []string{"key-52", "50 of 53 keys"} {
		if !strings.Contains(first.Body, want) {
			t.Errorf("GET /keys (first page) lacks %q", want)
		}
	}
	second := getPage(t, s, alice, "GET", next.String(), nil, "")
	if second.Status != http.StatusOK || rows(second.Body) != 3 {
		t.Fatalf("GET %s = %d with %d rows, want 200 with 3", next, second.Status, rows(second.Body))
	}
	for _, want := range []string{"key-00", "key-02", "3 of 53 keys", "Newest keys"} {
		if !strings.Contains(second.Body, want) {
			t.Errorf("GET %s (last page) lacks %q", next, want)
		}
	}
	for _, not := range []string{"Older keys", "key-03"} {
		if strings.Contains(second.Body, not) {
			t.Errorf("GET %s (last page) shows %q", next, not)
		}
	}
	if r := getPage(t, s, alice, "GET", "/keys?team="+team+"&cursor=bogus", nil, ""); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "invalid_parameter") {
		t.Errorf("GET /keys?cursor=bogus = %d, want a 400 page naming invalid_parameter", r.Status)
	}
}

// A browser's visit to an unknown address gets an HTML 404 page; API
// clients, other methods and the APIs' paths keep the JSON answer.
func TestUnknownPage(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	browser := http.Header{"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}
	r := getPage(t, s, nil, "GET", "/no/such/page", browser, "")
	if r.Status != http.StatusNotFound || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
		r.Header.Get("Content-Security-Policy") != pageCSP ||
		!strings.Contains(r.Body, "There is no page at this address.") || !strings.Contains(r.Body, "route_not_found") {
		t.Errorf("GET /no/such/page (a browser) = %d %q CSP %q\n%s", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Security-Policy"), r.Body)
	}
	for _, c := range []struct {
		method, path string
		header       http.Header
	}{
		{"GET", "/no/such/page", nil},
		{"GET", "/no/such/page", http.Header{"Accept": {"application/json"}}},
		{"GET", "/v1/no/such/route", browser},
		{"GET", "/api/no/such/route", browser},
		{"POST", "/no/such/page", browser},
	} {
		r := getPage(t, s, nil, c.method, c.path, c.header, "")
		if r.Status != http.StatusNotFound || r.Header.Get("Content-Type") != "application/json" || !strings.Contains(r.Body, `"code":"route_not_found"`) {
			t.Errorf("%s %s (Accept %q) = %d %q %s, want the JSON 404", c.method, c.path, c.header.Get("Accept"), r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
}

// With closed signup the sign-in page offers no account to create, and the
// signup page says signup is closed instead of showing a form that would
// only fail; with open signup both offer it.
func TestSignupPagesFollowTheSetting(t *testing.T) {
	t.Parallel()
	for _, open := range []bool{true, false} {
		t.Run(fmt.Sprint("open=", open), func(t *testing.T) {
			t.Parallel()
			var opts []pometest.Option
			if !open {
				opts = append(opts, pometest.WithSignupClosed())
			}
			s := pometest.NewServer(t, opts...)
			signin := getPage(t, s, nil, "GET", "/signin", nil, "")
			signup := getPage(t, s, nil, "GET", "/signup", nil, "")
			if signin.Status != 200 || signup.Status != 200 {
				t.Fatalf("GET /signin = %d, GET /signup = %d", signin.Status, signup.Status)
			}
			if got := strings.Contains(signin.Body, `href="/signup`); got != open {
				t.Errorf("sign-in page links to signup: %v, want %v", got, open)
			}
			if got := strings.Contains(signup.Body, `id="signup-form"`); got != open {
				t.Errorf("signup page has the form: %v, want %v", got, open)
			}
			if got := strings.Contains(signup.Body, "Signup is closed"); got == open {
				t.Errorf("signup page says signup is closed: %v, want %v", got, !open)
			}
		})
	}
}

// The audit page labels a member by email in its "On" column whether they
// are still in the team or not (before, a removed member showed as a bare
// user id, and so did every event naming them), and writes details as
// words, not as the stored map.
func TestAuditPageReadable(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	bobID := s.AddMember(t, alice, "bob@example.com", pome.RoleDeveloper)
	team := s.Session(t, alice).DefaultTeam
	bobKey := s.Do(t, bob, "POST", "/api/keys?team="+team, nil, `{"name":"bob-laptop","expires_in_days":30}`)
	if bobKey.Status != 201 {
		t.Fatalf("bob creates a key = %d %s", bobKey.Status, bobKey.Body)
	}
	var key struct{ ID string }
	bobKey.DecodeJSON(t, &key)
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/api/team/members/" + bobID, `{"role":"viewer"}`},
		{"DELETE", "/api/team/members/" + bobID, ""},
	} {
		if r := s.Do(t, alice, c.method, c.path+"?team="+team, nil, c.body); r.Status >= 300 {
			t.Fatalf("%s %s = %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	page := getPage(t, s, alice, "GET", "/audit?team="+team, nil, "")
	if page.Status != 200 {
		t.Fatalf("GET /audit = %d", page.Status)
	}
	rows := regexp.MustCompile(`(?s)<tr data-action="([a-z._]+)">(.*?)</tr>`).FindAllStringSubmatch(page.Body, -1)
	row := func(action string) string {
		for _, r := range rows {
			if r[1] == action {
				return r[2]
			}
		}
		t.Fatalf("no %s row on the audit page", action)
		return ""
	}
	on := regexp.MustCompile(`(?s)<td data-label="On">(.*?)</td>`)
	for _, c := range []struct {
		action, on string
		what       []string
	}{
		{"member.added", "bob@example.com", []string{"role Developer"}},
		{"member.role_changed", "bob@example.com", []string{"from Developer to Viewer"}},
		{"member.removed", "bob@example.com", []string{"role Viewer", "revoked 1 key: " + key.ID}},
		{"key.created", "bob-laptop (" + key.ID + ")", []string{"role Developer", "live environment", "expires "}},
	} {
		r := row(c.action)
		if m := on.FindStringSubmatch(r); m == nil || strings.TrimSpace(m[1]) != c.on {
			t.Errorf("%s: On = %q, want %q", c.action, m, c.on)
		}
		for _, w := range c.what {
			if !strings.Contains(r, w) {
				t.Errorf("%s: the row lacks %q:\n%s", c.action, w, r)
			}
		}
		for _, raw := range []string{"old_role", "revoked_keys", "map[", "expires_at"} {
			if strings.Contains(r, raw) {
				t.Errorf("%s: the row shows the stored %q:\n%s", c.action, raw, r)
			}
		}
	}
	if strings.Contains(page.Body, ">"+bobID+"<") {
		t.Errorf("the audit page shows bob as his id %s", bobID)
	}
}

// The keys page's search box (a plain GET form) and ?q= of the API find
// keys by a part of their name in any case, or the start of their prefix,
// and count what they find; a search that finds nothing says so.
func TestKeysSearch(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	team := s.Session(t, alice).DefaultTeam
	prod := s.CreateKeyWith(t, alice, `{"name":"alpha-production"}`)
	s.CreateKeyWith(t, alice, `{"name":"beta"}`)
	for range 3 {
		s.CreateKeyWith(t, alice, `{"name":"alpha-worker"}`)
	}
	page := getPage(t, s, alice, "GET", "/keys?team="+team+"&q=ALPHA-PROD", nil, "")
	if page.Status != 200 || !strings.Contains(page.Body, "alpha-production") || strings.Contains(page.Body, ">beta<") || !strings.Contains(page.Body, `value="ALPHA-PROD"`) {
		t.Errorf("GET /keys?q=ALPHA-PROD = %d, want alpha-production only, the box holding the search", page.Status)
	}
	byPrefix := getPage(t, s, alice, "GET", "/keys?team="+team+"&q="+url.QueryEscape(prod.Prefix), nil, "")
	if !strings.Contains(byPrefix.Body, "alpha-production") || strings.Contains(byPrefix.Body, "alpha-worker") {
		t.Errorf("GET /keys?q=<prefix> does not find just the key of that prefix")
	}
	none := getPage(t, s, alice, "GET", "/keys?team="+team+"&q=gamma", nil, "")
	if !strings.Contains(none.Body, "No active keys match “gamma”") {
		t.Errorf("GET /keys?q=gamma lacks the empty state")
	}
	// Two of the three alpha-workers a page, of 3 found.
	r := s.Do(t, alice, "GET", "/api/keys?q=worker&limit=2", nil, "")
	var l struct {
		Keys       []struct{ Name string } `json:"keys"`
		Total      int                     `json:"total"`
		NextCursor string                  `json:"next_cursor"`
	}
	r.DecodeJSON(t, &l)
	if r.Status != 200 || len(l.Keys) != 2 || l.Total != 3 || l.NextCursor == "" {
		t.Fatalf("GET /api/keys?q=worker&limit=2 = %d %+v, want 2 of 3", r.Status, l)
	}
	first := getPage(t, s, alice, "GET", "/keys?team="+team+"&q=worker", nil, "")
	if !strings.Contains(first.Body, "alpha-worker") || strings.Contains(first.Body, "alpha-production") {
		t.Errorf("GET /keys?q=worker lists other keys")
	}
	if r := s.Do(t, alice, "GET", "/api/keys?q="+strings.Repeat("x", 401), nil, ""); r.Status != 400 {
		t.Errorf("GET /api/keys?q=<401 bytes> = %d, want 400", r.Status)
	}
}
