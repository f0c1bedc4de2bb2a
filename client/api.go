package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pomehq/pome"
)

// The bodies of Pome's answers (docs/api.md), declared once: the server
// encodes these types and the SDK decodes them. Times are UTC; a time the
// server sends as null is a nil pointer.

// Me is who an API key is: GET /v1/me.
type Me struct {
	User   MeUser `json:"user"`
	Team   MeTeam `json:"team"`
	APIKey MeKey  `json:"api_key"`
}

// MeUser is the user who created the key: empty for a key a service token
// made (null in JSON).
type MeUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// MeTeam is the key's team.
type MeTeam struct {
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	PlanTier string `json:"plan_tier"`
}

// MeKey is the key; Role is its effective role (never above its creator's
// current role).
type MeKey struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Prefix string    `json:"prefix"`
	Role   pome.Role `json:"role"`
	// The key's environment (live or test), scopes and meta ({} for none).
	Environment string          `json:"environment"`
	Scopes      []string        `json:"scopes"`
	Meta        json.RawMessage `json:"meta"`
}

// Session is the signed-in user, their teams with their role in each, and
// the slug of their default team.
type Session struct {
	User        User   `json:"user"`
	Teams       []Team `json:"teams"`
	DefaultTeam string `json:"default_team"`
}

// User is a person with an account.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// Team is a team of the signed-in user, with their role in it.
type Team struct {
	ID       string    `json:"id"`
	Slug     string    `json:"slug"`
	Name     string    `json:"name"`
	PlanTier string    `json:"plan_tier"`
	Status   string    `json:"status"`
	Role     pome.Role `json:"role"`
}

// Key is an API key as listed: never its plaintext.
type Key struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Prefix      string     `json:"prefix"`
	Role        pome.Role  `json:"role"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	LastUsed    *time.Time `json:"last_used"`
	// LastUsedIP is the client address of the last use, nil when unknown
	// (never used, or used without an address: a verify call without "ip").
	LastUsedIP *string        `json:"last_used_ip"`
	ExpiresAt  *time.Time     `json:"expires_at"`
	UsageCount int64          `json:"usage_count"`
	Status     pome.KeyStatus `json:"status"`
	// ReplacedBy is the id of the key that rolling this one minted, nil
	// for a key never rolled: the old key works on until its grace ends.
	ReplacedBy *string `json:"replaced_by"`
	KeyPolicies
}

// KeyPolicies are the policies of a key, in every key object
// (docs/api.md, "Key policies"): none is {}, [], null, enabled.
type KeyPolicies struct {
	TeamID       string          `json:"team_id"`
	Environment  string          `json:"environment"` // live or test
	Meta         json.RawMessage `json:"meta"`
	Scopes       []string        `json:"scopes"`
	RateLimit    *RateLimit      `json:"rate_limit"`
	AllowedCIDRs []string        `json:"allowed_cidrs"`
	Enabled      bool            `json:"enabled"`
	Credits      *Credits        `json:"credits"` // nil: unlimited
	// Canary is a decoy key: every use is answered as an unknown key's
	// and recorded (key.canary_used).
	Canary bool `json:"canary"`
}

// Credits are what a key may still spend (docs/api.md, "Credits"): each
// accepted request costs 1, and at 0 the key is refused with
// quota_exceeded until its refill, if it has one.
type Credits struct {
	Remaining int64         `json:"remaining"`
	Refill    *CreditRefill `json:"refill"`
}

// CreditRefill sets a key's credits back to Amount (not added to what is
// left), "daily" at 00:00 UTC or "monthly" on the 1st.
type CreditRefill struct {
	Interval string `json:"interval"`
	Amount   int64  `json:"amount"`
}

// CreditsChange changes a key's credits: Remaining sets them, Increment
// adds (negative: takes, never below 0), not both; Refill sets the refill,
// pome.Null removes it.
type CreditsChange struct {
	Remaining pome.Optional[int64]        `json:"remaining,omitzero"`
	Increment pome.Optional[int64]        `json:"increment,omitzero"`
	Refill    pome.Optional[CreditRefill] `json:"refill,omitzero"`
}

// RateLimit is a key's own rate limit: at most Limit requests per
// WindowSeconds, in place of its team plan's.
type RateLimit struct {
	Limit         int `json:"limit"`
	WindowSeconds int `json:"window_seconds"`
}

// KeyList is a page of GET /api/keys, newest first. Total counts the keys
// of every page; NextCursor is "" on the last page (null in JSON).
type KeyList struct {
	Keys       []Key  `json:"keys"`
	Total      int    `json:"total"`
	NextCursor string `json:"next_cursor"`
}

// MarshalJSON encodes the page as the server sends it: next_cursor is null
// on the last page.
func (l KeyList) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Keys       []Key   `json:"keys"`
		Total      int     `json:"total"`
		NextCursor *string `json:"next_cursor"`
	}{l.Keys, l.Total, orNull(l.NextCursor)})
}

// orNull is s, or a JSON null for "".
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreatedKey is a new key. Key is its plaintext, which no later answer
// holds: show or store it now.
type CreatedKey struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Key         string         `json:"key"`
	Prefix      string         `json:"prefix"`
	Role        pome.Role      `json:"role"`
	CreatedAt   time.Time      `json:"created_at"`
	ExpiresAt   *time.Time     `json:"expires_at"`
	Status      pome.KeyStatus `json:"status"`
	KeyPolicies
}

// RolledKey is the replacement minted by a roll (its plaintext in Key),
// and the key it replaces with that key's new expiry.
type RolledKey struct {
	CreatedKey
	RolledFrom string `json:"rolled_from"`
	OldKey     OldKey `json:"old_key"`
}

// OldKey is the key a roll replaces; it works until ExpiresAt.
type OldKey struct {
	ID        string         `json:"id"`
	ExpiresAt *time.Time     `json:"expires_at"`
	Status    pome.KeyStatus `json:"status"`
}

// RevokedKey is the answer of a revocation.
type RevokedKey struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	ID      string `json:"id"`
}

// KeyUsage is a key's daily verifications by outcome, oldest day first,
// days without any included as zeros.
type KeyUsage struct {
	KeyID string     `json:"key_id"`
	Days  []UsageDay `json:"days"`
}

// UsageDay is one UTC day's verifications of known keys, by outcome
// (docs/api.md, "Usage accounting"). Date is "2006-01-02"; Count is Valid,
// kept from before outcomes were counted; Total is the sum of every
// outcome.
type UsageDay struct {
	Date                    string `json:"date"`
	Count                   int64  `json:"count"`
	Valid                   int64  `json:"valid"`
	Revoked                 int64  `json:"revoked"`
	Expired                 int64  `json:"expired"`
	TeamBanned              int64  `json:"team_banned"`
	Disabled                int64  `json:"disabled"`
	IPNotAllowed            int64  `json:"ip_not_allowed"`
	InsufficientPermissions int64  `json:"insufficient_permissions"`
	InsufficientScope       int64  `json:"insufficient_scope"`
	RateLimited             int64  `json:"rate_limited"`
	QuotaExceeded           int64  `json:"quota_exceeded"`
	Total                   int64  `json:"total"`
}

// NewUsageDay is the day date with counts c.
func NewUsageDay(date string, c *pome.OutcomeCounts) UsageDay {
	d := UsageDay{Date: date, Count: c.Of(pome.OutcomeValid), Total: c.Total()}
	for i, f := range d.fields() {
		*f = c[i]
	}
	return d
}

// Outcomes is the day's counts, indexed as pome.Outcomes.
func (d *UsageDay) Outcomes() pome.OutcomeCounts {
	var c pome.OutcomeCounts
	for i, f := range d.fields() {
		c[i] = *f
	}
	return c
}

// fields are the day's outcome fields, in the order of pome.Outcomes
// (TestUsageDayFields holds it).
func (d *UsageDay) fields() [len(pome.Outcomes)]*int64 {
	return [...]*int64{&d.Valid, &d.Revoked, &d.Expired, &d.TeamBanned, &d.Disabled, &d.IPNotAllowed,
		&d.InsufficientPermissions, &d.InsufficientScope, &d.RateLimited, &d.QuotaExceeded}
}

// Total is the sum of the days' counts: valid verifications.
func (u *KeyUsage) Total() int64 { return totalOf(u.Days) }

// TeamUsage is the daily verifications of a team's keys by outcome, summed:
// every key of the team, revoked and expired ones included, for owners,
// admins and service tokens; their own keys for developers. Oldest day
// first, days without any included as zeros.
type TeamUsage struct {
	Days []UsageDay `json:"days"`
}

// Total is the sum of the days' counts: valid verifications.
func (u *TeamUsage) Total() int64 { return totalOf(u.Days) }

func totalOf(days []UsageDay) int64 {
	var n int64
	for _, d := range days {
		n += d.Count
	}
	return n
}

// Member is a member of a team.
type Member struct {
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	Role     pome.Role `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

// MemberList is the members of a team, oldest first.
type MemberList struct {
	Members []Member `json:"members"`
	Total   int      `json:"total"`
}

// RemovedMember is the answer of a removal: the keys the member had created
// in the team are revoked.
type RemovedMember struct {
	Success     bool     `json:"success"`
	Message     string   `json:"message"`
	UserID      string   `json:"user_id"`
	RevokedKeys []string `json:"revoked_keys"`
}

// AuditEvent is one event of a team's audit log (docs/api.md lists the
// actions and their details).
type AuditEvent struct {
	ID        string         `json:"id"`
	Time      time.Time      `json:"time"`
	Action    string         `json:"action"`
	Result    string         `json:"result"`
	Actor     AuditRef       `json:"actor"`
	TeamID    string         `json:"team_id"`
	Target    *AuditRef      `json:"target"`
	RequestID string         `json:"request_id"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Details   map[string]any `json:"details"`
}

// AuditRef names who acted, or what was acted on: Type is e.g. "user",
// "key", "team", "system".
type AuditRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// AuditPage is one page of the audit log, newest first. NextCursor is ""
// on the last page (null in JSON).
type AuditPage struct {
	Events     []AuditEvent `json:"events"`
	NextCursor string       `json:"next_cursor"`
}

// MarshalJSON encodes the page as the server sends it: next_cursor is null
// on the last page.
func (p AuditPage) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Events     []AuditEvent `json:"events"`
		NextCursor *string      `json:"next_cursor"`
	}{p.Events, orNull(p.NextCursor)})
}

// Success is the body of an answer that only says it worked (a logout).
type Success struct {
	Success bool `json:"success"`
}

// SignupParams is a new account: Email and Password (10 to 1024
// characters) are required; TeamName names their personal team (default:
// from the email).
type SignupParams struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TeamName string `json:"team_name,omitempty"`
	// Invitation, if set, is the token of an invitation link for Email:
	// the new user joins its team at once, and the signup works even when
	// the server's signup is closed.
	Invitation string `json:"invitation,omitempty"`
}

// CreateKeyParams describes a new key. Name is required (1 to 100
// characters). Role defaults to the creator's role and may not exceed it;
// ExpiresInDays 0 means no expiry.
type CreateKeyParams struct {
	Name          string     `json:"name"`
	Description   string     `json:"description,omitempty"`
	Role          pome.Role  `json:"role,omitempty"`
	ExpiresInDays int        `json:"expires_in_days,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"` // instead of ExpiresInDays
	// The key's policies (docs/api.md, "Key policies"); left out: none.
	Environment  string          `json:"environment,omitempty"` // "live" (default) or "test"
	Meta         json.RawMessage `json:"meta,omitempty"`        // a JSON object, at most 4 KiB
	Scopes       []string        `json:"scopes,omitempty"`
	RateLimit    *RateLimit      `json:"rate_limit,omitempty"`
	AllowedCIDRs []string        `json:"allowed_cidrs,omitempty"`
	Enabled      *bool           `json:"enabled,omitempty"` // nil: enabled
	Credits      *Credits        `json:"credits,omitempty"` // nil: unlimited
	Canary       bool            `json:"canary,omitempty"`  // a decoy: see KeyPolicies.Canary
}

// UpdateKeyParams changes a key: a field left unset (the zero Optional) is
// unchanged, pome.Null clears it (meta, scopes, rate_limit, allowed_cidrs,
// expires_at), pome.Some sets it.
type UpdateKeyParams struct {
	Name         pome.Optional[string]          `json:"name,omitzero"`
	Description  pome.Optional[string]          `json:"description,omitzero"`
	Meta         pome.Optional[json.RawMessage] `json:"meta,omitzero"`
	Scopes       pome.Optional[[]string]        `json:"scopes,omitzero"`
	RateLimit    pome.Optional[RateLimit]       `json:"rate_limit,omitzero"`
	AllowedCIDRs pome.Optional[[]string]        `json:"allowed_cidrs,omitzero"`
	ExpiresAt    pome.Optional[time.Time]       `json:"expires_at,omitzero"`
	Enabled      pome.Optional[bool]            `json:"enabled,omitzero"`
	// Credits changes the key's credits; pome.Null makes it unlimited.
	Credits pome.Optional[CreditsChange] `json:"credits,omitzero"`
}

// RollKeyParams tunes a roll. ExpireOldInHours is the old key's grace, 0 to
// 168 (nil: the server's default, 24; new(0): it stops at once).
// ExpiresInDays gives the replacement an expiry (0: none).
type RollKeyParams struct {
	ExpireOldInHours *int       `json:"expire_old_in_hours,omitempty"`
	ExpiresInDays    int        `json:"expires_in_days,omitempty"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"` // instead of ExpiresInDays
}

// MaxKeyListLimit is the most keys a page of ListKeys holds.
const MaxKeyListLimit = 100

// KeyListOptions selects a page of keys: Status ("" or "active",
// "revoked", "expired", "all"), Search (a part of the name, any case, or
// the start of the prefix; "": every key), Limit per page (1 to
// MaxKeyListLimit, 0: the server's 50) and Cursor, the NextCursor of the
// previous page (with the same Status and Search: a cursor is only a
// position).
type KeyListOptions struct {
	Status string
	Search string
	Limit  int
	Cursor string
}

// AuditParams filters the audit log: Action (e.g. "key.revoked"), Target
// (an id: usr_, key_ or tm_), Limit per page (1 to 200, 0: the server's
// 50), and Cursor, the NextCursor of the previous page.
type AuditParams struct {
	Action string
	Target string
	Cursor string
	Limit  int
}

// Me returns who the client's API key (WithAPIKey) is: GET /v1/me. Each
// call counts as one use of the key.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var v Me
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/me", public: true, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Healthz asks GET /healthz: nil when the server says it is up. It needs no
// credential; `pome healthcheck` is built on it.
func (c *Client) Healthz(ctx context.Context) error {
	var v struct {
		Status string `json:"status"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/healthz", public: true, want: http.StatusOK}, &v); err != nil {
		return err
	}
	if v.Status != "ok" {
		return fmt.Errorf("GET /healthz answered status %q: %w", v.Status, ErrUnexpectedResponse)
	}
	return nil
}

// Signup creates an account and its personal team, and signs the client in
// as the new user (SessionToken returns the new session).
func (c *Client) Signup(ctx context.Context, p SignupParams) (*Session, error) {
	return c.signIn(ctx, "/api/auth/signup", p, http.StatusCreated)
}

// Login signs the client in: it holds the new session from now on
// (SessionToken returns it). A wrong email or password is
// pome.ErrInvalidCredentials.
func (c *Client) Login(ctx context.Context, email, password string) (*Session, error) {
	body := struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}{email, password}
	return c.signIn(ctx, "/api/auth/login", body, http.StatusOK)
}

func (c *Client) signIn(ctx context.Context, path string, body any, want int) (*Session, error) {
	var v Session
	resp, err := c.do(ctx, request{method: http.MethodPost, path: path, body: body, want: want}, &v)
	if err != nil {
		return nil, err
	}
	tok := cookieOf(resp)
	if tok == "" {
		return nil, fmt.Errorf("POST %s answered no session cookie: %w", path, ErrUnexpectedResponse)
	}
	c.sess.set(tok)
	return &v, nil
}

// Logout ends the client's session on the server and forgets it. Without a
// session it succeeds all the same.
func (c *Client) Logout(ctx context.Context) error {
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/auth/logout", want: http.StatusOK}, nil); err != nil {
		return err
	}
	c.sess.set("")
	return nil
}

// Session returns the signed-in user, their teams and the default team. An
// expired or ended session is pome.ErrUnauthorized.
func (c *Client) Session(ctx context.Context) (*Session, error) {
	var v Session
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/session", want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ChangePassword sets the signed-in user's password to newPassword if
// current is theirs; every other session of theirs ends, this client's
// stays. A wrong current password is pome.ErrWrongPassword.
func (c *Client) ChangePassword(ctx context.Context, current, newPassword string) error {
	body := ChangePasswordParams{CurrentPassword: current, NewPassword: newPassword}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/auth/password", body: body, want: http.StatusOK}, nil)
	return err
}

// ListSessions returns the signed-in user's sessions, newest first, this
// client's marked Current.
func (c *Client) ListSessions(ctx context.Context) (*UserSessionList, error) {
	var v UserSessionList
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/auth/sessions", want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// EndSession ends one of the signed-in user's sessions, by its id
// (ses_...). Another user's session, like an unknown one, is
// pome.ErrSessionNotFound.
func (c *Client) EndSession(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/auth/sessions/" + url.PathEscape(id), want: http.StatusOK}, nil)
	return err
}

// ResetPassword sets a password with the token of a reset link (what
// follows /reset/); it needs no session, and the user's sessions all end.
// An unknown, used, replaced or expired token is pome.ErrInvalidResetToken.
func (c *Client) ResetPassword(ctx context.Context, token, newPassword string) error {
	body := ResetPasswordParams{Token: token, NewPassword: newPassword}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/auth/password-reset", body: body, want: http.StatusOK}, nil)
	return err
}

// ListKeys returns one page of the team's keys the user may see, newest
// first (o selects which); the next page is o with Cursor set to the
// answer's NextCursor. AllKeys follows every page.
func (c *Client) ListKeys(ctx context.Context, o KeyListOptions) (*KeyList, error) {
	q := pageQuery(o.Cursor, o.Limit, "status", o.Status, "q", o.Search)
	var v KeyList
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/keys", query: q, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// AllKeys iterates over every key of the team with status ("" or
// "active", "revoked", "expired", "all") that the user may see, newest
// first, fetching pages of the most keys the server gives (100) one after
// another. It stops at the first error, which it yields. Each page spends
// one request of the list_keys rate limit.
func (c *Client) AllKeys(ctx context.Context, status string) iter.Seq2[Key, error] {
	return pages("", func(cursor string) ([]Key, string, error) {
		l, err := c.ListKeys(ctx, KeyListOptions{Status: status, Limit: MaxKeyListLimit, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		return l.Keys, l.NextCursor, nil
	})
}

// pages iterates over the items of a paged listing, fetching page after
// page with next: from cursor ("": the first page), then from the cursor
// each page gave. It stops at the first error, which it yields.
func pages[T any](cursor string, next func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			items, nextCursor, err := next(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if nextCursor == "" {
				return
			}
			cursor = nextCursor
		}
	}
}

// pageQuery is the query of a paged listing: each filter name=value of kv
// that is not empty, the cursor unless empty, the limit unless 0.
func pageQuery(cursor string, limit int, kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// GetKey returns the key with id, as ListKeys lists it. A key the user may
// not see (another team's, a colleague's for a developer, any for a
// viewer) is pome.ErrKeyNotFound.
func (c *Client) GetKey(ctx context.Context, id string) (*Key, error) {
	var v Key
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/keys/" + url.PathEscape(id), want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateKey creates a key in the team. The answer's Key is the plaintext,
// shown this once.
func (c *Client) CreateKey(ctx context.Context, p CreateKeyParams) (*CreatedKey, error) {
	var v CreatedKey
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/keys", body: p, want: http.StatusCreated}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// UpdateKey changes the key with id (owners and admins only): the fields
// of p that are set, pome.Null clearing one. It returns the key as
// changed. A revoked key is pome.ErrKeyNotActive; a key the user may not
// see is pome.ErrKeyNotFound.
func (c *Client) UpdateKey(ctx context.Context, id string, p UpdateKeyParams) (*Key, error) {
	var v Key
	r := request{method: http.MethodPatch, path: "/api/keys/" + url.PathEscape(id), body: p, want: http.StatusOK}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// RevokeKey revokes the key with id; its very next use is refused.
// Revoking a revoked key succeeds again. A key the user may not see is
// pome.ErrKeyNotFound.
func (c *Client) RevokeKey(ctx context.Context, id string) (*RevokedKey, error) {
	var v RevokedKey
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/keys/" + url.PathEscape(id), want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// RollKey mints a replacement of the key with id (same name, description
// and role); the old key keeps working for the grace period, then answers
// key_expired.
func (c *Client) RollKey(ctx context.Context, id string, p RollKeyParams) (*RolledKey, error) {
	var v RolledKey
	r := request{method: http.MethodPost, path: "/api/keys/" + url.PathEscape(id) + "/roll", body: p, want: http.StatusCreated}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// KeyUsage returns the key's daily verifications by outcome for the last
// days days (1 to 90; 0: the server's default, 30), today included.
func (c *Client) KeyUsage(ctx context.Context, id string, days int) (*KeyUsage, error) {
	return fetch[KeyUsage](ctx, c, request{method: http.MethodGet, path: "/api/keys/" + url.PathEscape(id) + "/usage", query: daysQuery(days), want: http.StatusOK})
}

// TeamUsage returns the daily verifications by outcome of the team's keys
// that the user may see, summed, for the last days days (1 to 90; 0: the
// server's default, 30), today included. A viewer, who may list no keys,
// gets pome.ErrInsufficientPermissions.
func (c *Client) TeamUsage(ctx context.Context, days int) (*TeamUsage, error) {
	return fetch[TeamUsage](ctx, c, request{method: http.MethodGet, path: "/api/usage", query: daysQuery(days), want: http.StatusOK})
}

// fetch is the answer of r, decoded into a new T.
func fetch[T any](ctx context.Context, c *Client, r request) (*T, error) {
	var v T
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// daysQuery is the ?days= of a usage call; 0 sends none, for the server's
// default.
func daysQuery(days int) url.Values {
	if days == 0 {
		return nil
	}
	return url.Values{"days": {strconv.Itoa(days)}}
}

// Audit returns one page of the team's audit log, newest first (owners and
// admins only).
func (c *Client) Audit(ctx context.Context, p AuditParams) (*AuditPage, error) {
	q := pageQuery(p.Cursor, p.Limit, "action", p.Action, "target", p.Target)
	var v AuditPage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/audit", query: q, want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// AuditEvents iterates over the whole audit log matching p, newest first,
// fetching page after page from p.Cursor. It stops at the first error,
// which it yields.
func (c *Client) AuditEvents(ctx context.Context, p AuditParams) iter.Seq2[AuditEvent, error] {
	return pages(p.Cursor, func(cursor string) ([]AuditEvent, string, error) {
		p.Cursor = cursor
		page, err := c.Audit(ctx, p)
		if err != nil {
			return nil, "", err
		}
		return page.Events, page.NextCursor, nil
	})
}

// Members returns the members of the team, oldest first. Any member may
// read them.
func (c *Client) Members(ctx context.Context) (*MemberList, error) {
	var v MemberList
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/team/members", want: http.StatusOK}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// SetMemberRole changes the role of the member with userID. Their keys'
// effective role follows.
func (c *Client) SetMemberRole(ctx context.Context, userID string, role pome.Role) (*Member, error) {
	body := struct {
		Role pome.Role `json:"role"`
	}{role}
	var v Member
	r := request{method: http.MethodPatch, path: "/api/team/members/" + url.PathEscape(userID), body: body, want: http.StatusOK}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// RemoveMember removes the member with userID from the team (one's own id:
// leave it), revoking the keys they created or were issued (by a roll) in it.
func (c *Client) RemoveMember(ctx context.Context, userID string) (*RemovedMember, error) {
	var v RemovedMember
	r := request{method: http.MethodDelete, path: "/api/team/members/" + url.PathEscape(userID), want: http.StatusOK}
	if _, err := c.do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// UserSession is one session of the signed-in user: where they are signed
// in. ID names it to end it; its token is never shown. Current marks the
// session of the request.
type UserSession struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	// IP and UserAgent are those of the sign-in ("" when unknown).
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	Current   bool   `json:"current"`
}

// UserSessionList is GET /api/auth/sessions: newest first.
type UserSessionList struct {
	Sessions []UserSession `json:"sessions"`
}

// ChangePasswordParams is POST /api/auth/password.
type ChangePasswordParams struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ResetPasswordParams is POST /api/auth/password-reset: the token of a
// reset link (pome admin user reset-password) and the new password.
type ResetPasswordParams struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
}
