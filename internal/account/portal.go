package account

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

// PortalLinkLifetime is how long a portal link works: long enough for a
// redirect the platform makes at once, short enough that a link leaked
// through a log or a history is dead by the time anyone reads it.
const PortalLinkLifetime = 5 * time.Minute

// maxReturnURLLen bounds a portal link's return_url.
const maxReturnURLLen = 2048

// ReturnOrigins are the origins a portal link's return_url may be on
// (pome serve --portal-return-origins), as scheme://host[:port], lower-cased,
// without a default port.
type ReturnOrigins []string

// ParseReturnOrigins checks origins, each an http or https URL of a host
// with no path, query, fragment or user, and returns them normalized.
func ParseReturnOrigins(origins []string) (ReturnOrigins, error) {
	var out ReturnOrigins
	for _, o := range origins {
		u, err := url.Parse(strings.TrimSpace(o))
		if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
			return nil, fmt.Errorf("%q is not an origin: want scheme://host[:port], such as https://app.example.com", o)
		}
		origin, ok := originOf(u)
		if !ok {
			return nil, fmt.Errorf("%q is not an origin: want scheme://host[:port], such as https://app.example.com", o)
		}
		out = append(out, origin)
	}
	return out, nil
}

// originOf is u's origin as ReturnOrigins holds it; false unless u is an
// absolute http(s) URL of a host with no user.
func originOf(u *url.URL) (string, bool) {
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return u.Scheme + "://" + host, true
}

// checkReturnURL refuses a return_url that is not an http(s) URL on one of
// origins: the dashboard links to it, and a link anywhere would make
// Pome's pages a way to send its users to any site.
func (origins ReturnOrigins) checkReturnURL(raw string) error {
	if len(raw) > maxReturnURLLen {
		return pome.InvalidParameter("'return_url' must be at most %d characters", maxReturnURLLen)
	}
	if err := pome.CheckText("return_url", raw); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return pome.InvalidParameter("'return_url' must be an absolute http or https URL")
	}
	origin, ok := originOf(u)
	if !ok {
		return pome.InvalidParameter("'return_url' must be an absolute http or https URL, with no user name or password")
	}
	if !slices.Contains(origins, origin) {
		return pome.InvalidParameter("'return_url' is on %s, which is not one of the server's --portal-return-origins", origin)
	}
	return nil
}

// PortalRequest is a POST /v1/portal/sessions: who to sign in to which
// team, with what role (developer when empty), and where the dashboard
// links back to ("" for nowhere).
type PortalRequest struct {
	Team      string
	Email     string
	Role      string
	ReturnURL string
}

// CreatePortalLink makes a one-time link that signs p.Email in to team
// p.Team's dashboard, as the service token by, with return URLs allowed on
// origins. It works once, for PortalLinkLifetime; the token exists only in
// the answer, the store keeps its digest. The platform may grant any role,
// owner included: a team it made has no member, and its first user may
// need to manage it. A banned team is ErrPortalTeamBanned.
func (s *Service) CreatePortalLink(ctx context.Context, by pome.ServiceToken, p PortalRequest, origins ReturnOrigins) (token string, l pome.PortalLink, err error) {
	email, err := normalizeEmail(p.Email)
	if err != nil {
		return "", pome.PortalLink{}, err
	}
	role := pome.Role(p.Role)
	if p.Role == "" {
		role = pome.RoleDeveloper
	}
	if !role.Valid() {
		return "", pome.PortalLink{}, pome.InvalidParameter("'role' must be owner, admin, developer or viewer")
	}
	if p.ReturnURL != "" {
		if err := origins.checkReturnURL(p.ReturnURL); err != nil {
			return "", pome.PortalLink{}, err
		}
	}
	t, err := s.Team(ctx, p.Team)
	if err != nil {
		return "", pome.PortalLink{}, err
	}
	if t.Status == pome.TeamBanned {
		return "", pome.PortalLink{}, pome.ErrPortalTeamBanned
	}
	token = pome.NewSessionToken()
	now := s.now().UTC().Truncate(time.Millisecond)
	l = pome.PortalLink{Digest: pome.DigestOf(token), TeamID: t.ID, Email: email, Role: role, ReturnURL: p.ReturnURL,
		CreatedBy: by.ID, CreatedAt: now, ExpiresAt: now.Add(PortalLinkLifetime)}
	// The email is not recorded: who it is becomes known (and recorded)
	// when the link is opened, if it ever is.
	ev := pome.NewAuditEvent(ctx, pome.AuditPortalCreated, now).ByToken(by.ID).On(t.ID, pome.TargetTeam, t.ID).
		With(map[string]any{"role": string(role), "return_url": p.ReturnURL, "expires_at": l.ExpiresAt.Format(time.RFC3339)})
	if err := s.store.CreatePortalLink(ctx, l, ev); err != nil {
		return "", pome.PortalLink{}, err
	}
	return token, l, nil
}

// PortalSignIn is the outcome of opening a portal link: the session, and
// the team the link was for, whose keys the browser goes to.
type PortalSignIn struct {
	SignedIn
	Team pome.Team
}

// OpenPortal uses the portal link of token: it consumes it and signs its
// user in, creating them (with no password) and their membership if
// needed, or raising a lower role to the link's. An unknown, used or
// expired link is pome.ErrPortalLinkInvalid.
func (s *Service) OpenPortal(ctx context.Context, token string) (PortalSignIn, error) {
	if token == "" || !pome.Storable(token) {
		return PortalSignIn{}, pome.ErrPortalLinkInvalid
	}
	sessToken, sess := s.newSession(ctx, "")
	now := sess.CreatedAt
	newUser := pome.User{ID: pome.NewID("usr_"), CreatedAt: now}
	o, err := s.store.OpenPortalLink(ctx, pome.DigestOf(token), newUser, sess, func(o pome.PortalOpened) []pome.AuditEvent {
		return portalEvents(ctx, o, now)
	})
	if errors.Is(err, pome.ErrNotFound) {
		return PortalSignIn{}, pome.ErrPortalLinkInvalid
	}
	if err != nil {
		return PortalSignIn{}, err
	}
	t, err := s.store.TeamByID(ctx, o.Link.TeamID)
	if err != nil {
		return PortalSignIn{}, err
	}
	return PortalSignIn{SignedIn: SignedIn{User: o.User, Token: sessToken}, Team: t}, nil
}

// portalEvents are the audit events of opening a portal link: the login,
// and the membership added or raised, whose actor is the service token
// that made the link (the platform decided it).
func portalEvents(ctx context.Context, o pome.PortalOpened, now time.Time) []pome.AuditEvent {
	u, l := o.User, o.Link
	evs := []pome.AuditEvent{pome.NewAuditEvent(ctx, pome.AuditLogin, now).ByUser(u.ID).On("", pome.TargetUser, u.ID).
		With(map[string]any{"method": "portal", "team_id": l.TeamID})}
	switch {
	case o.Was == "":
		evs = append(evs, pome.NewAuditEvent(ctx, pome.AuditMemberAdded, now).ByToken(l.CreatedBy).On(l.TeamID, pome.TargetUser, u.ID).
			With(map[string]any{"role": string(o.Role), "method": "portal", "new_user": o.NewUser}))
	case o.Was != o.Role:
		evs = append(evs, pome.NewAuditEvent(ctx, pome.AuditMemberRoleChanged, now).ByToken(l.CreatedBy).On(l.TeamID, pome.TargetUser, u.ID).
			With(map[string]any{"old_role": string(o.Was), "new_role": string(o.Role), "method": "portal"}))
	}
	return evs
}
