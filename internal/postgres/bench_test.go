package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/testenv"
)

// seedKeys stores n keys of one team in a fresh schema.
func seedKeys(b *testing.B, n int) (pome.Store, []pome.Key) {
	b.Helper()
	db := mustOpen(b, testenv.FreshSchema(b))
	user, team := seedAccount(b, db)
	keys := make([]pome.Key, n)
	for i := range keys {
		keys[i] = newKey(user, team, i)
		if err := db.CreateKey(b.Context(), keys[i], sysEvent(pome.AuditKeyCreated)); err != nil {
			b.Fatal(err)
		}
	}
	return db, keys
}

// BenchmarkKeyByDigest is the verification read of a cache miss.
func BenchmarkKeyByDigest(b *testing.B) {
	db, keys := seedKeys(b, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := db.KeyByDigest(b.Context(), keys[i%len(keys)].Digest); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAddUsage1000 is one flush of 1,000 keys' counts: one transaction
// of two statements (docs/performance.md: about 10 ms for the unnest form).
func BenchmarkAddUsage1000(b *testing.B) {
	db, keys := seedKeys(b, 1000)
	deltas := make([]pome.UsageDelta, len(keys))
	for i, k := range keys {
		deltas[i] = pome.UsageDelta{KeyID: k.ID, Outcomes: pome.OutcomeCounts{int64(i%7 + 1)}, At: time.Now(), LastUsed: time.Now()}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.AddUsage(b.Context(), deltas); err != nil {
			b.Fatal(fmt.Errorf("AddUsage: %w", err))
		}
	}
}
