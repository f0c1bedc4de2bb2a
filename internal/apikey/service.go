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

// Service manages the keys of a team on behalf of its members.
type Service struct {
	store    Store
	format   pome.KeyFormat
	verifier *Verifier
	now      func() time.Time
}

// New returns a Service. Revocations it makes are forgotten at once by
// verifier, so they take effect on the very next request to this node.
func New(store Store, format pome.KeyFormat, verifier *Verifier, now func() time.Time) *Service {
	return &Service{store: store, format: format, verifier: verifier, now: now}
}

// CreateParams are the caller's choices for a new key.
type CreateParams struct {
	Name          *string
	Description   string
	Role          pome.Role // empty: the creator's role
	ExpiresInDays *int
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
	if p.Name == nil || *p.Name == "" {
		return Created{}, pome.MissingParameter("name")
	}
	if n := utf8.RuneCountInString(*p.Name); n > maxNameLen {
		return Created{}, pome.InvalidParameter("'name' must be 1 to %d characters", maxNameLen)
	}
	if err := pome.CheckText("name", *p.Name); err != nil {
		return Created{}, err
	}
	if err := pome.CheckMultilineText("description", p.Description); err != nil {
		return Created{}, err
	}
	if utf8.RuneCountInString(p.Description) > maxDescriptionLen {
		return Created{}, pome.InvalidParameter("'description' must be at most %d characters", maxDescriptionLen)
	}
	role := p.Role
	if role == "" {
		role = m.Role
	}
	if !role.Valid() {
		return Created{}, pome.InvalidParameter("'role' must be one of owner, admin, developer, viewer")
	}
	if !m.Role.AtLeast(role) {
		return Created{}, pome.InvalidParameter("'role' %s is above your role %s in this team", role, m.Role)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var expiresAt *time.Time
	if p.ExpiresInDays != nil {
		d := *p.ExpiresInDays
		if d < 1 || d > maxExpiresInDays {
			return Created{}, pome.InvalidParameter("'expires_in_days' must be 1 to %d", maxExpiresInDays)
		}
		t := now.AddDate(0, 0, d)
		expiresAt = &t
	}
	plaintext, err := s.format.Generate()
	if err != nil {
		return Created{}, err
	}
	k := pome.Key{
		ID:          pome.NewID("key_"),
		TeamID:      m.Team.ID,
		CreatedBy:   m.User.ID,
		Name:        *p.Name,
		Description: p.Description,
		Prefix:      s.format.DisplayPrefix(plaintext),
		Digest:      pome.DigestOf(plaintext),
		Role:        role,
		CreatedAt:   now,
		ExpiresAt:   expiresAt,
	}
	if expiresAt != nil {
		k.Lifetime = expiresAt.Sub(now)
	}
	ev := pome.NewAuditEvent(ctx, pome.AuditKeyCreated, now).ByUser(m.User.ID).
		On(m.Team.ID, pome.TargetKey, k.ID).With(keyDetails(&k))
	if err := s.store.CreateKey(ctx, k, ev); err != nil {
		return Created{}, err
	}
	s.verifier.ForgetUnknown(k.Digest)
	return Created{Key: k, Plaintext: plaintext}, nil
}

// Page sizes of GET /api/keys.
const (
	DefaultListLimit = 50
	MaxListLimit     = 100
)

// ListQuery is what a member asks of the key listing.
type ListQuery struct {
	Status string // active (or empty), revoked, expired, all
	Cursor string // from a previous page's NextCursor; empty: the newest
	Limit  int    // 0: DefaultListLimit
}

// Page is one page of a key listing, newest first.
type Page struct {
	Keys       []pome.Key
	Total      int    // the keys of every page: those of Status the member may see
	NextCursor string // empty on the last page
}

// keyCursorPrefix versions the key listing's cursor, as the audit log's
// "a1." does its own.
const keyCursorPrefix = "k1."

// List returns a page of the team's keys with the given status (empty:
// active) that the member may see: every key for admins and owners, their
// own for developers. A cursor is only a position in the listing: the team
// and the keys the member may see come from m, never from it.
func (s *Service) List(ctx context.Context, m pome.Member, q ListQuery) (Page, error) {
	f := pome.KeyFilter{TeamID: m.Team.ID, Now: s.now().UTC()}
	switch q.Status {
	case "", string(pome.KeyActive):
		f.Status = pome.KeyActive
	case string(pome.KeyRevoked), string(pome.KeyExpired):
		f.Status = pome.KeyStatus(q.Status)
	case "all":
	default:
		return Page{}, pome.InvalidParameter("'status' must be one of active, revoked, expired, all")
	}
	by, err := listedCreator(m)
	if err != nil {
		return Page{}, err
	}
	f.CreatedBy = by
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

// listedCreator is whose keys of the team the member may see, list and
// manage: everyone's ("") for admins and owners, their own for developers.
// A viewer holds no keys: ErrInsufficientPermissions.
func listedCreator(m pome.Member) (string, error) {
	switch {
	case m.Role.Can(pome.ActionManageAnyKey):
		return "", nil
	case m.Role.Can(pome.ActionCreateKey):
		return m.User.ID, nil
	}
	return "", pome.ErrInsufficientPermissions
}

// Get returns a key of the member's team that the member may see; any
// other key is ErrKeyNotFound, never a 403, so no answer tells that it
// exists.
func (s *Service) Get(ctx context.Context, m pome.Member, keyID string) (pome.Key, error) {
	return s.visibleKey(ctx, m, keyID)
}

// Revoke revokes a key of the member's team. A key the member may not see is
// ErrKeyNotFound, never a 403, so no answer tells that it exists. Revoking a
// revoked key succeeds again.
func (s *Service) Revoke(ctx context.Context, m pome.Member, keyID string) (pome.Key, error) {
	k, err := s.visibleKey(ctx, m, keyID)
	if err != nil {
		return pome.Key{}, err
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	now := s.now().UTC()
	ev := pome.NewAuditEvent(ctx, pome.AuditKeyRevoked, now).ByUser(m.User.ID).
		On(m.Team.ID, pome.TargetKey, keyID).With(map[string]any{"name": k.Name})
	k, err = s.store.RevokeKey(ctx, m.Team.ID, keyID, now, ev)
	if err != nil {
		return pome.Key{}, err
	}
	s.verifier.Revoked(k)
	return k, nil
}

// visibleKey finds a key of the member's team that the member may manage:
// one that List shows them. A malformed id is not looked up: it may be text
// no store can hold.
func (s *Service) visibleKey(ctx context.Context, m pome.Member, keyID string) (pome.Key, error) {
	if !pome.IsID(keyID, "key_") {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	k, err := s.store.KeyByID(ctx, m.Team.ID, keyID)
	if err != nil {
		return pome.Key{}, err
	}
	if by, err := listedCreator(m); err != nil || by != "" && k.CreatedBy != by {
		return pome.Key{}, pome.ErrKeyNotFound
	}
	return k, nil
}

// keyDetails are the audit details of a new key: what it is, never its secret.
func keyDetails(k *pome.Key) map[string]any {
	d := map[string]any{"name": k.Name, "role": string(k.Role)}
	if k.ExpiresAt != nil {
		d["expires_at"] = k.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return d
}
