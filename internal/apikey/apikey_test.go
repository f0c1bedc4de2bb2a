package apikey_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/sqlite"
)

type fixture struct {
	store    *sqlite.DB
	clock    *pometest.Clock
	verifier *apikey.Verifier
	keys     *apikey.Service
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := pometest.NewStore(t)
	c := pometest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	v := apikey.NewVerifier(db, pome.DefaultKeyFormat, time.Minute, c.Now)
	return &fixture{store: db, clock: c, verifier: v, keys: apikey.New(db, pome.DefaultKeyFormat, v, c.Now)}
}

// member creates a user with a personal team and returns them acting in team
// (their own team when team is nil) with role.
func (f *fixture) member(t testing.TB, team *pome.Team, role pome.Role) pome.Member {
	t.Helper()
	u := pome.User{ID: pome.NewID("usr_"), Email: strings.ToLower(pome.NewID("u")) + "@example.com", PasswordHash: "x", CreatedAt: f.clock.Now()}
	own := pome.Team{ID: pome.NewID("tm_"), Slug: strings.ToLower(pome.NewID("t")), Name: "t", PlanTier: pome.PlanFree, Status: pome.TeamActive, CreatedAt: f.clock.Now()}
	if err := f.store.CreateUserWithTeam(t.Context(), u, own, pometest.Event(pome.AuditSignup)); err != nil {
		t.Fatalf("CreateUserWithTeam: %v", err)
	}
	if team == nil {
		team = &own
	} else {
		pometest.Join(t, f.store, team.ID, u, role, f.clock.Now())
	}
	return pome.Member{User: u, Team: *team, Role: role}
}

func (f *fixture) mustCreate(t testing.TB, m pome.Member, p apikey.CreateParams) apikey.Created {
	t.Helper()
	if p.Name == nil {
		name := "test key"
		p.Name = &name
	}
	c, err := f.keys.Create(t.Context(), m, p)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestCreateValidates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dev := f.member(t, nil, pome.RoleDeveloper)
	viewer := f.member(t, nil, pome.RoleViewer)
	for _, tc := range []struct {
		name string
		m    pome.Member
		p    apikey.CreateParams
		code string
	}{
		{"missing name", dev, apikey.CreateParams{}, "missing_required_parameter"},
		{"empty name", dev, apikey.CreateParams{Name: ptr("")}, "missing_required_parameter"},
		{"name of 101 characters", dev, apikey.CreateParams{Name: ptr(strings.Repeat("é", 101))}, "invalid_parameter"},
		{"description of 501 characters", dev, apikey.CreateParams{Name: ptr("k"), Description: strings.Repeat("d", 501)}, "invalid_parameter"},
		{"expiry 0 days", dev, apikey.CreateParams{Name: ptr("k"), ExpiresInDays: ptr(0)}, "invalid_parameter"},
		{"expiry 3651 days", dev, apikey.CreateParams{Name: ptr("k"), ExpiresInDays: ptr(3651)}, "invalid_parameter"},
		{"unknown role", dev, apikey.CreateParams{Name: ptr("k"), Role: "root"}, "invalid_parameter"},
		{"role above creator", dev, apikey.CreateParams{Name: ptr("k"), Role: pome.RoleAdmin}, "invalid_parameter"},
		{"viewer may not create", viewer, apikey.CreateParams{Name: ptr("k")}, "insufficient_permissions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.keys.Create(t.Context(), tc.m, tc.p)
			if got := pome.AsError(err).Code; got != tc.code {
				t.Fatalf("Create() error = %v, want code %s", err, tc.code)
			}
		})
	}
	t.Run("limits are inclusive", func(t *testing.T) {
		c := f.mustCreate(t, dev, apikey.CreateParams{Name: ptr(strings.Repeat("n", 100)), Description: strings.Repeat("d", 500), ExpiresInDays: ptr(3650)})
		if want := f.clock.Now().AddDate(0, 0, 3650); !c.Key.ExpiresAt.Equal(want) {
			t.Fatalf("ExpiresAt = %v, want %v", c.Key.ExpiresAt, want)
		}
	})
}

// A key carries its creator's role unless a lower one is asked for.
func TestCreateRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.member(t, nil, pome.RoleAdmin)
	if got := f.mustCreate(t, admin, apikey.CreateParams{}).Key.Role; got != pome.RoleAdmin {
		t.Fatalf("default role = %s, want admin", got)
	}
	if got := f.mustCreate(t, admin, apikey.CreateParams{Role: pome.RoleViewer}).Key.Role; got != pome.RoleViewer {
		t.Fatalf("chosen role = %s, want viewer", got)
	}
}

// The plaintext is never stored: only its digest and display prefix.
func TestCreateStoresDigestOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	k, err := f.store.KeyByID(t.Context(), m.Team.ID, c.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k.Digest != pome.DigestOf(c.Plaintext) || k.Prefix != c.Plaintext[:12] {
		t.Fatalf("stored key = digest %x prefix %q, want digest of plaintext and prefix %q", k.Digest, k.Prefix, c.Plaintext[:12])
	}
}

// Developers see and revoke their own keys; admins and owners every key of
// the team; a key out of sight is not found, never forbidden.
func TestVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	dev1 := f.member(t, &owner.Team, pome.RoleDeveloper)
	dev2 := f.member(t, &owner.Team, pome.RoleDeveloper)
	admin := f.member(t, &owner.Team, pome.RoleAdmin)
	k1 := f.mustCreate(t, dev1, apikey.CreateParams{}).Key
	f.clock.Advance(time.Millisecond) // newest first is by creation time
	k2 := f.mustCreate(t, dev2, apikey.CreateParams{}).Key
	outsider := f.member(t, nil, pome.RoleOwner)

	ids := func(m pome.Member) string {
		page, err := f.keys.List(t.Context(), m, apikey.ListQuery{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		var s []string
		for _, k := range page.Keys {
			s = append(s, k.ID)
		}
		return strings.Join(s, ",")
	}
	if got, want := ids(dev1), k1.ID; got != want {
		t.Errorf("developer lists %q, want %q", got, want)
	}
	if got, want := ids(admin), k2.ID+","+k1.ID; got != want {
		t.Errorf("admin lists %q, want %q (newest first)", got, want)
	}
	if got := ids(outsider); got != "" {
		t.Errorf("another team lists %q, want nothing", got)
	}
	if _, err := f.keys.Revoke(t.Context(), dev1, k2.ID); !errors.Is(err, pome.ErrKeyNotFound) {
		t.Errorf("developer revoking a colleague's key: %v, want key_not_found", err)
	}
	if _, err := f.keys.Revoke(t.Context(), outsider, k1.ID); !errors.Is(err, pome.ErrKeyNotFound) {
		t.Errorf("another team revoking: %v, want key_not_found", err)
	}
	if _, err := f.keys.Revoke(t.Context(), admin, k2.ID); err != nil {
		t.Errorf("admin revoking a developer's key: %v", err)
	}
	viewer := f.member(t, &owner.Team, pome.RoleViewer)
	if _, err := f.keys.List(t.Context(), viewer, apikey.ListQuery{}); !errors.Is(err, pome.ErrInsufficientPermissions) {
		t.Errorf("viewer listing: %v, want insufficient_permissions", err)
	}
	// Get sees what List shows: the key of another is not found, not forbidden.
	for _, tc := range []struct {
		who  string
		m    pome.Member
		key  pome.Key
		want error
	}{
		{"developer, own key", dev1, k1, nil},
		{"developer, a colleague's key", dev1, k2, pome.ErrKeyNotFound},
		{"admin, a developer's revoked key", admin, k2, nil},
		{"owner", owner, k1, nil},
		{"viewer", viewer, k1, pome.ErrKeyNotFound},
		{"another team", outsider, k1, pome.ErrKeyNotFound},
	} {
		k, err := f.keys.Get(t.Context(), tc.m, tc.key.ID)
		if !errors.Is(err, tc.want) || err == nil && k.ID != tc.key.ID {
			t.Errorf("Get(%s) = %s, %v; want %s, %v", tc.who, k.ID, err, tc.key.ID, tc.want)
		}
	}
	if _, err := f.keys.Get(t.Context(), owner, "key_0000000000000000"); !errors.Is(err, pome.ErrKeyNotFound) {
		t.Errorf("Get(unknown key) = %v, want key_not_found", err)
	}
	if _, err := f.keys.List(t.Context(), owner, apikey.ListQuery{Status: "bogus"}); pome.AsError(err).Code != "invalid_parameter" {
		t.Errorf("List(status=bogus): %v, want invalid_parameter", err)
	}
}

// A listing pages by cursor, each key once, newest first, with the total
// of every page; a developer's pages hold only their own keys; a cursor is
// a position, so another team's reads only this team's keys; a bad cursor
// or limit is invalid_parameter naming it.
func TestListPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	dev := f.member(t, &owner.Team, pome.RoleDeveloper)
	other := f.member(t, nil, pome.RoleOwner)
	var all, devs []string
	for i := range 12 {
		if i == 6 { // another team's keys, halfway, in a millisecond of their own
			f.clock.Advance(time.Millisecond)
			f.mustCreate(t, other, apikey.CreateParams{})
			f.mustCreate(t, other, apikey.CreateParams{})
			f.clock.Advance(time.Millisecond)
		}
		m := owner
		if i%3 == 0 {
			m = dev
		}
		k := f.mustCreate(t, m, apikey.CreateParams{}).Key
		all = append([]string{k.ID}, all...)
		if m.User.ID == dev.User.ID {
			devs = append([]string{k.ID}, devs...)
		}
		if i%2 == 0 {
			f.clock.Advance(time.Millisecond) // ties in between
		}
	}
	// Keys created in the same millisecond are ordered by id: the order
	// to page through is the one a single page gives.
	onePage := func(m pome.Member, created []string) []string {
		page, err := f.keys.List(t.Context(), m, apikey.ListQuery{Status: "all", Limit: apikey.MaxListLimit})
		if err != nil || page.NextCursor != "" {
			t.Fatalf("List(one page) = %v, %q", err, page.NextCursor)
		}
		var ids []string
		for _, k := range page.Keys {
			ids = append(ids, k.ID)
		}
		if !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(created))) {
			t.Fatalf("List(one page) = %v, want %v in some order", ids, created)
		}
		return ids
	}
	all, devs = onePage(owner, all), onePage(dev, devs)
	otherPage, err := f.keys.List(t.Context(), other, apikey.ListQuery{Limit: 1})
	if err != nil {
		t.Fatalf("List(other team) = %v", err)
	}

	walk := func(m pome.Member, limit int, cursor string) (ids []string, pages int) {
		q := apikey.ListQuery{Status: "all", Limit: limit, Cursor: cursor}
		for {
			page, err := f.keys.List(t.Context(), m, q)
			if err != nil {
				t.Fatalf("List(%+v) = %v", q, err)
			}
			pages++
			for _, k := range page.Keys {
				ids = append(ids, k.ID)
			}
			if page.NextCursor == "" {
				return ids, pages
			}
			if want := len(ids); page.Total < want || len(page.Keys) != limit {
				t.Fatalf("List(%+v) = %d keys of %d, want a full page", q, len(page.Keys), page.Total)
			}
			q.Cursor = page.NextCursor
		}
	}
	for _, tc := range []struct {
		name  string
		m     pome.Member
		limit int
		want  []string
		pages int
	}{
		{"owner, pages of 5", owner, 5, all, 3},
		{"owner, one page", owner, 12, all, 1},
		{"developer, pages of 1", dev, 1, devs, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, pages := walk(tc.m, tc.limit, "")
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || pages != tc.pages {
				t.Errorf("List pages = %v in %d pages, want %v in %d", got, pages, tc.want, tc.pages)
			}
		})
	}
	page, err := f.keys.List(t.Context(), dev, apikey.ListQuery{Status: "all", Limit: 1})
	if err != nil || page.Total != len(devs) {
		t.Errorf("List(developer).Total = %d, %v, want %d", page.Total, err, len(devs))
	}
	// Another team's cursor is a position in time: it reads this team's
	// keys from there, never the other team's.
	got, _ := walk(owner, 50, otherPage.NextCursor)
	if len(got) != 6 || strings.Join(got, ",") != strings.Join(all[6:], ",") {
		t.Errorf("List(owner, another team's cursor) = %v, want the owner's 6 older keys %v", got, all[6:])
	}
	for _, tc := range []struct {
		name string
		q    apikey.ListQuery
		want string
	}{
		{"limit 0 is the default", apikey.ListQuery{}, ""},
		{"limit 101", apikey.ListQuery{Limit: 101}, "'limit'"},
		{"limit -1", apikey.ListQuery{Limit: -1}, "'limit'"},
		{"cursor not base64", apikey.ListQuery{Cursor: "!!"}, "'cursor'"},
		{"audit cursor", apikey.ListQuery{Cursor: pome.EncodeCursor("a1.", "7")}, "'cursor'"},
		{"cursor without id", apikey.ListQuery{Cursor: pome.EncodeCursor("k1.", "7")}, "'cursor'"},
		{"cursor with a bad id", apikey.ListQuery{Cursor: pome.EncodeCursor("k1.", "7.usr_0000000000000000")}, "'cursor'"},
		{"cursor past 9999", apikey.ListQuery{Cursor: pome.EncodeCursor("k1.", "9223372036854775807.key_0000000000000000")}, "'cursor'"},
		{"cursor with NUL", apikey.ListQuery{Cursor: "k1.\x00"}, "'cursor'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.keys.List(t.Context(), owner, tc.q)
			if tc.want == "" {
				if err != nil {
					t.Errorf("List(%+v) = %v, want nil", tc.q, err)
				}
				return
			}
			if e := pome.AsError(err); e == nil || e.Code != "invalid_parameter" || !strings.Contains(e.Message, tc.want) {
				t.Errorf("List(%+v) = %v, want invalid_parameter naming %s", tc.q, err, tc.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	got, err := f.verifier.Verify(t.Context(), c.Plaintext)
	if err != nil {
		t.Fatalf("Verify(new key) = %v", err)
	}
	if got.Key.ID != c.Key.ID || got.Team.ID != m.Team.ID || got.User.Email != m.User.Email {
		t.Fatalf("Verify() = %+v, want key %s of team %s by %s", got, c.Key.ID, m.Team.ID, m.User.Email)
	}

	t.Run("unknown well-formed key", func(t *testing.T) {
		other, _ := pome.DefaultKeyFormat.Generate()
		if _, err := f.verifier.Verify(t.Context(), other); !errors.Is(err, pome.ErrInvalidAPIKey) {
			t.Fatalf("Verify(unknown) = %v, want invalid_api_key", err)
		}
	})
	t.Run("revoked on this node takes effect on the next call", func(t *testing.T) {
		c := f.mustCreate(t, m, apikey.CreateParams{})
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
			t.Fatal(err) // now cached
		}
		if _, err := f.keys.Revoke(t.Context(), m, c.Key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
			t.Fatalf("Verify(revoked) = %v, want key_revoked", err)
		}
		again, err := f.keys.Revoke(t.Context(), m, c.Key.ID)
		if err != nil || again.RevokedAt == nil {
			t.Fatalf("second Revoke = %+v, %v; want the revoked key and no error", again, err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		c := f.mustCreate(t, m, apikey.CreateParams{ExpiresInDays: ptr(1)})
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(24 * time.Hour)
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrKeyExpired) {
			t.Fatalf("Verify(expired) = %v, want key_expired", err)
		}
	})
}

// Changes made straight on the database (another node, `pome admin`) reach a
// running verifier through the change log that Follow polls, at the first
// poll after them.
func TestFollowAppliesChangeLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	revokedElsewhere := f.mustCreate(t, m, apikey.CreateParams{})
	synctest.Test(t, func(t *testing.T) {
		startFollow(t, f.verifier, followEvery)
		for _, k := range []string{c.Plaintext, revokedElsewhere.Plaintext} {
			if _, err := f.verifier.Verify(t.Context(), k); err != nil {
				t.Fatal(err)
			}
		}
		now := f.clock.Now()
		if err := f.store.UpdateTeam(t.Context(), pome.Team{ID: m.Team.ID, Status: pome.TeamBanned, PlanTier: pome.PlanPro}, now, pometest.Event(pome.AuditTeamBanned)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.RevokeKey(t.Context(), m.Team.ID, revokedElsewhere.Key.ID, now, pometest.Event(pome.AuditKeyRevoked)); err != nil {
			t.Fatal(err)
		}
		elapse(followEvery)
		if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrTeamBanned) {
			t.Fatalf("Verify(key of a team banned elsewhere) one poll later = %v, want team_banned", err)
		}
		if err := f.store.UpdateTeam(t.Context(), pome.Team{ID: m.Team.ID, Status: pome.TeamActive, PlanTier: pome.PlanPro}, now, pometest.Event(pome.AuditTeamBanned)); err != nil {
			t.Fatal(err)
		}
		elapse(followEvery)
		if o, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil || o.Team.PlanTier != pome.PlanPro {
			t.Fatalf("Verify(key of a team unbanned elsewhere) one poll later = plan %q, %v; want pro, nil", o.Team.PlanTier, err)
		}
		if _, err := f.verifier.Verify(t.Context(), revokedElsewhere.Plaintext); !errors.Is(err, pome.ErrKeyRevoked) {
			t.Fatalf("Verify(revoked through the store) = %v, want key_revoked", err)
		}
	})
}

// The time-to-live bounds staleness even without the change log.
func TestVerifierTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatal(err)
	}
	if err := f.store.UpdateTeam(t.Context(), pome.Team{ID: m.Team.ID, Status: pome.TeamBanned, PlanTier: pome.PlanFree}, f.clock.Now(), pometest.Event(pome.AuditTeamBanned)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.verifier.Verify(t.Context(), c.Plaintext); err != nil {
		t.Fatalf("Verify within the ttl = %v, want the cached answer", err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.verifier.Verify(t.Context(), c.Plaintext); !errors.Is(err, pome.ErrTeamBanned) {
		t.Fatalf("Verify after the ttl = %v, want team_banned", err)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	c := f.mustCreate(t, m, apikey.CreateParams{})
	now := f.clock.Now()
	err := f.store.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: c.Key.ID, Outcomes: pome.OutcomeCounts{5}, At: now.Add(-48 * time.Hour), LastUsed: now.Add(-48 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.AddUsage(t.Context(), []pome.UsageDelta{{KeyID: c.Key.ID, Outcomes: pome.OutcomeCounts{2}, At: now, LastUsed: now}}); err != nil {
		t.Fatal(err)
	}
	days, err := f.keys.Usage(t.Context(), m, c.Key.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, d := range days {
		got = append(got, d.Outcomes[0])
	}
	if len(days) != 3 || got[0] != 5 || got[1] != 0 || got[2] != 2 || !days[2].Day.Equal(now.Truncate(24*time.Hour)) {
		t.Fatalf("Usage(3 days) = %+v, want counts [5 0 2] ending today", days)
	}
	for _, n := range []int{0, 366} {
		if _, err := f.keys.Usage(t.Context(), m, c.Key.ID, n); pome.AsError(err).Code != "invalid_parameter" {
			t.Errorf("Usage(days=%d) = %v, want invalid_parameter", n, err)
		}
	}
	if _, err := f.keys.Usage(t.Context(), f.member(t, nil, pome.RoleOwner), c.Key.ID, 30); !errors.Is(err, pome.ErrKeyNotFound) {
		t.Errorf("Usage of another team's key = %v, want key_not_found", err)
	}
}

// The team's usage sums every key of the team for owners and admins, revoked
// ones included, and only their own keys for developers; other teams' usage
// never counts, and a viewer may not read it.
func TestTeamUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.member(t, nil, pome.RoleOwner)
	admin := f.member(t, &owner.Team, pome.RoleAdmin)
	dev := f.member(t, &owner.Team, pome.RoleDeveloper)
	viewer := f.member(t, &owner.Team, pome.RoleViewer)
	outsider := f.member(t, nil, pome.RoleOwner)
	owners := f.mustCreate(t, owner, apikey.CreateParams{}).Key
	devs := f.mustCreate(t, dev, apikey.CreateParams{}).Key
	revoked := f.mustCreate(t, dev, apikey.CreateParams{}).Key
	others := f.mustCreate(t, outsider, apikey.CreateParams{}).Key
	now := f.clock.Now()
	err := f.store.AddUsage(t.Context(), []pome.UsageDelta{
		{KeyID: owners.ID, Outcomes: pome.OutcomeCounts{1}, At: now.Add(-48 * time.Hour), LastUsed: now.Add(-48 * time.Hour)},
		{KeyID: devs.ID, Outcomes: pome.OutcomeCounts{2}, At: now.Add(-48 * time.Hour), LastUsed: now.Add(-48 * time.Hour)},
		{KeyID: revoked.ID, Outcomes: pome.OutcomeCounts{4}, At: now, LastUsed: now},
		{KeyID: others.ID, Outcomes: pome.OutcomeCounts{100}, At: now, LastUsed: now},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.keys.Revoke(t.Context(), dev, revoked.ID); err != nil {
		t.Fatal(err)
	}
	counts := func(m pome.Member, days int) ([]int64, error) {
		ds, err := f.keys.TeamUsage(t.Context(), m, days)
		var got []int64
		for i, d := range ds {
			if want := now.Truncate(24*time.Hour).AddDate(0, 0, i+1-days); !d.Day.Equal(want) {
				t.Errorf("TeamUsage day %d = %v, want %v", i, d.Day, want)
			}
			got = append(got, d.Outcomes[0])
		}
		return got, err
	}
	for _, tc := range []struct {
		who  string
		m    pome.Member
		want []int64
	}{
		{"owner", owner, []int64{3, 0, 4}},
		{"admin", admin, []int64{3, 0, 4}},
		{"developer", dev, []int64{2, 0, 4}},
		{"another team's owner", outsider, []int64{0, 0, 100}},
	} {
		if got, err := counts(tc.m, 3); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("TeamUsage(%s, 3 days) = %v, %v; want %v", tc.who, got, err, tc.want)
		}
	}
	if _, err := counts(viewer, 3); !errors.Is(err, pome.ErrInsufficientPermissions) {
		t.Errorf("TeamUsage(viewer) = %v, want insufficient_permissions", err)
	}
	for _, n := range []int{0, 91} {
		if _, err := counts(owner, n); pome.AsError(err).Code != "invalid_parameter" {
			t.Errorf("TeamUsage(days=%d) = %v, want invalid_parameter", n, err)
		}
	}
	if got, err := counts(owner, 90); err != nil || len(got) != 90 {
		t.Errorf("TeamUsage(90 days) = %d days, %v; want 90", len(got), err)
	}
}
