// Package account signs people up and in: users, their personal teams,
// sessions, and which team a request acts in.
package account

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pomehq/pome"
)

// Session lifetimes of docs/api.md.
const (
	SessionAbsoluteTimeout = 30 * 24 * time.Hour
	SessionIdleTimeout     = 7 * 24 * time.Hour
	// touchEvery bounds how often a session's last-seen time is written: a
	// write per request would be wasted, the idle timeout is measured in days.
	touchEvery = time.Minute
)

const (
	minPasswordLen = 10
	maxPasswordLen = 1024
	maxEmailLen    = 254
	maxTeamNameLen = 100
)

// Config sets what an operator can choose.
type Config struct {
	SignupOpen bool
	// HashConcurrency caps simultaneous argon2id computations (19 MiB each
	// at the default cost).
	HashConcurrency int
	// PasswordCost is the argon2id cost of new password hashes; zero is
	// the production cost (19 MiB, t=2, p=1). Only tests set it.
	PasswordCost PasswordCost
}

// Service signs users up and in and resolves their sessions.
type Service struct {
	store  Store
	cfg    Config
	hasher *hasher
	now    func() time.Time

	limited limitedLog // rate-limit events recently recorded
}

// New returns a Service.
func New(store Store, cfg Config, now func() time.Time) *Service {
	if cfg.HashConcurrency < 1 {
		cfg.HashConcurrency = 4
	}
	return &Service{store: store, cfg: cfg, hasher: newHasher(cfg.PasswordCost, cfg.HashConcurrency), now: now}
}

// SignedIn is the outcome of a signup or login: the user and a new session
// token, which exists only in this value and the caller's cookie.
type SignedIn struct {
	User  pome.User
	Token string
	// Checked reports that Login got as far as checking the password. It
	// is set with an error too: a login limit counts such an attempt
	// whatever failed after the check, or a guess whose record could not
	// be written would be given back.
	Checked bool
}

// SignupOpen reports whether anyone may sign up (pome serve --signup); the
// sign-in and signup pages say so before anyone tries.
func (s *Service) SignupOpen() bool { return s.cfg.SignupOpen }

// Signup creates a user and their personal team, of which they are owner,
// and signs them in.
func (s *Service) Signup(ctx context.Context, email, password, teamName string) (SignedIn, error) {
	if !s.cfg.SignupOpen {
		return SignedIn{}, pome.ErrSignupClosed
	}
	u, err := s.createUser(ctx, email, password, teamName, false)
	if err != nil {
		return SignedIn{}, err
	}
	// The signup event records this session: no login event besides it.
	return s.startSession(ctx, u, nil)
}

// CreateUser creates a user and their personal team without signing in; the
// operator's `pome admin user create` uses it whatever the signup setting,
// and the audit log records the system as the actor.
func (s *Service) CreateUser(ctx context.Context, email, password, teamName string) (pome.User, error) {
	return s.createUser(ctx, email, password, teamName, true)
}

func (s *Service) createUser(ctx context.Context, email, password, teamName string, bySystem bool) (pome.User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return pome.User{}, err
	}
	if err := checkPassword("password", password); err != nil {
		return pome.User{}, err
	}
	if teamName == "" {
		teamName = email[:strings.IndexByte(email, '@')]
	}
	if utf8.RuneCountInString(teamName) > maxTeamNameLen {
		return pome.User{}, pome.InvalidParameter("'team_name' must be at most %d characters", maxTeamNameLen)
	}
	if err := pome.CheckText("team_name", teamName); err != nil {
		return pome.User{}, err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return pome.User{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	u := pome.User{ID: pome.NewID("usr_"), Email: email, PasswordHash: hash, CreatedAt: now}
	base := slugify(teamName)
	// A taken slug gets a random suffix; a few tries make a clash vanishingly rare.
	for attempt := 0; ; attempt++ {
		t := pome.Team{ID: pome.NewID("tm_"), Slug: withSuffix(base, attempt), Name: teamName,
			PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: now}
		ev := pome.NewAuditEvent(ctx, pome.AuditSignup, now).ByUser(u.ID).On(t.ID, pome.TargetUser, u.ID).
			With(map[string]any{"team_slug": t.Slug})
		if bySystem {
			ev.ActorType, ev.ActorID = pome.ActorSystem, ""
		}
		err = s.store.CreateUserWithTeam(ctx, u, t, ev)
		if !errors.Is(err, pome.ErrSlugTaken) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return pome.User{}, err
	}
	return u, nil
}

// Login checks an email and password and starts a session. An unknown email
// costs the same argon2id work as a wrong password and gets the same error.
// An email no store can hold (NUL, invalid UTF-8) is refused before both.
func (s *Service) Login(ctx context.Context, email, password string) (SignedIn, error) {
	if !pome.Storable(email) {
		return SignedIn{}, errEmail
	}
	u, err := s.store.UserByEmail(ctx, lookupEmail(email))
	hash := u.PasswordHash
	switch {
	case errors.Is(err, pome.ErrUserNotFound):
		hash = s.hasher.dummy
	case err != nil:
		return SignedIn{}, err
	case !u.HasPassword():
		// A user of portal links has no password: the same work and the
		// same answer as a wrong one (TestLoginWithoutPassword).
		hash = s.hasher.dummy
	}
	ok, err := s.hasher.verify(ctx, hash, password)
	if err != nil {
		return SignedIn{}, err
	}
	checked := SignedIn{Checked: true}
	now := s.now().UTC().Truncate(time.Millisecond)
	if !ok || u.ID == "" || !u.HasPassword() {
		// The attempted email is not recorded: people type passwords into
		// the email field, and the log must never hold one.
		ev := pome.NewAuditEvent(ctx, pome.AuditLogin, now)
		ev.Result = pome.ResultFailure
		if u.ID == "" {
			ev.ActorType = pome.ActorAnonymous
			ev.Details = map[string]any{"reason": "unknown_email"}
		} else {
			ev = ev.ByUser(u.ID).On("", pome.TargetUser, u.ID)
			ev.Details = map[string]any{"reason": "wrong_password"}
			if !u.HasPassword() {
				ev.Details["reason"] = "no_password"
			}
		}
		if err := s.store.AppendAudit(ctx, ev); err != nil {
			return checked, err
		}
		return checked, pome.ErrInvalidCredentials
	}
	ev := pome.NewAuditEvent(ctx, pome.AuditLogin, now).ByUser(u.ID).On("", pome.TargetUser, u.ID)
	in, err := s.startSession(ctx, u, &ev)
	in.Checked = true
	return in, err
}

// checkPassword is the rule of a new password, at signup and at every
// change; field names it in the error.
func checkPassword(field, password string) error {
	if n := utf8.RuneCountInString(password); n < minPasswordLen || n > maxPasswordLen {
		return pome.InvalidParameter("'%s' must be %d to %d characters", field, minPasswordLen, maxPasswordLen)
	}
	return nil
}

// startSession stores a new session of u, with ev (nil: none) as its record,
// and the request's address and user agent, cleaned as an event's are.
func (s *Service) startSession(ctx context.Context, u pome.User, ev *pome.AuditEvent) (SignedIn, error) {
	token, sess := s.newSession(ctx, u.ID)
	if err := s.store.CreateSession(ctx, sess, ev); err != nil {
		return SignedIn{}, err
	}
	return SignedIn{User: u, Token: token}, nil
}

// newSession makes a session of userID starting now, and its token, with
// the request's address and user agent, cleaned as an event's are.
func (s *Service) newSession(ctx context.Context, userID string) (string, pome.Session) {
	token := pome.NewSessionToken()
	now := s.now().UTC().Truncate(time.Millisecond)
	ri := pome.RequestInfoFrom(ctx).Cleaned()
	return token, pome.Session{ID: pome.NewID("ses_"), Digest: pome.DigestOf(token), UserID: userID,
		CreatedAt: now, LastSeen: now, IP: ri.IP, UserAgent: ri.UserAgent}
}

// Logout ends the session of token and records it; an unknown token is no
// error and records nothing.
func (s *Service) Logout(ctx context.Context, token string) error {
	d := pome.DigestOf(token)
	sess, err := s.store.SessionByDigest(ctx, d)
	if errors.Is(err, pome.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ev := pome.NewAuditEvent(ctx, pome.AuditLogout, s.now()).ByUser(sess.UserID).On("", pome.TargetUser, sess.UserID)
	return s.store.DeleteSession(ctx, d, &ev)
}

// Authenticate returns the user of a session token, or ErrUnauthorized if
// the session is unknown or past its idle or absolute timeout.
func (s *Service) Authenticate(ctx context.Context, token string) (pome.User, error) {
	u, _, err := s.Current(ctx, token)
	return u, err
}

// Current is Authenticate with the session itself. The session is read from
// the store on every call, so that a session ended on one node (a logout, a
// password change) stops working on every node at once.
func (s *Service) Current(ctx context.Context, token string) (pome.User, pome.Session, error) {
	if token == "" {
		return pome.User{}, pome.Session{}, pome.ErrUnauthorized
	}
	d := pome.DigestOf(token)
	sess, err := s.store.SessionByDigest(ctx, d)
	if errors.Is(err, pome.ErrNotFound) {
		return pome.User{}, pome.Session{}, pome.ErrUnauthorized
	}
	if err != nil {
		return pome.User{}, pome.Session{}, err
	}
	now := s.now()
	if expired(sess, now) {
		// A timed-out session is cleaned up, not logged out: no event.
		if err := s.store.DeleteSession(ctx, d, nil); err != nil {
			return pome.User{}, pome.Session{}, err
		}
		return pome.User{}, pome.Session{}, pome.ErrUnauthorized
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		sess.LastSeen = now.UTC().Truncate(time.Millisecond)
		if err := s.store.TouchSession(ctx, d, sess.LastSeen); err != nil {
			return pome.User{}, pome.Session{}, err
		}
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if errors.Is(err, pome.ErrUserNotFound) {
		return pome.User{}, pome.Session{}, pome.ErrUnauthorized
	}
	return u, sess, err
}

// expired reports whether sess is past its idle or absolute timeout at now.
func expired(sess pome.Session, now time.Time) bool {
	return now.Sub(sess.CreatedAt) >= SessionAbsoluteTimeout || now.Sub(sess.LastSeen) >= SessionIdleTimeout
}

// Memberships lists the user's teams; the first is their default team.
func (s *Service) Memberships(ctx context.Context, u pome.User) ([]pome.Membership, error) {
	return s.store.Memberships(ctx, u.ID)
}

// Member resolves the team a request acts in: the one with slug, or the
// user's default team when slug is empty. A team the user is not in is
// ErrTeamNotFound, whether or not it exists.
func (s *Service) Member(ctx context.Context, u pome.User, slug string) (pome.Member, error) {
	ms, err := s.store.Memberships(ctx, u.ID)
	if err != nil {
		return pome.Member{}, err
	}
	for _, m := range ms {
		if slug == "" || m.Team.Slug == slug {
			return pome.Member{User: u, Team: m.Team, Role: m.Role}, nil
		}
	}
	return pome.Member{}, pome.ErrTeamNotFound
}

// errEmail is the error of an email that is not one.
var errEmail = pome.InvalidParameter("'email' must be an email address")

// lookupEmail is email as users are found by it: emails are unique
// case-insensitively.
func lookupEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// normalizeEmail checks that email is one plain address and lower-cases it:
// emails are unique case-insensitively.
func normalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", pome.MissingParameter("email")
	}
	if err := pome.CheckText("email", email); err != nil {
		return "", err
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > maxEmailLen {
		return "", errEmail
	}
	return strings.ToLower(email), nil
}
