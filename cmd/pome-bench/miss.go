package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/postgres"
	"github.com/pomehq/pome/internal/sqlite"
)

func defaultNegTTL() time.Duration { return apikey.DefaultNegativeTTL }
func defaultNegSize() int          { return apikey.DefaultNegativeSize }

// sampleEvery keeps the plaintexts of 3 × -miss-samples keys spread over the
// store.
func (b *bench) sampleEvery() func(int) bool {
	step := max(b.cfg.missKeys/(3*b.cfg.missSamples), 1)
	return func(i int) bool { return i%step == 0 }
}

// missSQLite times cache misses with -miss-keys keys in SQLite.
func (b *bench) missSQLite(ctx context.Context) error {
	path := filepath.Join(b.dir, "miss", "pome.db")
	b.logf("seeding %d keys into SQLite", b.cfg.missKeys)
	start := time.Now()
	keys, err := seedSQLite(ctx, path, b.cfg.missKeys, b.sampleEvery(), nil)
	if err != nil {
		return err
	}
	b.logf("seeded in %s", time.Since(start).Round(time.Second))
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer store.Close()
	return b.timeMisses(ctx, "SQLite", store, keys)
}

// missPostgres times cache misses with -miss-keys keys in PostgreSQL, in a
// schema of its own, dropped after.
func (b *bench) missPostgres(ctx context.Context) error {
	if b.cfg.databaseURL == "" || b.cfg.databaseURL == "none" {
		fmt.Fprintf(b.out, "\n## Cache miss, PostgreSQL: skipped (no -database-url)\n")
		return nil
	}
	admin, err := pgx.Connect(ctx, b.cfg.databaseURL)
	if err != nil {
		return err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	schema := "pome_bench_" + strings.ToLower(rand.Text()[:10])
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return err
	}
	defer admin.Exec(context.WithoutCancel(ctx), `DROP SCHEMA `+schema+` CASCADE`)
	u, err := url.Parse(b.cfg.databaseURL)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	store, err := postgres.Open(ctx, u.String())
	if err != nil {
		return err
	}
	defer store.Close()
	b.logf("seeding %d keys into PostgreSQL", b.cfg.missKeys)
	start := time.Now()
	keys, err := seed(ctx, store, b.cfg.missKeys, b.sampleEvery(), nil)
	if err != nil {
		return err
	}
	if err := settlePostgres(ctx, admin); err != nil {
		return err
	}
	b.logf("seeded in %s", time.Since(start).Round(time.Second))
	return b.timeMisses(ctx, "PostgreSQL", store, keys)
}

// timeMisses verifies each sample key once through a fresh Verifier (an
// empty cache: every verification reads the store), in 3 runs of distinct
// keys, one request at a time.
func (b *bench) timeMisses(ctx context.Context, name string, store pome.Store, keys []string) error {
	fmt.Fprintf(b.out, "\n## Cache-miss verification, %s, %d keys in the store: %d misses per run, sequential\n\n", name, b.cfg.missKeys, b.cfg.missSamples)
	fmt.Fprintf(b.out, "| run | p50 µs | p99 µs | max µs | mean µs |\n|---|---|---|---|---|\n")
	var p50s, p99s []float64
	per := min(b.cfg.missSamples, len(keys)/3)
	for run := range 3 {
		// The seed's garbage (a million rows) is collected now, not in the
		// middle of the timed misses.
		runtime.GC()
		v := apikey.NewVerifier(store, pome.DefaultKeyFormat, time.Minute, time.Now)
		lats := make([]time.Duration, 0, per)
		var sum time.Duration
		for _, k := range keys[run*per : (run+1)*per] {
			t := time.Now()
			if _, err := v.Verify(ctx, k); err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			d := time.Since(t)
			lats = append(lats, d)
			sum += d
		}
		if reads := v.Stats().StoreReads; reads != uint64(per) {
			return fmt.Errorf("store reads = %d, want %d: every verification should have missed", reads, per)
		}
		slices.Sort(lats)
		p50, p99 := lats[len(lats)/2], lats[len(lats)*99/100]
		p50s, p99s = append(p50s, us(p50)), append(p99s, us(p99))
		fmt.Fprintf(b.out, "| %d | %.0f | %.0f | %.0f | %.0f |\n", run+1, us(p50), us(p99), us(lats[len(lats)-1]), us(sum/time.Duration(len(lats))))
	}
	fmt.Fprintf(b.out, "\nmedian of runs: p50 %.0f µs, p99 %.0f µs\n", median(p50s), median(p99s))
	return nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
