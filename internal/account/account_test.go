package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

// newService returns a Service on a fresh store and a fake clock, hashing
// passwords at the tests' cheap cost unless cfg sets one.
func newService(t *testing.T, cfg account.Config) (*account.Service, *sqlite.DB, *pometest.Clock) {
	t.Helper()
	db := pometest.NewStore(t)
	c := pometest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	if cfg.PasswordCost == (account.PasswordCost{}) {
		cfg.PasswordCost = pometest.PasswordCost
	}
	return account.New(db, cfg, c.Now), db, c
}

func mustSignup(t *testing.T, s *account.Service, email, teamName string) account.SignedIn {
	t.Helper()
	in, err := s.Signup(t.Context(), email, "correct horse battery", teamName)
	if err != nil {
		t.Fatalf("Signup(%q) = %v", email, err)
	}
	return in
}

func TestSignup(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, account.Config{SignupOpen: true})
	in := mustSignup(t, s, "Alice@Example.com", "Acme Inc.")
	if in.User.Email != "alice@example.com" || in.Token == "" {
		t.Fatalf("Signup() = %+v, want lower-cased email and a token", in)
	}
	ms, err := s.Memberships(t.Context(), in.User)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Role != pome.RoleOwner || ms[0].Team.Slug != "acme-inc" || ms[0].Team.PlanTier != pome.PlanFree {
		t.Fatalf("Memberships() = %+v, want owner of a free team acme-inc", ms)
	}

	t.Run("slug taken gets a suffix", func(t *testing.T) {
		in := mustSignup(t, s, "bob@example.com", "Acme Inc")
		m, err := s.Member(t.Context(), in.User, "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.Team.Slug, "acme-inc-") || len(m.Team.Slug) != len("acme-inc-")+4 {
			t.Fatalf("second team's slug = %q, want acme-inc-xxxx", m.Team.Slug)
		}
	})
	t.Run("team named after the email by default", func(t *testing.T) {
		in := mustSignup(t, s, "carol.smith@example.com", "")
		m, _ := s.Member(t.Context(), in.User, "")
		if m.Team.Slug != "carol-smith" {
			t.Fatalf("default slug = %q, want carol-smith", m.Team.Slug)
		}
	})
	for _, tc := range []struct {
		name, email, password, code string
	}{
		{"duplicate email any case", "ALICE@example.COM", "correct horse battery", "email_taken"},
		{"missing email", "", "correct horse battery", "missing_required_parameter"},
		{"not an email", "alice", "correct horse battery", "invalid_parameter"},
		{"display-name form", "Alice <a@example.com>", "correct horse battery", "invalid_parameter"},
		{"password of 9 characters", "dan@example.com", "123456789", "invalid_parameter"},
		{"password of 1025 characters", "dan@example.com", strings.Repeat("p", 1025), "invalid_parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Signup(t.Context(), tc.email, tc.password, "")
			if got := pome.AsError(err).Code; got != tc.code {
				t.Fatalf("Signup(%q) = %v, want code %s", tc.email, err, tc.code)
			}
		})
	}
}

func TestSignupClosed(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, account.Config{SignupOpen: false})
	if _, err := s.Signup(t.Context(), "a@example.com", "correct horse battery", ""); !errors.Is(err, pome.ErrSignupClosed) {
		t.Fatalf("Signup() with signup closed = %v, want signup_closed", err)
	}
	// The operator can still create users.
	if _, err := s.CreateUser(t.Context(), "a@example.com", "correct horse battery", ""); err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	if _, err := s.Login(t.Context(), "a@example.com", "correct horse battery"); err != nil {
		t.Fatalf("Login() after CreateUser = %v", err)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	s, db, _ := newService(t, account.Config{SignupOpen: true})
	first := mustSignup(t, s, "alice@example.com", "")
	in, err := s.Login(t.Context(), " ALICE@example.com", "correct horse battery")
	if err != nil {
		t.Fatalf("Login() = %v", err)
	}
	if in.Token == first.Token {
		t.Fatal("Login() reused the signup's session token, want a new one")
	}
	if _, err := db.SessionByDigest(t.Context(), pome.DigestOf(in.Token)); err != nil {
		t.Fatalf("session of the login not stored by digest: %v", err)
	}
	for _, tc := range []struct{ name, email, password string }{
		{"wrong password", "alice@example.com", "wrong password!"},
		{"unknown email", "nobody@example.com", "correct horse battery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Login(t.Context(), tc.email, tc.password)
			e := pome.AsError(err)
			if e.Code != "invalid_credentials" || e.Message != "Invalid email or password" {
				t.Fatalf("Login(%q) = %v, want the one generic invalid_credentials error", tc.email, err)
			}
		})
	}
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	s, _, c := newService(t, account.Config{SignupOpen: true})
	in := mustSignup(t, s, "alice@example.com", "")

	if u, err := s.Authenticate(t.Context(), in.Token); err != nil || u.ID != in.User.ID {
		t.Fatalf("Authenticate() = %+v, %v; want the user", u, err)
	}
	for _, bad := range []string{"", "nope", in.Token + "x"} {
		if _, err := s.Authenticate(t.Context(), bad); !errors.Is(err, pome.ErrUnauthorized) {
			t.Fatalf("Authenticate(%q) = %v, want unauthorized", bad, err)
		}
	}
	t.Run("activity keeps a session within the absolute timeout", func(t *testing.T) {
		in := mustSignup(t, s, "bob@example.com", "")
		for day := 6; day <= 24; day += 6 { // active every 6 days: never idle for 7
			c.Advance(6 * 24 * time.Hour)
			if _, err := s.Authenticate(t.Context(), in.Token); err != nil {
				t.Fatalf("Authenticate() on day %d of activity = %v, want the user", day, err)
			}
		}
		c.Advance(6 * 24 * time.Hour)
		if _, err := s.Authenticate(t.Context(), in.Token); !errors.Is(err, pome.ErrUnauthorized) {
			t.Fatalf("Authenticate() after 30 days = %v, want unauthorized", err)
		}
	})
	t.Run("idle", func(t *testing.T) {
		in := mustSignup(t, s, "carol@example.com", "")
		c.Advance(account.SessionIdleTimeout)
		if _, err := s.Authenticate(t.Context(), in.Token); !errors.Is(err, pome.ErrUnauthorized) {
			t.Fatalf("Authenticate() after 7 idle days = %v, want unauthorized", err)
		}
	})
	t.Run("logout", func(t *testing.T) {
		in := mustSignup(t, s, "dan@example.com", "")
		if err := s.Logout(t.Context(), in.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(t.Context(), in.Token); !errors.Is(err, pome.ErrUnauthorized) {
			t.Fatalf("Authenticate() after logout = %v, want unauthorized", err)
		}
	})
}

func TestMember(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, account.Config{SignupOpen: true})
	alice := mustSignup(t, s, "alice@example.com", "alice-team")
	mustSignup(t, s, "bob@example.com", "bob-team")
	m, err := s.Member(t.Context(), alice.User, "alice-team")
	if err != nil || m.Role != pome.RoleOwner || m.Team.Slug != "alice-team" {
		t.Fatalf("Member(alice-team) = %+v, %v", m, err)
	}
	for _, slug := range []string{"bob-team", "no-such-team"} {
		if _, err := s.Member(t.Context(), alice.User, slug); !errors.Is(err, pome.ErrTeamNotFound) {
			t.Errorf("Member(%q) = %v, want team_not_found whether or not it exists", slug, err)
		}
	}
}

// The stored hash is argon2id with the documented parameters, never the password:
// a Config that sets no cost, as production's, hashes at 19 MiB, t=2, p=1.
func TestPasswordHashFormat(t *testing.T) {
	t.Parallel()
	db := pometest.NewStore(t)
	s := account.New(db, account.Config{SignupOpen: true}, time.Now)
	mustSignup(t, s, "alice@example.com", "")
	u, err := db.UserByEmail(t.Context(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(u.PasswordHash, "correct horse") {
		t.Fatalf("stored hash = %q, want an argon2id PHC string (19 MiB, t=2, p=1)", u.PasswordHash)
	}
}

// A Service hashes at the cost its Config sets, and the hash records that
// cost; a hash is verified at the cost it records, whatever the verifying
// Service's own: passwords hashed at the default cost keep working under a
// cheaper or dearer one, and the other way round. A verifier that used its
// own cost would refuse the right password; one that compared nothing would
// take the wrong one.
func TestPasswordHashOfAnyCostVerifies(t *testing.T) {
	t.Parallel()
	db := pometest.NewStore(t)
	costs := []struct {
		name string
		cost account.PasswordCost
		phc  string // the parameters its hashes record
	}{
		{"cheap", pometest.PasswordCost, "m=8,t=1,p=1"},
		{"other", account.PasswordCost{MemoryKiB: 64, Time: 3, Threads: 2}, "m=64,t=3,p=2"},
		{"default", account.PasswordCost{}, "m=19456,t=2,p=1"},
	}
	services := make([]*account.Service, len(costs))
	for i, c := range costs {
		services[i] = account.New(db, account.Config{SignupOpen: true, PasswordCost: c.cost}, time.Now)
	}
	for i, made := range costs {
		mustSignup(t, services[i], made.name+"@example.com", "")
		u, err := db.UserByEmail(t.Context(), made.name+"@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if want := "$argon2id$v=19$" + made.phc + "$"; !strings.HasPrefix(u.PasswordHash, want) {
			t.Errorf("hash made at the %s cost = %q, want the prefix %s", made.name, u.PasswordHash, want)
		}
	}
	// Each hash checked at another cost; at the default cost, only the
	// pairs needed, as each costs 19 MiB and tens of milliseconds.
	const cheap, other, dflt = 0, 1, 2
	for _, p := range []struct {
		made, by int
		password string
		want     error
	}{
		{cheap, dflt, "correct horse battery", nil},
		{cheap, dflt, "wrong horse battery", pome.ErrInvalidCredentials},
		{other, cheap, "correct horse battery", nil},
		{other, dflt, "correct horse battery", nil},
		{dflt, cheap, "correct horse battery", nil},
		{dflt, other, "wrong horse battery", pome.ErrInvalidCredentials},
	} {
		email := costs[p.made].name + "@example.com"
		if _, err := services[p.by].Login(t.Context(), email, p.password); !errors.Is(err, p.want) {
			t.Errorf("Login(%q) at the %s cost, hashed at the %s cost = %v, want %v", p.password, costs[p.by].name, costs[p.made].name, err, p.want)
		}
	}
}
