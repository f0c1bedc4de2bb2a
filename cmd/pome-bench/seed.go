package main

import (
	"context"
	"fmt"
	"iter"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/sqlite"
)

// keysPerTeam: the seeded keys belong to teams of ten keys, each team with
// one member who created them (so that the cache shares team and creator
// records as a real deployment's would, not more).
const keysPerTeam = 10

var seededAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seeder is a store that takes accounts in bulk: sqlite.DB and postgres.DB
// (their SeedAccounts, which writes no audit event or change-log entry).
type seeder interface {
	SeedAccounts(ctx context.Context, accounts iter.Seq2[pome.Member, []pome.Key]) error
}

// seed stores n keys in store, in teams of keysPerTeam keys, each with the
// policies policy sets (nil: none), and returns the plaintexts keep selects,
// by the keys' index.
func seed(ctx context.Context, store seeder, n int, keep func(i int) bool, policy func(*pome.Key)) ([]string, error) {
	var kept []string
	var genErr error
	accounts := func(yield func(pome.Member, []pome.Key) bool) {
		for team := 0; team*keysPerTeam < n; team++ {
			m := pome.Member{
				User: pome.User{ID: pome.NewID("usr_"), Email: fmt.Sprintf("user%d@example.com", team),
					PasswordHash: "x", CreatedAt: seededAt},
				Team: pome.Team{ID: pome.NewID("tm_"), Slug: fmt.Sprint("team-", team), Name: fmt.Sprint("Team ", team),
					PlanTier: pome.PlanPro, Status: pome.TeamActive, CreatedAt: seededAt},
				Role: pome.RoleOwner,
			}
			keys := make([]pome.Key, 0, keysPerTeam)
			for i := team * keysPerTeam; i < min(n, (team+1)*keysPerTeam); i++ {
				k, err := pome.DefaultKeyFormat.Generate()
				if err != nil {
					genErr = err
					return
				}
				keys = append(keys, pome.Key{ID: pome.NewID("key_"), TeamID: m.Team.ID, CreatedBy: m.User.ID,
					Name: fmt.Sprint("key ", team), Prefix: pome.DefaultKeyFormat.DisplayPrefix(k), Digest: pome.DigestOf(k),
					Role: pome.RoleDeveloper, CreatedAt: seededAt.Add(time.Duration(i) * time.Millisecond)})
				if policy != nil {
					policy(&keys[len(keys)-1])
				}
				if keep(i) {
					kept = append(kept, k)
				}
			}
			if !yield(m, keys) {
				return
			}
		}
	}
	if err := store.SeedAccounts(ctx, accounts); err != nil {
		return nil, err
	}
	if genErr != nil { // the seeded store lacks keys: it is thrown away
		return nil, genErr
	}
	return kept, nil
}

// seedSQLite creates a Pome SQLite database at path holding n keys with
// the policies policy sets, and returns the plaintexts keep selects. The
// store is closed when it returns, which checkpoints the write-ahead log
// into the file.
func seedSQLite(ctx context.Context, path string, n int, keep func(int) bool, policy func(*pome.Key)) ([]string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	kept, err := seed(ctx, store, n, keep, policy)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	// No ANALYZE: Pome never runs it, and with its STAT4 statistics SQLite
	// re-plans the verification query for every new digest bound to it, so
	// every cache miss would parse its SQL again (docs/operations.md).
	return kept, err
}

// everyPolicy gives a key every policy of the key object (docs/api.md,
// "Key policies") that a request to /v1/me from the load generator passes:
// its address in the allowed CIDRs, scopes, metadata, a rate limit of its
// own that the load never reaches, and credits it never runs out of (each
// accepted request spends one, from the node's lease).
func everyPolicy(k *pome.Key) {
	k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	k.Scopes = []string{"me:read", "docs:*"}
	k.Meta = `{"customer":"bench","tier":2}`
	k.RateLimit = &pome.RateLimit{Limit: 1_000_000, Window: time.Minute}
	k.Credits = &pome.Credits{Remaining: 1 << 40, Base: 1 << 40}
}

// settlePostgres does what autovacuum and the checkpointer would have done
// by the time a real table of this size is read, on the database of conn:
// otherwise the misses are timed while PostgreSQL still sets hint bits and
// writes out the load.
func settlePostgres(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("CHECKPOINT (needs a superuser or the pg_checkpoint role): %w", err)
	}
	return nil
}

// writeKeys writes keys one a line.
func writeKeys(path string, keys []string) error {
	return os.WriteFile(path, []byte(strings.Join(keys, "\n")+"\n"), 0o600)
}
