package authz_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/ratelimit"
)

// keyStore serves one key for verification; any other method panics.
type keyStore struct {
	pome.Store
	owner pome.KeyOwner
}

func (s keyStore) KeyByDigest(context.Context, pome.Digest) (pome.KeyOwner, error) {
	return s.owner, nil
}

// A viewer key may read but not write; the check uses the key's effective
// role, the lower of its own and its creator's current role. (Every surface
// reaches it through Authorize: TestSurfacesAgree and TestRoleMatrix, in
// internal/httpserver, drive it over HTTP.)
func TestAuthorizeRole(t *testing.T) {
	t.Parallel()
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	read, write := pome.ActionAPIRead, pome.ActionAPIWrite
	for _, c := range []struct {
		role    pome.Role
		creator pome.Role // the creator's current role in the team
		action  pome.Action
		wantErr error
	}{
		{pome.RoleViewer, pome.RoleOwner, read, nil},
		{pome.RoleViewer, pome.RoleOwner, write, pome.ErrInsufficientPermissions},
		{pome.RoleDeveloper, pome.RoleDeveloper, write, nil},
		{pome.RoleOwner, pome.RoleOwner, write, nil},
		// The effective role is the lower of the key's and its creator's.
		{pome.RoleAdmin, pome.RoleViewer, read, nil},
		{pome.RoleAdmin, pome.RoleViewer, write, pome.ErrInsufficientPermissions},
		// A creator no longer in the team: the key is refused outright.
		{pome.RoleAdmin, "", read, pome.ErrKeyRevoked},
	} {
		name := string(c.role) + " by " + string(c.creator)
		if c.action == write {
			name += " writing"
		}
		t.Run(name, func(t *testing.T) {
			owner := pome.KeyOwner{Key: pome.Key{ID: "key_1", Role: c.role}, Team: pome.Team{Status: pome.TeamActive}, CreatorRole: c.creator}
			store := keyStore{owner: owner}
			gate := authz.New(authz.Config{
				Verifier: apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Minute, time.Now),
				Meter:    meter.New(store),
			})
			g, err := gate.Authorize(t.Context(), authz.Attempt{Key: key, Action: c.action})
			if !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
				t.Errorf("Authorize(%s key, action %d) = %v, want %v", c.role, c.action, err, c.wantErr)
			}
			// A key refused for its role still says whose it is: the
			// verify endpoint answers it.
			if matched := c.creator != ""; g.Matched() != matched {
				t.Errorf("Authorize(%s key).Matched() = %v, want %v", c.role, g.Matched(), matched)
			}
		})
	}
}

// Authorizing a key the verifier has cached allocates nothing, failure
// accounting, the limiter's refusal counting (as node.New wires it) and the
// usage meter included: the request path's budget is spent elsewhere.
func TestAuthorizeAllocs(t *testing.T) {
	key, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	owner := pome.KeyOwner{Key: pome.Key{ID: "key_1", Role: pome.RoleDeveloper}, Team: pome.Team{Status: pome.TeamActive, PlanTier: pome.PlanFree}, CreatorRole: pome.RoleOwner}
	store := keyStore{owner: owner}
	rules := ratelimit.DefaultRules()
	gate := authz.New(authz.Config{
		Verifier: apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Minute, time.Now),
		Meter:    meter.New(store),
		Limiter:  ratelimit.Count(ratelimit.NewMemory(time.Now, 0)),
		Plans:    rules.Plans,
		Failures: rules.AuthFailureIP,
	})
	a := authz.Attempt{Key: key, ClientIP: "192.0.2.1", Action: pome.ActionAPIRead, From: netip.MustParseAddr("192.0.2.1")}
	if _, err := gate.Authorize(t.Context(), a); err != nil { // fills the cache and the meter's entry
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { gate.Authorize(t.Context(), a) }); n != 0 {
		t.Errorf("Authorize(cached key) allocates %.1f times, want 0", n)
	}
}
