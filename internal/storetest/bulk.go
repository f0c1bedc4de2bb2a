package storetest

import (
	"fmt"
	"time"

	"github.com/pomehq/pome"
)

// BulkAccount is one team with its owner and n keys of it, unsaved, for a
// store's SeedAccounts: the accounts of the stores' benchmarks. Key i has
// the digest of "bench-key-i".
func BulkAccount(n int) (pome.Member, []pome.Key) {
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := pome.Member{
		User: pome.User{ID: pome.NewID("usr_"), Email: "bench@example.com", PasswordHash: "h", CreatedAt: created},
		Team: pome.Team{ID: pome.NewID("tm_"), Slug: "bench", Name: "Bench", PlanTier: pome.PlanPro, Status: pome.TeamActive, CreatedAt: created},
		Role: pome.RoleOwner,
	}
	keys := make([]pome.Key, n)
	for i := range keys {
		keys[i] = pome.Key{ID: pome.NewID("key_"), TeamID: m.Team.ID, CreatedBy: m.User.ID, Name: fmt.Sprint("key ", i),
			Prefix: "pme_benchXYZ", Digest: pome.DigestOf(fmt.Sprint("bench-key-", i)), Role: pome.RoleDeveloper,
			CreatedAt: created.Add(time.Duration(i) * time.Millisecond)}
	}
	return m, keys
}
