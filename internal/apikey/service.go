// Package apikey issues, lists and revokes API keys, and verifies them on the
// request path. The rules of who may see or revoke which key live here, once.
package apikey

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pomehq/pome"
)

// Limits of docs/api.md on key creation.
const (
	maxNameLen        = 100
	maxDescriptionLen = 500
	maxExpiresInDays  = 3650
)

// Service manages the keys of a team on behalf of its members, and of
// every team on behalf of service tokens (TokenKeys).
type Service struct {
	store    Store
	format   pome.KeyFormat
	verifier *Verifier
	now      func() time.Time
	plans    map[string]pome.RateLimit
}

// New returns a Service. Revocations it makes are forgotten at once by
// verifier, so they take effect on the very next request to this node.
func New(store Store, format pome.KeyFormat, verifier *Verifier, now func() time.Time) *Service {
	return &Service{store: store, format: format, verifier: verifier, now: now}
}

// CreateParams are the caller's choices for a new key.
type CreateParams struct {
	Name        *string
	Description string
	Role        pome.Role // empty: the creator's role (developer for a token)
	// ExpiresInDays (1–3650) or ExpiresAt (in the future, at most 3650
	// days away), not both; neither: the key never expires.
	ExpiresInDays *int
	ExpiresAt     *time.Time
	PolicyParams
}

// Created is a new key and its plaintext, which exists only in this value.
type Created struct {
	Key       pome.Key
	Plaintext string
}

// Create mints a key for the member's team. The key's role is at most the
// member's own.
func (s *Service) Create(ctx context.Context, m pome.Member, p CreateParams) (Created, error) {
	if !m.Role.Can(pome.ActionCreateKey) {
		return Created{}, pome.ErrInsufficientPermissions
	}
	return s.create(ctx, memberActor(m), p)
}

func (s *Service) create(ctx context.Context, a actor, p CreateParams) (Created, error) {
	if p.Name == nil || *p.Name == "" {
		return Created{}, pome.MissingParameter("name")
	}
	if err := checkName(*p.Name); err != nil {
		return Created{}, err
	}
	if err := checkDescription(p.Description); err != nil {
		return Created{}, err
	}
	role := p.Role
	if role == "" {
		role = a.role
		if a.tokenID != "" {
			role = pome.RoleDeveloper
		}
	}
	if !role.Valid() {
		return Created{}, pome.InvalidParameter("'role' must be one of owner, admin, developer, viewer")
	}
	if !a.role.AtLeast(role) {
		return Created{}, pome.InvalidParameter("'role' %s is above your role %s in this team", role, a.role)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	k := pome.Key{
		ID:          pome.NewID("key_"),
		TeamID:      a.teamID,
		CreatedBy:   a.id(),
		Name:        *p.Name,
		Description: p.Description,
		Role:        role,
		CreatedAt:   now,
	}
	if p.ExpiresInDays != nil && p.ExpiresAt != nil {
		return Created{}, pome.InvalidParameter("give 'expires_at' or 'expires_in_days', not both")
	}
	if p.ExpiresInDays != nil {
		d := *p.ExpiresInDays
		if d < 1 || d > maxExpiresInDays {
			return Created{}, pome.InvalidParameter("'expires_in_days' must be 1 to %d", maxExpiresInDays)
		}
		t := now.AddDate(0, 0, d)
		k.ExpiresAt = &t
	}
	if p.ExpiresAt != nil {
		if err := s.setExpiry(&k, p.ExpiresAt, now); err != nil {
			return Created{}, err
		}
	}
	if k.ExpiresAt != nil {
		k.Lifetime = k.ExpiresAt.Sub(now)
	}
	var err error
	if k.Credits, err = newCredits(p.Credits, now); err != nil {
		return Created{}, err
	}
	if err := s.applyPolicies(a, &k, p.PolicyParams); err != nil {
		return Created{}, err
	}
	plaintext, err := s.mint(&k)
	if err != nil {
		return Created{}, err
	}
	ev := a.event(ctx, pome.AuditKeyCreated, now, k.ID).With(keyDetails(&k))
	if err := s.store.CreateKey(ctx, k, ev); err != nil {
		return Created{}, err
	}
	s.verifier.ForgetUnknown(k.Digest)
	return Created{Key: k, Plaintext: plaintext}, nil
}

// mint gives k a new secret of its environment, and returns it: k keeps its
// digest and display prefix.
func (s *Service) mint(k *pome.Key) (string, error) {
	generate := s.format.Generate
	if k.TestMode {
		generate = s.format.GenerateTest
	}
	plaintext, err := generate()
	if err != nil {
		return "", err
	}
	k.Prefix, k.Digest = s.format.DisplayPrefix(plaintext), pome.DigestOf(plaintext)
	return plaintext, nil
}

// checkName and checkDescription are the rules of a key's name and
// description, on creation and change alike.
func checkName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > maxNameLen {
		return pome.InvalidParameter("'name' must be 1 to %d characters", maxNameLen)
	}
	return pome.CheckText("name", name)
}

func checkDescription(d string) error {
	if err := pome.CheckMultilineText("description", d); err != nil {
		return err
	}
	if utf8.RuneCountInString(d) > maxDescriptionLen {
		return pome.InvalidParameter("'description' must be at most %d characters", maxDescriptionLen)
	}
	return nil
}

// setExpiry sets k to expire at t (nil: never), which must be after now
// and at most maxExpiresInDays away, and gives it the lifetime from its
// creation that this makes, which a roll then gives its replacement.
func (s *Service) setExpiry(k *pome.Key, t *time.Time, now time.Time) error {
	if t == nil {
		k.ExpiresAt, k.Lifetime = nil, 0
		return nil
	}
	at := t.UTC().Truncate(time.Millisecond)
	if !at.After(now) {
		return pome.InvalidParameter("'expires_at' must be in the future")
	}
	if at.After(now.AddDate(0, 0, maxExpiresInDays)) {
		return pome.InvalidParameter("'expires_at' must be at most %d days away", maxExpiresInDays)
	}
	k.ExpiresAt, k.Lifetime = &at, at.Sub(k.CreatedAt)
	return nil
}

// Page sizes of GET /api/keys.
const (
	DefaultListLimit = 50
	MaxListLimit     = 100
)

// ListQuery is what a member asks of the key listing.
type ListQuery struct {
	Status string // active (or empty), revoked, expired, all
	Search string // empty: every key; else pome.KeyFilter.Search
	Cursor string // from a previous page's NextCursor; empty: the newest
	Limit  int    // 0: DefaultListLimit
}

// Page is one page of a key listing, newest first.
type Page struct {
	Keys       []pome.Key
	Total      int    // the keys of every page: those of Status the member may see
	NextCursor string // empty on the last page
}

// maxSearch bounds a listing's search: a key's name is at most 100
// characters, of up to 4 bytes each.
const maxSearch = 400

// keyCursorPrefix versions the key listing's cursor, as the audit log's
// "a1." does its own.
const keyCursorPrefix = "k1."

// List returns a page of the team's keys with the given status (empty:
// active) that the member may see: every key for admins and owners, their
// own for developers. A cursor is only a position in the listing: the team
// and the keys the member may see come from m, never from it.
func (s *Service) List(ctx context.Context, m pome.Member, q ListQuery) (Page, error) {
	return s.list(ctx, memberActor(m), q)
}

func (s *Service) list(ctx context.Context, a actor, q ListQuery) (Page, error) {
	f := pome.KeyFilter{TeamID: a.teamID, Now: s.now().UTC()}
	switch q.Status {
	case "", string(pome.KeyActive):
		f.Status = pome.KeyActive
	case string(pome.KeyRevoked), string(pome.KeyExpired):
		f.Status = pome.KeyStatus(q.Status)
	case "all":
	default:
		return Page{}, pome.InvalidParameter("'status' must be one of active, revoked, expired, all")
	}
	by, err := a.listedCreator()
	if err != nil {
		return Page{}, err
	}
	f.CreatedBy = by
	if len(q.Search) > maxSearch || !pome.Storable(q.Search) {
		return Page{}, pome.InvalidParameter("'q' must be text of at most %d bytes", maxSearch)
	}
	f.Search = q.Search
	limit, err := pome.PageLimit(q.Limit, DefaultListLimit, MaxListLimit)
	if err != nil {
		return Page{}, err
	}
	if q.Cursor != "" {
		pos, ok := decodeKeyCursor(q.Cursor)
		if !ok {
			return Page{}, pome.InvalidParameter("'cursor' is not a cursor of this listing")
		}
		f.Before = &pos
	}
	total, err := s.store.CountKeys(ctx, f)
	if err != nil {
		return Page{}, err
	}
	f.Limit = limit + 1
	ks, err := s.store.ListKeys(ctx, f)
	if err != nil {
		return Page{}, err
	}
	page := Page{Keys: ks, Total: total}
	if len(ks) > limit {
		page.Keys = ks[:limit]
		last := &ks[limit-1]
		page.NextCursor = encodeKeyCursor(pome.KeyPosition{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	return page, nil
}

// encodeKeyCursor makes the cursor of the page after pos: its creation
// time in microseconds (what PostgreSQL keeps; SQLite keeps milliseconds)
// and its id.
func encodeKeyCursor(pos pome.KeyPosition) string {
	return pome.EncodeCursor(keyCursorPrefix, strconv.FormatInt(pos.CreatedAt.UnixMicro(), 10)+"."+pos.ID)
}

var maxCursorMicro = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMicro()

func decodeKeyCursor(c string) (pome.KeyPosition, bool) {
	p, ok := pome.DecodeCursor(keyCursorPrefix, c)
	if !ok {
		return pome.KeyPosition{}, false
	}
	us, id, ok := strings.Cut(p, ".")
	if !ok || !pome.IsID(id, "key_") {
		return pome.KeyPosition{}, false
	}
	// No key is created before 1970 or after 9999: a position out there is
	// none of ours, and a time no database holds.
	n, err := strconv.ParseInt(us, 10, 64)
	if err != nil || n < 0 || n > maxCursorMicro {
		return pome.KeyPosition{}, false
	}
	return pome.KeyPosition{CreatedAt: time.UnixMicro(n).UTC(), ID: id}, true
}

// Get returns a key of the member's team that the member may see; any
// other key is ErrKeyNotFound, never a 403, so no answer tells that it
// exists.
func (s *Service) Get(ctx context.Context, m pome.Member, keyID string) (pome.Key, error) {
	return s.visibleKey(ctx, memberActor(m), keyID)
}

// Revoke revokes a key of the member's team. A key the member may not see is
// ErrKeyNotFound, never a 403, so no answer tells that it exists. Revoking a
// revoked key succeeds again.
func (s *Service) Revoke(ctx context.Context, m pome.Member, keyID string) (pome.Key, error) {
	return s.revoke(ctx, memberActor(m), keyID)
}

func (s *Service) revoke(ctx context.Context, a actor, keyID string) (pome.Key, error) {
	k, err := s.visibleKey(ctx, a, keyID)
	if err != nil {
		return pome.Key{}, err
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	now := s.now().UTC()
	ev := a.event(ctx, pome.AuditKeyRevoked, now, keyID).With(map[string]any{"name": k.Name})
	k, err = s.store.RevokeKey(ctx, a.teamID, keyID, now, ev)
	if err != nil {
		return pome.Key{}, err
	}
	s.verifier.Revoked(k)
	return k, nil
}

// visibleKey finds a key of the actor's team that the actor may manage:
// one that List shows them. A malformed id is not looked up: it may be text
// no store can hold.
func (s *Service) visibleKey(ctx context.Context, a actor, keyID string) (pome.Key, error) {
	if !pome.IsID(keyID, "key_") {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	k, err := s.store.KeyByID(ctx, a.teamID, keyID)
	if err != nil {
		return pome.Key{}, err
	}
	if by, err := a.listedCreator(); err != nil || by != "" && k.CreatedBy != by {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	return k, nil
}

// keyDetails are the audit details of a new key: what it is, never its secret.
func keyDetails(k *pome.Key) map[string]any {
	d := map[string]any{"name": k.Name, "role": string(k.Role), "environment": k.Environment()}
	if k.ExpiresAt != nil {
		d["expires_at"] = k.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if k.Canary {
		d["canary"] = true
	}
	return d
}
