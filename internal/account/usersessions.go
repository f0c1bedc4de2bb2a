package account

import (
	"context"
	"errors"
	"time"

	"github.com/pomehq/pome"
)

// Sessions lists u's sessions, newest first, without those past a timeout
// (they no longer sign anyone in; the next use of one cleans it up).
func (s *Service) Sessions(ctx context.Context, u pome.User) ([]pome.Session, error) {
	all, err := s.store.Sessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	live := all[:0]
	for _, sess := range all {
		if !expired(sess, now) {
			live = append(live, sess)
		}
	}
	return live, nil
}

// EndSession ends u's session id and records it. Another user's session
// and an unknown one are both ErrSessionNotFound, so that the answer tells
// nothing of other users' sessions (TestEndSession).
func (s *Service) EndSession(ctx context.Context, u pome.User, id string) error {
	if !pome.IsID(id, "ses_") {
		return pome.ErrSessionNotFound
	}
	ev := pome.NewAuditEvent(ctx, pome.AuditSessionEnded, s.now()).ByUser(u.ID).On("", pome.TargetUser, u.ID).
		With(map[string]any{"session_id": id})
	return s.store.DeleteUserSession(ctx, u.ID, id, ev)
}

// ChangePassword sets u's password to next if current is their password,
// and ends every other session of theirs: the one of the request (sess)
// stays signed in. A wrong current password is ErrWrongPassword, recorded
// as a failure. checked reports that current was checked against the hash,
// as SignedIn.Checked does, for the limit that counts guesses.
func (s *Service) ChangePassword(ctx context.Context, u pome.User, sess pome.Session, current, next string) (checked bool, err error) {
	if !u.HasPassword() {
		return false, pome.ErrNoPassword
	}
	if err := checkPassword("new_password", next); err != nil {
		return false, err
	}
	ok, err := s.hasher.verify(ctx, u.PasswordHash, current)
	if err != nil {
		return false, err
	}
	now := s.now().UTC()
	ev := pome.NewAuditEvent(ctx, pome.AuditPasswordChanged, now).ByUser(u.ID).On("", pome.TargetUser, u.ID)
	if !ok {
		ev.Result = pome.ResultFailure
		ev.Details = map[string]any{"reason": "wrong_password"}
		if err := s.store.AppendAudit(ctx, ev); err != nil {
			return true, err
		}
		return true, pome.ErrWrongPassword
	}
	hash, err := s.hasher.hash(ctx, next)
	if err != nil {
		return true, err
	}
	return true, s.store.SetPassword(ctx, u.ID, hash, &sess.Digest, ev)
}

// ResetLinkLifetime is how long a reset link of IssueReset works: a day,
// because an operator hands it over by hand, which takes a while, and a
// link that lives longer is a standing way into the account.
const ResetLinkLifetime = 24 * time.Hour

// IssueReset makes a one-time password reset of the user of email, in
// place of their previous one, recorded with the system (the operator) as
// the actor. The token exists only in the answer: the store keeps its
// digest.
func (s *Service) IssueReset(ctx context.Context, email string) (token string, r pome.PasswordReset, err error) {
	if !pome.Storable(email) {
		return "", pome.PasswordReset{}, errEmail
	}
	u, err := s.store.UserByEmail(ctx, lookupEmail(email))
	if err != nil {
		return "", pome.PasswordReset{}, err
	}
	// The same 256-bit random form as a session token.
	token = pome.NewSessionToken()
	now := s.now().UTC().Truncate(time.Millisecond)
	r = pome.PasswordReset{Digest: pome.DigestOf(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ResetLinkLifetime)}
	ev := pome.NewAuditEvent(ctx, pome.AuditResetIssued, now).On("", pome.TargetUser, u.ID).
		With(map[string]any{"expires_at": r.ExpiresAt.Format(time.RFC3339)})
	ev.ActorType = pome.ActorSystem
	if err := s.store.CreatePasswordReset(ctx, r, ev); err != nil {
		return "", pome.PasswordReset{}, err
	}
	return token, r, nil
}

// CheckReset reports whether token is a reset that can still be used:
// ErrInvalidResetToken if it is unknown, used, replaced or expired, alike.
func (s *Service) CheckReset(ctx context.Context, token string) error {
	_, err := s.reset(ctx, token)
	return err
}

// ResetPassword uses the reset of token: it sets the user's password to
// next, ends every session of theirs and consumes the reset, at once. The
// errors of CheckReset, and a weak next password leaves the reset usable.
func (s *Service) ResetPassword(ctx context.Context, token, next string) error {
	r, err := s.reset(ctx, token)
	if err != nil {
		return err
	}
	if err := checkPassword("new_password", next); err != nil {
		return err
	}
	hash, err := s.hasher.hash(ctx, next)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	ev := pome.NewAuditEvent(ctx, pome.AuditPasswordReset, now).ByUser(r.UserID).On("", pome.TargetUser, r.UserID)
	err = s.store.ResetPassword(ctx, r.Digest, r.UserID, hash, now, ev)
	if errors.Is(err, pome.ErrNotFound) {
		return pome.ErrInvalidResetToken // used or expired since it was read
	}
	return err
}

// reset finds the usable reset of token.
func (s *Service) reset(ctx context.Context, token string) (pome.PasswordReset, error) {
	if token == "" || !pome.Storable(token) {
		return pome.PasswordReset{}, pome.ErrInvalidResetToken
	}
	r, err := s.store.PasswordResetByDigest(ctx, pome.DigestOf(token))
	if errors.Is(err, pome.ErrNotFound) {
		return pome.PasswordReset{}, pome.ErrInvalidResetToken
	}
	if err != nil {
		return pome.PasswordReset{}, err
	}
	if !s.now().Before(r.ExpiresAt) {
		return pome.PasswordReset{}, pome.ErrInvalidResetToken
	}
	return r, nil
}
