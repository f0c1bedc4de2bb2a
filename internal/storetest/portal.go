package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// mustPortalLink stores a link of token into a's team for email with role,
// expiring 5 minutes after t0.
func mustPortalLink(t *testing.T, s pome.Store, a account, token, email string, role pome.Role) pome.PortalLink {
	t.Helper()
	l := pome.PortalLink{Digest: pome.DigestOf(token), TeamID: a.Team.ID, Email: email, Role: role,
		ReturnURL: "https://app.example.com/settings", CreatedBy: "st_portal", CreatedAt: t0, ExpiresAt: at(5 * time.Minute)}
	ev := sysEvent(pome.AuditPortalCreated, t0).On(a.Team.ID, pome.TargetTeam, a.Team.ID)
	if err := s.CreatePortalLink(t.Context(), l, ev); err != nil {
		t.Fatalf("CreatePortalLink = %v, want nil", err)
	}
	return l
}

// openPortal opens the link of token at when with a new session, whose
// events are one login event of the user: it returns what the store did,
// the session and the error.
func openPortal(t *testing.T, s pome.Store, token string, when time.Time) (pome.PortalOpened, pome.Session, error) {
	t.Helper()
	u := pome.User{ID: pome.NewID("usr_"), CreatedAt: when}
	sess := pome.Session{ID: pome.NewID("ses_"), Digest: pome.DigestOf(token + "-session-" + u.ID), CreatedAt: when, LastSeen: when,
		IP: "192.0.2.1", UserAgent: "storetest"}
	o, err := s.OpenPortalLink(t.Context(), pome.DigestOf(token), u, sess, func(o pome.PortalOpened) []pome.AuditEvent {
		return []pome.AuditEvent{userEvent(pome.AuditLogin, when, o.User.ID, o.Link.TeamID, pome.TargetUser, o.User.ID)}
	})
	sess.UserID, sess.ReturnURL = o.User.ID, o.Link.ReturnURL
	return o, sess, err
}

func mustRole(t *testing.T, s pome.Store, teamID, userID string) pome.Role {
	t.Helper()
	m, err := s.Member(t.Context(), teamID, userID)
	if err != nil {
		t.Fatalf("Member(%s, %s) = %v, want nil", teamID, userID, err)
	}
	return m.Role
}

var portalTests = []test{
	{"OpenPortalLink creates a user without password, their membership and a session with the return URL, once", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		l := mustPortalLink(t, s, a, "portal-1", "new@example.com", pome.RoleDeveloper)
		o, sess, err := openPortal(t, s, "portal-1", at(time.Minute))
		if err != nil {
			t.Fatalf("OpenPortalLink = %v, want nil", err)
		}
		if !o.NewUser || o.User.Email != "new@example.com" || o.User.HasPassword() || o.Was != "" || o.Role != pome.RoleDeveloper {
			t.Errorf("OpenPortalLink = %+v, want a new user new@example.com without password, developer", o)
		}
		if o.Link.TeamID != l.TeamID || o.Link.ReturnURL != l.ReturnURL || o.Link.CreatedBy != l.CreatedBy || !sameTime(o.Link.ExpiresAt, l.ExpiresAt) {
			t.Errorf("OpenPortalLink link = %+v, want %+v", o.Link, l)
		}
		if u, err := s.UserByEmail(t.Context(), "new@example.com"); err != nil || !sameUser(u, o.User) || u.PasswordHash != "" {
			t.Errorf("UserByEmail = %+v, %v, want %+v with no password hash", u, err, o.User)
		}
		if got := mustRole(t, s, a.Team.ID, o.User.ID); got != pome.RoleDeveloper {
			t.Errorf("Member role = %s, want developer", got)
		}
		got, err := s.SessionByDigest(t.Context(), sess.Digest)
		if err != nil || !sameSession(got, sess) || got.ReturnURL != l.ReturnURL {
			t.Errorf("SessionByDigest = %+v, %v, want %+v with return URL %s", got, err, sess, l.ReturnURL)
		}
		if evs := actions(teamEvents(t, s, a.Team.ID)); !slices.Equal(evs[:2], []string{pome.AuditLogin, pome.AuditPortalCreated}) {
			t.Errorf("team events = %v, want the login, then the link's", evs)
		}
		_, _, err = openPortal(t, s, "portal-1", at(2*time.Minute))
		wantErr(t, "OpenPortalLink(used)", err, pome.ErrNotFound)
	}},
	{"OpenPortalLink refuses an expired or unknown link and changes nothing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		mustPortalLink(t, s, a, "portal-1", "late@example.com", pome.RoleDeveloper)
		before := len(teamEvents(t, s, a.Team.ID))
		for name, c := range map[string]struct {
			token string
			when  time.Time
		}{"expired": {"portal-1", at(5 * time.Minute)}, "unknown": {"portal-2", at(time.Minute)}} {
			_, _, err := openPortal(t, s, c.token, c.when)
			wantErr(t, "OpenPortalLink("+name+")", err, pome.ErrNotFound)
		}
		if _, err := s.UserByEmail(t.Context(), "late@example.com"); !isErr(err, pome.ErrUserNotFound) {
			t.Errorf("UserByEmail after refused opens = %v, want ErrUserNotFound", err)
		}
		if after := len(teamEvents(t, s, a.Team.ID)); after != before {
			t.Errorf("team events = %d after refused opens, want %d", after, before)
		}
	}},
	{"OpenPortalLink keeps a higher role and raises a lower one, logging the change", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "bolt")
		// a's user owns acme: a developer link keeps them owner.
		mustPortalLink(t, s, a, "portal-owner", a.User.Email, pome.RoleDeveloper)
		o, _, err := openPortal(t, s, "portal-owner", at(time.Minute))
		if err != nil || o.NewUser || o.User.ID != a.User.ID || o.Was != pome.RoleOwner || o.Role != pome.RoleOwner {
			t.Fatalf("OpenPortalLink(owner, developer link) = %+v, %v, want the owner kept", o, err)
		}
		if o.User.PasswordHash != a.User.PasswordHash {
			t.Errorf("OpenPortalLink changed the existing user's password hash")
		}
		mustAddMember(t, s, a, b, pome.RoleViewer, t0)
		last, err := s.LastChange(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		mustPortalLink(t, s, a, "portal-admin", b.User.Email, pome.RoleAdmin)
		o, _, err = openPortal(t, s, "portal-admin", at(2*time.Minute))
		if err != nil || o.Was != pome.RoleViewer || o.Role != pome.RoleAdmin {
			t.Fatalf("OpenPortalLink(viewer, admin link) = %+v, %v, want raised to admin", o, err)
		}
		if got := mustRole(t, s, a.Team.ID, b.User.ID); got != pome.RoleAdmin {
			t.Errorf("Member role = %s, want admin", got)
		}
		changes := mustChanges(t, s, last, 10)
		want := pome.Change{Kind: pome.ChangeMemberUpdated, TeamID: a.Team.ID, UserID: b.User.ID, At: at(2 * time.Minute)}
		if len(changes) != 1 || !sameChange(changes[0], want) {
			t.Errorf("Changes after the raise = %+v, want one %+v", changes, want)
		}
	}},
	{"CreatePortalLink refuses an unknown team", func(t *testing.T, s pome.Store) {
		l := pome.PortalLink{Digest: pome.DigestOf("portal-1"), TeamID: pome.NewID("tm_"), Email: "x@example.com", Role: pome.RoleDeveloper,
			CreatedBy: "st_portal", CreatedAt: t0, ExpiresAt: at(5 * time.Minute)}
		err := s.CreatePortalLink(t.Context(), l, sysEvent(pome.AuditPortalCreated, t0))
		wantErr(t, "CreatePortalLink(unknown team)", err, pome.ErrTeamNotFound)
	}},
	{"concurrent opens of one link: exactly one wins", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		mustPortalLink(t, s, a, "portal-1", "race@example.com", pome.RoleDeveloper)
		var won atomic.Int32
		errs := run(workers/5, func(int) error {
			_, _, err := openPortal(t, s, "portal-1", at(time.Minute))
			if err == nil {
				won.Add(1)
			}
			if errors.Is(err, pome.ErrNotFound) {
				return nil
			}
			return err
		})
		for _, err := range errs {
			t.Errorf("OpenPortalLink = %v, want nil or ErrNotFound", err)
		}
		if n := won.Load(); n != 1 {
			t.Errorf("OpenPortalLink succeeded %d times, want 1", n)
		}
		u, err := s.UserByEmail(t.Context(), "race@example.com")
		if err != nil {
			t.Fatalf("UserByEmail = %v, want nil", err)
		}
		if ss, err := s.Sessions(t.Context(), u.ID); err != nil || len(ss) != 1 {
			t.Errorf("Sessions = %d, %v, want 1", len(ss), err)
		}
	}},
	{"concurrent links of one new email make one user", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		n := workers / 5
		for i := range n {
			mustPortalLink(t, s, a, fmt.Sprint("portal-", i), "twice@example.com", pome.RoleDeveloper)
		}
		var users sync.Map
		errs := run(n, func(w int) error {
			o, _, err := openPortal(t, s, fmt.Sprint("portal-", w), at(time.Minute))
			users.Store(o.User.ID, true)
			return err
		})
		for _, err := range errs {
			t.Errorf("OpenPortalLink = %v, want nil", err)
		}
		count := 0
		users.Range(func(any, any) bool { count++; return true })
		if count != 1 {
			t.Errorf("OpenPortalLink signed in %d users, want 1", count)
		}
	}},
}
