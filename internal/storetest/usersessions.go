package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// mustSessions creates n sessions of a's user, the i-th at t0 + i seconds,
// and returns them in creation order.
func mustSessions(t *testing.T, s pome.Store, a account, n int) []pome.Session {
	t.Helper()
	out := make([]pome.Session, n)
	for i := range out {
		out[i] = newSession(a, pome.DigestOf(fmt.Sprintf("%s-token-%d", a.Team.Slug, i)), at(time.Duration(i)*time.Second), at(time.Duration(i)*time.Second))
		if err := s.CreateSession(t.Context(), out[i], nil); err != nil {
			t.Fatalf("CreateSession = %v, want nil", err)
		}
	}
	return out
}

// sessionIDs lists the ids of a user's sessions as Sessions returns them.
func sessionIDs(t *testing.T, s pome.Store, userID string) []string {
	t.Helper()
	ss, err := s.Sessions(t.Context(), userID)
	if err != nil {
		t.Fatalf("Sessions(%s) = %v, want nil", userID, err)
	}
	ids := []string{}
	for _, x := range ss {
		ids = append(ids, x.ID)
	}
	return ids
}

// userEventActions lists the actions of the events about no team, newest first.
func userEventActions(t *testing.T, s pome.Store) []string {
	t.Helper()
	return actions(teamEvents(t, s, ""))
}

func mustPasswordHash(t *testing.T, s pome.Store, userID string) string {
	t.Helper()
	u, err := s.UserByID(t.Context(), userID)
	if err != nil {
		t.Fatalf("UserByID(%s) = %v, want nil", userID, err)
	}
	return u.PasswordHash
}

func mustReset(t *testing.T, s pome.Store, a account, token string, expires time.Time) pome.PasswordReset {
	t.Helper()
	r := pome.PasswordReset{Digest: pome.DigestOf(token), UserID: a.User.ID, CreatedAt: t0, ExpiresAt: expires}
	if err := s.CreatePasswordReset(t.Context(), r, sysEvent(pome.AuditResetIssued, t0).On("", pome.TargetUser, a.User.ID)); err != nil {
		t.Fatalf("CreatePasswordReset = %v, want nil", err)
	}
	return r
}

const newHash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA"

var userSessionTests = []test{
	{"Sessions lists the user's own, newest first", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "bolt")
		mine := mustSessions(t, s, a, 3)
		mustSessions(t, s, b, 1)
		got, err := s.Sessions(t.Context(), a.User.ID)
		if err != nil || len(got) != 3 {
			t.Fatalf("Sessions(a) = %d sessions, %v, want 3, nil", len(got), err)
		}
		for i, want := range []pome.Session{mine[2], mine[1], mine[0]} {
			if !sameSession(got[i], want) {
				t.Errorf("Sessions(a)[%d] = %+v, want %+v", i, got[i], want)
			}
		}
		if ids := sessionIDs(t, s, pome.NewID("usr_")); len(ids) != 0 {
			t.Errorf("Sessions(unknown user) = %v, want none", ids)
		}
	}},
	{"DeleteUserSession ends one of the user's own, with its event", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		ss := mustSessions(t, s, a, 2)
		ev := sysEvent(pome.AuditSessionEnded, t0).On("", pome.TargetUser, a.User.ID)
		if err := s.DeleteUserSession(t.Context(), a.User.ID, ss[0].ID, ev); err != nil {
			t.Fatalf("DeleteUserSession = %v, want nil", err)
		}
		if _, err := s.SessionByDigest(t.Context(), ss[0].Digest); !isErr(err, pome.ErrNotFound) {
			t.Errorf("SessionByDigest(ended) = %v, want not found", err)
		}
		if ids := sessionIDs(t, s, a.User.ID); fmt.Sprint(ids) != fmt.Sprint([]string{ss[1].ID}) {
			t.Errorf("Sessions after = %v, want [%s]", ids, ss[1].ID)
		}
		if evs := teamEvents(t, s, ""); len(evs) != 1 || !sameEvent(evs[0], ev) {
			t.Errorf("events = %v, want the one session_ended", actions(evs))
		}
	}},
	{"DeleteUserSession of another user's or an unknown id: not found, nothing written", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "bolt")
		theirs := mustSessions(t, s, b, 1)[0]
		for name, id := range map[string]string{"another user's": theirs.ID, "unknown": pome.NewID("ses_")} {
			err := s.DeleteUserSession(t.Context(), a.User.ID, id, sysEvent(pome.AuditSessionEnded, t0))
			wantErr(t, "DeleteUserSession("+name+")", err, pome.ErrSessionNotFound)
		}
		if _, err := s.SessionByDigest(t.Context(), theirs.Digest); err != nil {
			t.Errorf("SessionByDigest(another user's) = %v, want it kept", err)
		}
		if got := userEventActions(t, s); len(got) != 0 {
			t.Errorf("events = %v, want none", got)
		}
	}},
	{"SetPassword keeps one session and ends the user's others and their reset", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "bolt")
		ss := mustSessions(t, s, a, 3)
		other := mustSessions(t, s, b, 1)[0]
		r := mustReset(t, s, a, "reset", at(time.Hour))
		ev := sysEvent(pome.AuditPasswordChanged, t0).On("", pome.TargetUser, a.User.ID)
		if err := s.SetPassword(t.Context(), a.User.ID, newHash, &ss[1].Digest, ev); err != nil {
			t.Fatalf("SetPassword = %v, want nil", err)
		}
		if got := mustPasswordHash(t, s, a.User.ID); got != newHash {
			t.Errorf("password hash = %q, want %q", got, newHash)
		}
		if ids := sessionIDs(t, s, a.User.ID); fmt.Sprint(ids) != fmt.Sprint([]string{ss[1].ID}) {
			t.Errorf("Sessions after = %v, want only the kept %s", ids, ss[1].ID)
		}
		if _, err := s.SessionByDigest(t.Context(), other.Digest); err != nil {
			t.Errorf("another user's session = %v, want it kept", err)
		}
		if _, err := s.PasswordResetByDigest(t.Context(), r.Digest); !isErr(err, pome.ErrNotFound) {
			t.Errorf("PasswordResetByDigest after SetPassword = %v, want not found", err)
		}
		if got := userEventActions(t, s); fmt.Sprint(got) != fmt.Sprint([]string{pome.AuditPasswordChanged, pome.AuditResetIssued}) {
			t.Errorf("events = %v, want password_changed after reset_issued", got)
		}
	}},
	{"SetPassword without a session to keep ends them all", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		mustSessions(t, s, a, 2)
		if err := s.SetPassword(t.Context(), a.User.ID, newHash, nil, sysEvent(pome.AuditPasswordChanged, t0)); err != nil {
			t.Fatalf("SetPassword = %v, want nil", err)
		}
		if ids := sessionIDs(t, s, a.User.ID); len(ids) != 0 {
			t.Errorf("Sessions after = %v, want none", ids)
		}
	}},
	{"SetPassword of an unknown user writes nothing", func(t *testing.T, s pome.Store) {
		err := s.SetPassword(t.Context(), pome.NewID("usr_"), newHash, nil, sysEvent(pome.AuditPasswordChanged, t0))
		wantErr(t, "SetPassword(unknown)", err, pome.ErrUserNotFound)
		if got := userEventActions(t, s); len(got) != 0 {
			t.Errorf("events = %v, want none", got)
		}
	}},
}

var passwordResetTests = []test{
	{"create and find", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		want := mustReset(t, s, a, "reset", at(24*time.Hour))
		got, err := s.PasswordResetByDigest(t.Context(), want.Digest)
		if err != nil || got.UserID != want.UserID || !sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.ExpiresAt, want.ExpiresAt) {
			t.Errorf("PasswordResetByDigest = %+v, %v, want %+v", got, err, want)
		}
		_, err = s.PasswordResetByDigest(t.Context(), pome.DigestOf("unknown"))
		wantErr(t, "PasswordResetByDigest(unknown)", err, pome.ErrNotFound)
	}},
	{"a new reset replaces the user's previous one", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "bolt")
		old := mustReset(t, s, a, "old", at(time.Hour))
		theirs := mustReset(t, s, b, "theirs", at(time.Hour))
		mustReset(t, s, a, "new", at(2*time.Hour))
		if _, err := s.PasswordResetByDigest(t.Context(), old.Digest); !isErr(err, pome.ErrNotFound) {
			t.Errorf("PasswordResetByDigest(replaced) = %v, want not found", err)
		}
		if _, err := s.PasswordResetByDigest(t.Context(), theirs.Digest); err != nil {
			t.Errorf("PasswordResetByDigest(another user's) = %v, want it kept", err)
		}
	}},
	{"a reset of an unknown user writes nothing", func(t *testing.T, s pome.Store) {
		r := pome.PasswordReset{Digest: pome.DigestOf("r"), UserID: pome.NewID("usr_"), CreatedAt: t0, ExpiresAt: at(time.Hour)}
		err := s.CreatePasswordReset(t.Context(), r, sysEvent(pome.AuditResetIssued, t0))
		wantErr(t, "CreatePasswordReset(unknown user)", err, pome.ErrUserNotFound)
		if got := userEventActions(t, s); len(got) != 0 {
			t.Errorf("events = %v, want none", got)
		}
	}},
	{"ResetPassword sets the password, ends every session and is used once", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		mustSessions(t, s, a, 2)
		r := mustReset(t, s, a, "reset", at(time.Hour))
		ev := sysEvent(pome.AuditPasswordReset, at(time.Minute)).On("", pome.TargetUser, a.User.ID)
		if err := s.ResetPassword(t.Context(), r.Digest, a.User.ID, newHash, at(time.Minute), ev); err != nil {
			t.Fatalf("ResetPassword = %v, want nil", err)
		}
		if got := mustPasswordHash(t, s, a.User.ID); got != newHash {
			t.Errorf("password hash = %q, want %q", got, newHash)
		}
		if ids := sessionIDs(t, s, a.User.ID); len(ids) != 0 {
			t.Errorf("Sessions after = %v, want none", ids)
		}
		err := s.ResetPassword(t.Context(), r.Digest, a.User.ID, "$argon2id$other", at(time.Minute), ev)
		wantErr(t, "ResetPassword(used)", err, pome.ErrNotFound)
		if got := mustPasswordHash(t, s, a.User.ID); got != newHash {
			t.Errorf("password hash after a second use = %q, want %q", got, newHash)
		}
	}},
	{"ResetPassword refuses an expired reset and another user's, and changes nothing", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "bolt")
		mustSessions(t, s, a, 1)
		r := mustReset(t, s, a, "reset", at(time.Hour))
		for name, c := range map[string]struct {
			userID string
			at     time.Time
		}{"expired": {a.User.ID, at(time.Hour)}, "another user's": {b.User.ID, t0}} {
			err := s.ResetPassword(t.Context(), r.Digest, c.userID, newHash, c.at, sysEvent(pome.AuditPasswordReset, c.at))
			wantErr(t, "ResetPassword("+name+")", err, pome.ErrNotFound)
		}
		if got := mustPasswordHash(t, s, a.User.ID); got == newHash {
			t.Errorf("password hash changed by a refused reset")
		}
		if ids := sessionIDs(t, s, a.User.ID); len(ids) != 1 {
			t.Errorf("Sessions after = %v, want the one kept", ids)
		}
		if got := userEventActions(t, s); fmt.Sprint(got) != fmt.Sprint([]string{pome.AuditResetIssued}) {
			t.Errorf("events = %v, want only reset_issued", got)
		}
	}},
}

// RunSessionIDsMigration checks the migration that names sessions
// (0014_sessions_password_resets): the sessions made before it keep
// signing in, each with an id of its own, and a user can end one by it.
// undo takes the store s, returns its database to the schema before the
// migration (sessions without id, ip and user_agent; no password_resets;
// the version forgotten) and opens it again, migrating.
func RunSessionIDsMigration(t *testing.T, s pome.Store, undo func(t *testing.T, s pome.Store) pome.Store) {
	a := mustAccount(t, s, "acme")
	old := mustSessions(t, s, a, 3)
	s = undo(t, s)
	ids := map[string]bool{}
	for _, o := range old {
		got, err := s.SessionByDigest(t.Context(), o.Digest)
		if err != nil || got.UserID != a.User.ID || !pome.IsID(got.ID, "ses_") || ids[got.ID] {
			t.Fatalf("a session made before the migration, after it: %+v, %v; want it kept with an id of its own", got, err)
		}
		ids[got.ID] = true
	}
	ss, err := s.Sessions(t.Context(), a.User.ID)
	if err != nil || len(ss) != 3 {
		t.Fatalf("Sessions after the migration = %d, %v; want 3", len(ss), err)
	}
	if err := s.DeleteUserSession(t.Context(), a.User.ID, ss[0].ID, sysEvent(pome.AuditSessionEnded, t0)); err != nil {
		t.Errorf("DeleteUserSession(a migrated session) = %v, want nil", err)
	}
	mustReset(t, s, a, "after the migration", at(time.Hour))
}
