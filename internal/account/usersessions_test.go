package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/sqlite"
)

const (
	oldPassword = "correct horse battery"
	newPassword = "a whole new passphrase"
)

func mustLogin(t *testing.T, s *account.Service, email, password string) account.SignedIn {
	t.Helper()
	in, err := s.Login(t.Context(), email, password)
	if err != nil {
		t.Fatalf("Login(%q) = %v, want nil", email, err)
	}
	return in
}

func mustCurrent(t *testing.T, s *account.Service, token string) (pome.User, pome.Session) {
	t.Helper()
	u, sess, err := s.Current(t.Context(), token)
	if err != nil {
		t.Fatalf("Current = %v, want nil", err)
	}
	return u, sess
}

// signedOut reports whether token no longer signs anyone in.
func signedOut(t *testing.T, s *account.Service, token string) bool {
	t.Helper()
	_, err := s.Authenticate(t.Context(), token)
	return errors.Is(err, pome.ErrUnauthorized)
}

// userActions lists the actions and results of the events about no team,
// newest first.
func userActions(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	evs, err := db.AuditEvents(t.Context(), pome.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action+":"+e.Result)
	}
	return out
}

// people is a service where alice has two sessions, here (the caller's)
// and other, and bob one.
type people struct {
	s                *account.Service
	db               *sqlite.DB
	here, other, bob account.SignedIn
}

func newPeople(t *testing.T) people {
	t.Helper()
	s, db, _ := newService(t, account.Config{SignupOpen: true})
	return people{s: s, db: db, here: mustSignup(t, s, "alice@example.com", ""),
		other: mustLogin(t, s, "alice@example.com", oldPassword), bob: mustSignup(t, s, "bob@example.com", "")}
}

// TestChangePassword: the current session stays, every other session of the
// user ends, other users' sessions do not, and the new password signs in.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	p := newPeople(t)
	s, db, here, other, bob := p.s, p.db, p.here, p.other, p.bob
	u, sess := mustCurrent(t, s, here.Token)

	if checked, err := s.ChangePassword(t.Context(), u, sess, oldPassword, newPassword); err != nil || !checked {
		t.Fatalf("ChangePassword = %v, %v, want true, nil", checked, err)
	}
	if signedOut(t, s, here.Token) {
		t.Error("the session that changed the password was signed out")
	}
	if !signedOut(t, s, other.Token) {
		t.Error("another session of the user still signs in")
	}
	if signedOut(t, s, bob.Token) {
		t.Error("another user's session was signed out")
	}
	if _, err := s.Login(t.Context(), "alice@example.com", oldPassword); !errors.Is(err, pome.ErrInvalidCredentials) {
		t.Errorf("Login(old password) = %v, want invalid_credentials", err)
	}
	mustLogin(t, s, "alice@example.com", newPassword)
	if got := userActions(t, db); !strings.Contains(strings.Join(got, " "), "user.password_changed:success") {
		t.Errorf("events = %v, want the change recorded", got)
	}
}

// TestChangePasswordRefused: a wrong current password or a weak new one
// changes nothing and ends no session; only the wrong password counts as
// a checked guess, recorded as a failure.
func TestChangePasswordRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, current, next string
		want                *pome.Error
		checked             bool
	}{
		{"wrong current password", "not my password", newPassword, pome.ErrWrongPassword, true},
		{"new password too short", oldPassword, "short", pome.InvalidParameter(""), false},
		{"new password too long", oldPassword, strings.Repeat("p", 1025), pome.InvalidParameter(""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, db, _ := newService(t, account.Config{SignupOpen: true})
			here := mustSignup(t, s, "alice@example.com", "")
			other := mustLogin(t, s, "alice@example.com", oldPassword)
			u, sess := mustCurrent(t, s, here.Token)
			checked, err := s.ChangePassword(t.Context(), u, sess, tc.current, tc.next)
			if !errors.Is(err, tc.want) || checked != tc.checked {
				t.Fatalf("ChangePassword = %v, %v, want %v, %v", checked, err, tc.checked, tc.want.Code)
			}
			if signedOut(t, s, other.Token) {
				t.Error("a refused change signed another session out")
			}
			mustLogin(t, s, "alice@example.com", oldPassword)
			failed := strings.Contains(strings.Join(userActions(t, db), " "), "user.password_changed:failure")
			if failed != tc.checked {
				t.Errorf("failure recorded = %v, want %v", failed, tc.checked)
			}
		})
	}
	t.Run("the message names the new password", func(t *testing.T) {
		s, _, _ := newService(t, account.Config{SignupOpen: true})
		u, sess := mustCurrent(t, s, mustSignup(t, s, "alice@example.com", "").Token)
		_, err := s.ChangePassword(t.Context(), u, sess, oldPassword, "short")
		if msg := pome.AsError(err).Message; !strings.Contains(msg, "'new_password'") {
			t.Errorf("message = %q, want it to name 'new_password'", msg)
		}
	})
}

// TestSessions: a user's live sessions, newest first, with the sign-in's
// address and user agent; a timed-out one is not listed.
func TestSessions(t *testing.T) {
	t.Parallel()
	s, _, clock := newService(t, account.Config{SignupOpen: true})
	mustSignup(t, s, "alice@example.com", "")
	clock.Advance(6 * 24 * time.Hour)
	ctx := pome.WithRequestInfo(t.Context(), pome.RequestInfo{IP: "192.0.2.7", UserAgent: "pome-cli/1\x00"})
	second, err := s.Login(ctx, "alice@example.com", oldPassword)
	if err != nil {
		t.Fatal(err)
	}
	mustSignup(t, s, "bob@example.com", "")
	u, cur := mustCurrent(t, s, second.Token)
	ss, err := s.Sessions(t.Context(), u)
	if err != nil || len(ss) != 2 || ss[0].ID != cur.ID {
		t.Fatalf("Sessions = %+v, %v, want 2, the newest first", ss, err)
	}
	if ss[0].IP != "192.0.2.7" || ss[0].UserAgent != "pome-cli/1" {
		t.Errorf("newest session's ip, user agent = %q, %q, want the sign-in's, cleaned", ss[0].IP, ss[0].UserAgent)
	}
	if !pome.IsID(ss[1].ID, "ses_") || ss[1].ID == ss[0].ID {
		t.Errorf("session ids = %q, %q, want two ses_ ids", ss[0].ID, ss[1].ID)
	}
	clock.Advance(2 * 24 * time.Hour) // the first is now 8 days idle
	if ss, err := s.Sessions(t.Context(), u); err != nil || len(ss) != 1 || ss[0].ID != cur.ID {
		t.Errorf("Sessions after the first idled out = %+v, %v, want only the second", ss, err)
	}
}

// TestEndSession: a user ends a session of their own; another user's
// session, an unknown id and a malformed one are the same not-found answer
// and end nothing.
func TestEndSession(t *testing.T) {
	t.Parallel()
	p := newPeople(t)
	s, db, here, other, bob := p.s, p.db, p.here, p.other, p.bob
	u, _ := mustCurrent(t, s, here.Token)
	_, otherSess := mustCurrent(t, s, other.Token)
	_, bobSess := mustCurrent(t, s, bob.Token)

	for name, id := range map[string]string{"another user's": bobSess.ID, "unknown": pome.NewID("ses_"), "malformed": "ses_x'; --"} {
		if err := s.EndSession(t.Context(), u, id); !errors.Is(err, pome.ErrSessionNotFound) {
			t.Errorf("EndSession(%s) = %v, want session_not_found", name, err)
		}
	}
	if signedOut(t, s, bob.Token) {
		t.Fatal("ending another user's session id signed them out")
	}
	if err := s.EndSession(t.Context(), u, otherSess.ID); err != nil {
		t.Fatalf("EndSession(own) = %v, want nil", err)
	}
	if !signedOut(t, s, other.Token) || signedOut(t, s, here.Token) {
		t.Error("want the ended session signed out and the current one kept")
	}
	if got := userActions(t, db); got[0] != pome.AuditSessionEnded+":success" {
		t.Errorf("newest event = %v, want auth.session_ended", got)
	}
}

// TestPasswordReset: a reset link sets the password once, ends every
// session of the user, and only the newest link of a user works; unknown,
// used, replaced and expired tokens are one error.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s, db, clock := newService(t, account.Config{SignupOpen: true})
	in := mustSignup(t, s, "alice@example.com", "")
	if _, _, err := s.IssueReset(t.Context(), "nobody@example.com"); !errors.Is(err, pome.ErrUserNotFound) {
		t.Errorf("IssueReset(unknown email) = %v, want user_not_found", err)
	}
	replaced, _, err := s.IssueReset(t.Context(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	token, r, err := s.IssueReset(t.Context(), " ALICE@example.com")
	if err != nil || len(token) != 43 || !r.ExpiresAt.Equal(clock.Now().Add(account.ResetLinkLifetime)) {
		t.Fatalf("IssueReset = %q, %+v, %v, want a 43-character token for 24 h", token, r, err)
	}
	if err := s.CheckReset(t.Context(), token); err != nil {
		t.Errorf("CheckReset(newest) = %v, want nil", err)
	}
	for name, tok := range map[string]string{"replaced": replaced, "unknown": pome.NewSessionToken(), "empty": "", "not text": "\xff\x00"} {
		if err := s.ResetPassword(t.Context(), tok, newPassword); !errors.Is(err, pome.ErrInvalidResetToken) {
			t.Errorf("ResetPassword(%s) = %v, want invalid_reset_token", name, err)
		}
	}
	if err := s.ResetPassword(t.Context(), token, "short"); pome.AsError(err).Code != "invalid_parameter" {
		t.Errorf("ResetPassword(weak) = %v, want invalid_parameter", err)
	}
	if err := s.ResetPassword(t.Context(), token, newPassword); err != nil {
		t.Fatalf("ResetPassword = %v, want nil (a weak try leaves the link usable)", err)
	}
	if !signedOut(t, s, in.Token) {
		t.Error("a reset left a session of the user signed in")
	}
	mustLogin(t, s, "alice@example.com", newPassword)
	if err := s.ResetPassword(t.Context(), token, "yet another password"); !errors.Is(err, pome.ErrInvalidResetToken) {
		t.Errorf("ResetPassword(used) = %v, want invalid_reset_token", err)
	}
	got := strings.Join(userActions(t, db), " ")
	if !strings.Contains(got, "user.password_reset:success") || strings.Count(got, "user.password_reset_issued:success") != 2 {
		t.Errorf("events = %v, want two issued and one reset", got)
	}

	t.Run("expired", func(t *testing.T) {
		token, _, err := s.IssueReset(t.Context(), "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(account.ResetLinkLifetime)
		if err := s.CheckReset(t.Context(), token); !errors.Is(err, pome.ErrInvalidResetToken) {
			t.Errorf("CheckReset(24 h later) = %v, want invalid_reset_token", err)
		}
		if err := s.ResetPassword(t.Context(), token, "yet another password"); !errors.Is(err, pome.ErrInvalidResetToken) {
			t.Errorf("ResetPassword(24 h later) = %v, want invalid_reset_token", err)
		}
	})
}
