package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/webhook"
)

// The dashboard: server-rendered pages over the same services as the
// management API. Pages only read; every change is made by the page's
// JavaScript through the JSON API (static/app.js), so that it passes the
// same cross-origin guard and rate limits, and a key's plaintext only ever
// travels in the API's no-store JSON answer, never in a page or a URL. The
// one exception is sign-out, a plain form post, guarded like the API.

// dashboard holds what the page handlers share.
type dashboard struct {
	log      *slog.Logger
	accounts *account.Service
	keys     *apikey.Service
	webhooks *webhook.Service
	sess     sessions
	lim      *limits
	now      func() time.Time
}

var htmlContentType = []string{"text/html; charset=utf-8"}

// page is what every template executes with: who is signed in, the team
// acted in, and the page's own Data.
type page struct {
	Title     string
	Nav       string // the section of the top navigation: keys, settings, audit
	User      pome.User
	Session   pome.Session // the signed-in session of the page
	Member    pome.Member
	Teams     []pome.Membership
	RequestID string
	Now       time.Time
	Data      any
}

// TeamQuery is the query string naming the current team, for links.
func (p *page) TeamQuery() string {
	if p.Member.Team.Slug == "" {
		return ""
	}
	return "?team=" + url.QueryEscape(p.Member.Team.Slug)
}

// BackHost is the host of the platform's page the session's portal link
// came with, for the layout's "Back to …" link; "" for none.
func (p *page) BackHost() string {
	if p.Session.ReturnURL == "" {
		return ""
	}
	u, err := url.Parse(p.Session.ReturnURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// CanAudit, CanManageMembers, CanManageWebhooks and CanCreateKeys say
// which parts of the dashboard the member's role reaches (docs/api.md);
// the services (for webhooks, the API's handlers) decide.
func (p *page) CanAudit() bool          { return p.Member.Role.Can(pome.ActionReadAudit) }
func (p *page) CanManageMembers() bool  { return p.Member.Role.Can(pome.ActionManageMembers) }
func (p *page) CanManageWebhooks() bool { return p.Member.Role.Can(pome.ActionManageWebhooks) }
func (p *page) CanCreateKeys() bool     { return p.Member.Role.Can(pome.ActionCreateKey) }
func (p *page) SeesAllKeys() bool       { return p.Member.Role.Can(pome.ActionManageAnyKey) }

// Ago is how long before the page's time t was, as people say it.
func (p *page) Ago(t time.Time) string { return relative(p.Now, t) }

// relative says t relative to now: "just now", "3 minutes ago", "in 2 days".
func relative(now, t time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		s = "1 minute"
	case d < time.Hour:
		s = plural(int((d+30*time.Second)/time.Minute), "minute")
	case d < 36*time.Hour:
		s = plural(int((d+30*time.Minute)/time.Hour), "hour")
	case d < 60*24*time.Hour:
		s = plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
	case d < 2*365*24*time.Hour:
		s = plural(int(d/(30*24*time.Hour)), "month")
	default:
		s = plural(int(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// render executes the template name into a buffer, then answers it with the
// pages' own Content-Security-Policy.
func (d *dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	p.RequestID = requestIDOf(w)
	if p.Now.IsZero() {
		p.Now = d.now()
	}
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		writeError(w, r, d.log, fmt.Errorf("httpserver: render %s: %w", name, err))
		return
	}
	h := w.Header()
	h["Content-Type"] = htmlContentType
	h["Content-Security-Policy"] = cspPage
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the Data of the error page.
type errorPage struct {
	Status  int
	Message string
	Code    string
}

// fail answers err as an HTML page with its status, message and the
// request id; like writeError it shows nothing of an internal cause and
// logs it.
func (d *dashboard) fail(w http.ResponseWriter, r *http.Request, p *page, err error) {
	status, body := httpapi.Describe(err, requestIDOf(w))
	if k := pome.AsError(err).Kind; k == pome.Internal || k == pome.Unavailable {
		d.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", body.RequestID), slog.String("code", body.Code), slog.Any("err", err))
	}
	msg, code := body.Message, body.Code
	if p == nil {
		p = &page{}
	}
	p.Title = http.StatusText(status)
	p.Data = errorPage{Status: status, Message: msg, Code: code}
	d.render(w, r, status, "error", p)
}

// signedIn resolves the page's user and team (?team=<slug>, else the
// default team). Without a session it redirects to the sign-in page, which
// comes back here; on false the request is answered.
func (d *dashboard) signedIn(w http.ResponseWriter, r *http.Request, nav string) (*page, bool) {
	p := &page{Nav: nav, Now: d.now()}
	u, sess, err := d.sess.current(r)
	if errors.Is(err, pome.ErrUnauthorized) {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, false
	}
	if err != nil {
		d.fail(w, r, p, err)
		return nil, false
	}
	p.User, p.Session = u, sess
	if p.Teams, err = d.accounts.Memberships(r.Context(), u); err != nil {
		d.fail(w, r, p, err)
		return nil, false
	}
	if p.Member, err = d.accounts.Member(r.Context(), u, r.URL.Query().Get("team")); err != nil {
		d.fail(w, r, p, err)
		return nil, false
	}
	return p, true
}

// spend takes one unit of a per-user management limit for a page that reads
// what the limited API route reads, so that the page is no way around it.
func (d *dashboard) spend(w http.ResponseWriter, r *http.Request, p *page, rule ratelimit.Rule) bool {
	if err := d.lim.takeMember(r.Context(), w.Header(), p.Member, rule); err != nil {
		d.fail(w, r, p, err)
		return false
	}
	return true
}

// handleRoot answers GET /: the keys page (of ?team=, if given), or the
// sign-in page on the way.
func handleRoot() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := "/keys"
		if team := r.URL.Query().Get("team"); team != "" {
			to += "?team=" + url.QueryEscape(team)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	})
}

// safeNext returns next if it is a path of this site, else /keys: the
// sign-in page never sends anyone to another origin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/keys"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/keys"
	}
	return next
}

type authPage struct {
	Next       string
	SignupOpen bool // closed: the sign-in page offers no signup, the signup page says it is closed
}

// handleAuthPage answers GET /signin and GET /signup; a signed-in user goes
// straight on.
func (d *dashboard) handleAuthPage(name, title string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := safeNext(r.URL.Query().Get("next"))
		if _, err := d.sess.user(r); err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		d.render(w, r, http.StatusOK, name, &page{Title: title, Data: authPage{Next: next, SignupOpen: d.accounts.SignupOpen()}})
	})
}

// handleSignOut answers the sign-out form (POST /signout): the session
// ends, the browser drops the cookie, and the sign-in page follows.
func (d *dashboard) handleSignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := endSession(r, w.Header(), d.sess, d.lim); err != nil {
			d.fail(w, r, nil, err)
			return
		}
		d.sess.clear(w)
		w.Header()["Clear-Site-Data"] = clearSiteData
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
	})
}

// keyRow is one key as the pages show it.
type keyRow struct {
	pome.Key
	Status    pome.KeyStatus
	CreatedBy string // the creator's email, or their id once they left
}

type keysPage struct {
	Status   string // the tab shown: active, revoked, expired, all
	Tabs     []keyTab
	Keys     []keyRow
	Total    int         // the keys of the tab, on every page
	Later    bool        // a page after the first
	Next     string      // the link to older keys, if any
	Search   string      // the search box's, "" for none
	Roles    []pome.Role // the roles a new key may carry
	NoAccess bool        // a viewer: no keys to list or create
	next     string      // the listing's cursor to the page after
}

type keyTab struct{ Value, Label string }

var keyTabs = []keyTab{{"active", "Active"}, {"revoked", "Revoked"}, {"expired", "Expired"}, {"all", "All"}}

// creatableRoles are the roles a key created by role may carry, highest
// first: its own and those below.
func creatableRoles(role pome.Role) []pome.Role {
	var out []pome.Role
	for _, r := range []pome.Role{pome.RoleOwner, pome.RoleAdmin, pome.RoleDeveloper, pome.RoleViewer} {
		if role.AtLeast(r) {
			out = append(out, r)
		}
	}
	return out
}

// creatorEmails maps the team's members' ids to their emails, for admins
// who see everyone's keys.
func (d *dashboard) creatorEmails(r *http.Request, p *page) (map[string]string, error) {
	emails := map[string]string{p.User.ID: p.User.Email}
	if !p.SeesAllKeys() && !p.CanAudit() {
		return emails, nil
	}
	ms, err := d.accounts.Members(r.Context(), p.Member)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		emails[m.User.ID] = m.User.Email
	}
	return emails, nil
}

// handleKeysPage answers GET /keys?team=&status=&cursor=: a page of the
// team's keys the member may see, newest first, with a link to the next.
func (d *dashboard) handleKeysPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.signedIn(w, r, "keys")
		if !ok {
			return
		}
		p.Title = "API keys"
		status := r.URL.Query().Get("status")
		if status == "" {
			status = "active"
		}
		data := keysPage{Status: status, Tabs: keyTabs, Roles: creatableRoles(p.Member.Role)}
		p.Data = &data
		if !p.CanCreateKeys() {
			data.NoAccess = true
			d.render(w, r, http.StatusOK, "keys", p)
			return
		}
		cursor := r.URL.Query().Get("cursor")
		data.Search = r.URL.Query().Get("q")
		if !d.listKeys(w, r, p, &data, apikey.ListQuery{Status: status, Search: data.Search, Cursor: cursor}) {
			return
		}
		data.Later = cursor != ""
		data.Next = nextPage("/keys", p.Member.Team.Slug, data.next, "status", status, "q", data.Search)
		d.render(w, r, http.StatusOK, "keys", p)
	})
}

// listKeys fills data with the page of keys q asks for, spending the
// member's list quota, as GET /api/keys does; false when it answered with
// an error instead. The keys page and the settings page list alike.
func (d *dashboard) listKeys(w http.ResponseWriter, r *http.Request, p *page, data *keysPage, q apikey.ListQuery) bool {
	if !d.spend(w, r, p, d.lim.rules.ListKeys) {
		return false
	}
	page, err := d.keys.List(r.Context(), p.Member, q)
	if err != nil {
		d.fail(w, r, p, err)
		return false
	}
	emails, err := d.creatorEmails(r, p)
	if err != nil {
		d.fail(w, r, p, err)
		return false
	}
	data.Total, data.next = page.Total, page.NextCursor
	for _, k := range page.Keys {
		data.Keys = append(data.Keys, keyRow{Key: k, Status: k.Status(p.Now), CreatedBy: cmpOr(emails[k.CreatedBy], k.CreatedBy)})
	}
	return true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type keyPage struct {
	Key   keyRow
	Chart usageChart
	// ExpiresInDays, when not 0, is the days (rounded up) before an active
	// key expires, within expiryWarning: the page warns.
	ExpiresInDays int
	Credits       *keyCredits // nil: unlimited
	Edit          policyForm  // the edit dialog's fields
}

// keyCredits are a key's credits as of the page's time.
type keyCredits struct {
	Left   int64
	Refill *pome.CreditRefill
}

// expiryWarning is how soon before its expiry the key page warns.
const expiryWarning = 14 * 24 * time.Hour

// expiresInDays is keyPage.ExpiresInDays.
func expiresInDays(k *keyRow, now time.Time) int {
	// A rolled key's expiry is the end of its grace: the page says so, and
	// that it is replaced, instead of asking for a roll.
	if k.Status != pome.KeyActive || k.ExpiresAt == nil || k.ReplacedBy != "" {
		return 0
	}
	left := k.ExpiresAt.Sub(now)
	if left > expiryWarning {
		return 0
	}
	return int((left + 24*time.Hour - 1) / (24 * time.Hour))
}

// chartRanges are the usage charts' choices of days; ?days= takes any the
// API does.
var chartRanges = []int{7, 30, 90}

// pageChart is the chart of usage on the page at path of team: of whom,
// with links to chartRanges, and what it says when empty.
func pageChart(usage []pome.DailyUsage, of, path, team, empty string) usageChart {
	c := newUsageChart(usage)
	c.Of, c.Ranges, c.Empty = of, chartRanges, empty
	c.RangeURL = path + "?" + url.Values{"team": {team}}.Encode() + "&days="
	return c
}

// handleKeyPage answers GET /keys/{id}?days=: one key, its usage over the
// days asked (30 unless asked; the chart offers chartRanges), and its
// actions.
func (d *dashboard) handleKeyPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.signedIn(w, r, "keys")
		if !ok || !d.spend(w, r, p, d.lim.rules.ListKeys) {
			return
		}
		id := r.PathValue("id")
		k, err := d.keys.Get(r.Context(), p.Member, id)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		days, err := usageDays(r)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		usage, err := d.keys.Usage(r.Context(), p.Member, id, days)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		emails, err := d.creatorEmails(r, p)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		p.Title = k.Name
		data := keyPage{
			Key: keyRow{Key: k, Status: k.Status(p.Now), CreatedBy: cmpOr(emails[k.CreatedBy], k.CreatedBy)},
			Chart: pageChart(usage, k.Name, "/keys/"+url.PathEscape(k.ID), p.Member.Team.Slug,
				"Call the API with this key and its usage shows here."),
		}
		data.ExpiresInDays = expiresInDays(&data.Key, p.Now)
		data.Edit = keyPolicies(&k, p.Now)
		if c := k.Credits; c != nil {
			data.Credits = &keyCredits{Left: c.At(p.Now), Refill: c.Refill}
		}
		p.Data = &data
		d.render(w, r, http.StatusOK, "key", p)
	})
}

type memberRow struct {
	pome.TeamMember
	Self     bool
	Editable bool        // the viewer of the page may change or remove them
	Roles    []pome.Role // the roles they may be given
}

type settingsPage struct {
	keysPage // the newest active keys, and the create dialog's roles
	Members  []memberRow
	AddRoles []pome.Role // the roles a new member may get
	// Invitations are the pending ones, for owners and admins.
	Invitations []pome.Invitation
	// Webhooks are the team's endpoints, for owners and admins; the add
	// dialog offers WebhookEvents.
	Webhooks      []pome.WebhookEndpoint
	WebhookEvents []string
}

// settingsKeys is how many of the newest active keys the settings page
// lists; the keys page has them all.
const settingsKeys = 5

// manageableRoles are the roles a member of role may give, highest first.
func manageableRoles(role pome.Role) []pome.Role {
	var out []pome.Role
	for _, r := range []pome.Role{pome.RoleOwner, pome.RoleAdmin, pome.RoleDeveloper, pome.RoleViewer} {
		if role.CanManage(r) {
			out = append(out, r)
		}
	}
	return out
}

// handleSettingsPage answers GET /settings: the team, its plan and its
// members, with member and webhook management for owners and admins.
func (d *dashboard) handleSettingsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.signedIn(w, r, "settings")
		if !ok {
			return
		}
		p.Title = "Team settings"
		data := &settingsPage{keysPage: keysPage{Status: "active", Roles: creatableRoles(p.Member.Role)}, AddRoles: manageableRoles(p.Member.Role)}
		p.Data = data
		// Seed 000's flow: the team menu's Settings, then Create API key.
		if !p.CanCreateKeys() {
			data.NoAccess = true
		} else if !d.listKeys(w, r, p, &data.keysPage, apikey.ListQuery{Limit: settingsKeys}) {
			return
		}
		ms, err := d.accounts.Members(r.Context(), p.Member)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		if p.CanManageMembers() {
			if data.Invitations, err = d.accounts.Invitations(r.Context(), p.Member); err != nil {
				d.fail(w, r, p, err)
				return
			}
		}
		if p.CanManageWebhooks() {
			if data.Webhooks, err = d.webhooks.List(r.Context(), p.Member.Team.ID); err != nil {
				d.fail(w, r, p, err)
				return
			}
			data.WebhookEvents = pome.WebhookEventTypes
		}
		for _, m := range ms {
			self := m.User.ID == p.User.ID
			row := memberRow{TeamMember: m, Self: self}
			if !self && p.Member.Role.CanManage(m.Role) {
				row.Editable, row.Roles = true, data.AddRoles
			}
			data.Members = append(data.Members, row)
		}
		d.render(w, r, http.StatusOK, "settings", p)
	})
}

type auditRow struct {
	pome.AuditEvent
	Actor   string
	Target  string
	Details string
}

type auditPage struct {
	Events  []auditRow
	Action  string   // the filter, empty for all
	Actions []string // the filter's choices
	Next    string   // the link to older events, if any
}

// handleAuditPage answers GET /audit?team=&action=&cursor=: the team's
// audit log, newest first, for owners and admins.
func (d *dashboard) handleAuditPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.signedIn(w, r, "audit")
		if !ok {
			return
		}
		p.Title = "Audit log"
		q := r.URL.Query()
		ap, err := d.accounts.Audit(r.Context(), p.Member, account.AuditQuery{Action: q.Get("action"), Cursor: q.Get("cursor")})
		if errors.Is(err, pome.ErrInsufficientPermissions) {
			err = pome.Errorf(pome.Forbidden, pome.ErrInsufficientPermissions.Code,
				"Only owners and admins of this team can read its audit log.")
		}
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		emails, err := d.accounts.AuditEmails(r.Context(), p.Member, ap.Events)
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		data := auditPage{Action: q.Get("action"), Actions: slices.Sorted(maps.Keys(auditActionLabels))}
		for _, e := range ap.Events {
			data.Events = append(data.Events, auditRow{AuditEvent: e, Actor: actorOf(&e, emails),
				Target: targetOf(&e, emails), Details: detailsOf(e.Details)})
		}
		data.Next = nextPage("/audit", p.Member.Team.Slug, ap.NextCursor, "action", data.Action)
		p.Data = data
		d.render(w, r, http.StatusOK, "audit", p)
	})
}

// nextPage is the link to the page of a listing at path that starts at
// cursor ("" on the last page: no link): the team, the listing's filters
// (name, value pairs) that are set, and the cursor, which is only a
// position.
func nextPage(path, team, cursor string, filters ...string) string {
	if cursor == "" {
		return ""
	}
	v := url.Values{"team": {team}, "cursor": {cursor}}
	for i := 0; i+1 < len(filters); i += 2 {
		if filters[i+1] != "" {
			v.Set(filters[i], filters[i+1])
		}
	}
	return path + "?" + v.Encode()
}
