package storetest

import (
	"testing"
	"time"

	"github.com/pomehq/pome"
)

var userTests = []test{
	{"CreateUserWithTeam stores user, team and owner membership", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		ctx := t.Context()
		if got, err := s.UserByID(ctx, a.User.ID); err != nil || !sameUser(got, a.User) {
			t.Errorf("UserByID(%q) = %+v, %v, want %+v", a.User.ID, got, err, a.User)
		}
		if got, err := s.UserByEmail(ctx, a.User.Email); err != nil || !sameUser(got, a.User) {
			t.Errorf("UserByEmail(%q) = %+v, %v, want %+v", a.User.Email, got, err, a.User)
		}
		if got, err := s.TeamBySlug(ctx, "acme"); err != nil || !sameTeam(got, a.Team) {
			t.Errorf("TeamBySlug(%q) = %+v, %v, want %+v", "acme", got, err, a.Team)
		}
		ms, err := s.Memberships(ctx, a.User.ID)
		if err != nil || len(ms) != 1 || !sameTeam(ms[0].Team, a.Team) || ms[0].Role != pome.RoleOwner {
			t.Errorf("Memberships(%q) = %+v, %v, want [{%+v owner}]", a.User.ID, ms, err, a.Team)
		}
	}},
	{"email taken", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		u := pome.User{ID: pome.NewID("usr_"), Email: a.User.Email, PasswordHash: "h", CreatedAt: t0}
		tm := pome.Team{ID: pome.NewID("tm_"), Slug: "other", Name: "Other", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: t0}
		err := s.CreateUserWithTeam(t.Context(), u, tm, sysEvent(pome.AuditSignup, t0))
		wantErr(t, "CreateUserWithTeam(taken email)", err, pome.ErrEmailTaken)
		// One transaction: the team of the refused signup is not left behind.
		if _, err := s.TeamBySlug(t.Context(), "other"); !isErr(err, pome.ErrTeamNotFound) {
			t.Errorf("TeamBySlug(%q) after refused signup = %v, want %v", "other", err, pome.ErrTeamNotFound)
		}
	}},
	{"slug taken", func(t *testing.T, s pome.Store) {
		mustAccount(t, s, "acme")
		u := pome.User{ID: pome.NewID("usr_"), Email: "bob@example.com", PasswordHash: "h", CreatedAt: t0}
		tm := pome.Team{ID: pome.NewID("tm_"), Slug: "acme", Name: "Acme 2", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: t0}
		err := s.CreateUserWithTeam(t.Context(), u, tm, sysEvent(pome.AuditSignup, t0))
		wantErr(t, "CreateUserWithTeam(taken slug)", err, pome.ErrSlugTaken)
		if _, err := s.UserByEmail(t.Context(), u.Email); !isErr(err, pome.ErrUserNotFound) {
			t.Errorf("UserByEmail(%q) after refused signup = %v, want %v", u.Email, err, pome.ErrUserNotFound)
		}
	}},
	{"UserByEmail not found", func(t *testing.T, s pome.Store) {
		mustAccount(t, s, "acme")
		_, err := s.UserByEmail(t.Context(), "nobody@example.com")
		wantErr(t, `UserByEmail("nobody@example.com")`, err, pome.ErrUserNotFound)
	}},
	{"UserByID not found", func(t *testing.T, s pome.Store) {
		id := pome.NewID("usr_")
		_, err := s.UserByID(t.Context(), id)
		wantErr(t, "UserByID("+id+")", err, pome.ErrUserNotFound)
	}},
	{"Memberships of unknown user is empty", func(t *testing.T, s pome.Store) {
		id := pome.NewID("usr_")
		if ms, err := s.Memberships(t.Context(), id); err != nil || len(ms) != 0 {
			t.Errorf("Memberships(%q) = %+v, %v, want [], nil", id, ms, err)
		}
	}},
	{"Memberships of each user are their own", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		b := mustAccount(t, s, "bravo")
		for _, x := range []account{a, b} {
			ms, err := s.Memberships(t.Context(), x.User.ID)
			if err != nil || len(ms) != 1 || ms[0].Team.ID != x.Team.ID {
				t.Errorf("Memberships(%q) = %+v, %v, want only team %q", x.User.ID, ms, err, x.Team.ID)
			}
		}
	}},
	{"times come back in UTC to the millisecond", func(t *testing.T, s pome.Store) {
		// A non-UTC time with sub-millisecond digits: a store may keep more
		// precision than milliseconds, never less, and answers in UTC.
		created := time.Date(2025, 3, 10, 23, 30, 0, 123456789, time.FixedZone("X", 5*3600))
		u := pome.User{ID: pome.NewID("usr_"), Email: "tz@example.com", PasswordHash: "h", CreatedAt: created}
		tm := pome.Team{ID: pome.NewID("tm_"), Slug: "tz", Name: "TZ", PlanTier: pome.PlanPro, Status: pome.TeamActive, CreatedAt: created}
		if err := s.CreateUserWithTeam(t.Context(), u, tm, sysEvent(pome.AuditSignup, t0)); err != nil {
			t.Fatalf("CreateUserWithTeam = %v, want nil", err)
		}
		got, err := s.UserByID(t.Context(), u.ID)
		if err != nil {
			t.Fatalf("UserByID(%q) = %v, want nil", u.ID, err)
		}
		if d := got.CreatedAt.Sub(created).Abs(); d >= time.Millisecond || got.CreatedAt.Location() != time.UTC {
			t.Errorf("UserByID(%q).CreatedAt = %v, want %v in UTC (to 1ms)", u.ID, got.CreatedAt, created.UTC())
		}
	}},
}

var teamTests = []test{
	{"TeamBySlug not found", func(t *testing.T, s pome.Store) {
		mustAccount(t, s, "acme")
		_, err := s.TeamBySlug(t.Context(), "nope")
		wantErr(t, `TeamBySlug("nope")`, err, pome.ErrTeamNotFound)
	}},
	{"UpdateTeam sets status and plan and logs a change", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		k := mustKey(t, s, a, "ci", at(time.Minute))
		if err := s.UpdateTeam(t.Context(), pome.Team{ID: a.Team.ID, Status: pome.TeamBanned, PlanTier: pome.PlanEnterprise}, at(time.Hour), sysEvent(pome.AuditTeamBanned, at(time.Hour))); err != nil {
			t.Fatalf("UpdateTeam(%q) = %v, want nil", a.Team.ID, err)
		}
		want := a.Team
		want.Status, want.PlanTier = pome.TeamBanned, pome.PlanEnterprise
		if got, err := s.TeamBySlug(t.Context(), "acme"); err != nil || !sameTeam(got, want) {
			t.Errorf("TeamBySlug(%q) = %+v, %v, want %+v", "acme", got, err, want)
		}
		// Verification reads the team through the key: it must see the ban.
		if o, err := s.KeyByDigest(t.Context(), k.Digest); err != nil || !sameTeam(o.Team, want) {
			t.Errorf("KeyByDigest(%x).Team = %+v, %v, want %+v", k.Digest[:4], o.Team, err, want)
		}
		cs := mustChanges(t, s, 0, 10)
		wantC := pome.Change{Kind: pome.ChangeTeamUpdated, TeamID: a.Team.ID, At: at(time.Hour)}
		if len(cs) != 1 || !sameChange(cs[0], wantC) {
			t.Errorf("Changes(0, 10) = %+v, want [%+v]", cs, wantC)
		}
	}},
	{"UpdateTeam not found writes no change", func(t *testing.T, s pome.Store) {
		id := pome.NewID("tm_")
		err := s.UpdateTeam(t.Context(), pome.Team{ID: id, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, t0, sysEvent(pome.AuditTeamBanned, t0))
		wantErr(t, "UpdateTeam("+id+")", err, pome.ErrTeamNotFound)
		if seq, err := s.LastChange(t.Context()); err != nil || seq != 0 {
			t.Errorf("LastChange() = %d, %v, want 0, nil", seq, err)
		}
	}},
}

var sessionTests = []test{
	{"create and find", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		want := newSession(a, pome.DigestOf("token-1"), t0, at(time.Second))
		if err := s.CreateSession(t.Context(), want, nil); err != nil {
			t.Fatalf("CreateSession = %v, want nil", err)
		}
		got, err := s.SessionByDigest(t.Context(), want.Digest)
		if err != nil || !sameSession(got, want) {
			t.Errorf("SessionByDigest(%x) = %+v, %v, want %+v", want.Digest[:4], got, err, want)
		}
	}},
	{"not found", func(t *testing.T, s pome.Store) {
		_, err := s.SessionByDigest(t.Context(), pome.DigestOf("unknown"))
		wantErr(t, "SessionByDigest(unknown)", err, pome.ErrNotFound)
	}},
	{"touch moves last seen only", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		sess := newSession(a, pome.DigestOf("token-1"), t0, t0)
		if err := s.CreateSession(t.Context(), sess, nil); err != nil {
			t.Fatalf("CreateSession = %v, want nil", err)
		}
		if err := s.TouchSession(t.Context(), sess.Digest, at(time.Hour)); err != nil {
			t.Fatalf("TouchSession = %v, want nil", err)
		}
		want := sess
		want.LastSeen = at(time.Hour)
		if got, err := s.SessionByDigest(t.Context(), sess.Digest); err != nil || !sameSession(got, want) {
			t.Errorf("SessionByDigest(%x) = %+v, %v, want %+v", sess.Digest[:4], got, err, want)
		}
	}},
	{"delete, twice", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		keep := newSession(a, pome.DigestOf("keep"), t0, t0)
		gone := newSession(a, pome.DigestOf("gone"), t0, t0)
		for _, x := range []pome.Session{keep, gone} {
			if err := s.CreateSession(t.Context(), x, nil); err != nil {
				t.Fatalf("CreateSession = %v, want nil", err)
			}
		}
		for i := range 2 {
			if err := s.DeleteSession(t.Context(), gone.Digest, nil); err != nil {
				t.Fatalf("DeleteSession (call %d) = %v, want nil", i+1, err)
			}
		}
		_, err := s.SessionByDigest(t.Context(), gone.Digest)
		wantErr(t, "SessionByDigest(deleted)", err, pome.ErrNotFound)
		if _, err := s.SessionByDigest(t.Context(), keep.Digest); err != nil {
			t.Errorf("SessionByDigest(other session) = %v, want nil", err)
		}
	}},
}

func sameSession(a, b pome.Session) bool {
	return a.ID == b.ID && a.Digest == b.Digest && a.UserID == b.UserID &&
		sameTime(a.CreatedAt, b.CreatedAt) && sameTime(a.LastSeen, b.LastSeen) &&
		a.IP == b.IP && a.UserAgent == b.UserAgent
}

// newSession is an unsaved session of a's user, with a new id and the
// sign-in's address and user agent.
func newSession(a account, d pome.Digest, created, lastSeen time.Time) pome.Session {
	return pome.Session{ID: pome.NewID("ses_"), Digest: d, UserID: a.User.ID, CreatedAt: created, LastSeen: lastSeen,
		IP: "192.0.2.1", UserAgent: "storetest"}
}
