package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

// A target is one server the HTTP benchmark drives. The first is the
// reference the others' ratios are taken against. Gateway mode (Pome in
// front of an upstream) compares with the upstream alone: add both here.
type target struct {
	name  string
	start func(ctx context.Context, b *bench) (*server, error)
	// pome: read Pome's /metrics around each round (flushes, store reads).
	pome bool
	// path is put before /v1/me in the target's requests.
	path string
}

// gatewayPrefix is the path prefix `pome serve --upstream` forwards to the
// bare server in the gateway target: /v1/me itself is Pome's own route.
const gatewayPrefix = "/gw/"

func httpTargets() []target {
	return []target{
		{name: "bare net/http", start: func(ctx context.Context, b *bench) (*server, error) {
			return b.startBare(ctx)
		}},
		{name: "pome (SQLite)", start: func(ctx context.Context, b *bench) (*server, error) {
			return b.startPome(ctx, "pome", nil)
		}, pome: true},
		// Gateway mode (docs/protect.md) in front of the bare server above,
		// both pinned to the server CPU: its ratio to bare is what a proxy
		// hop with authentication costs (docs/performance.md).
		{name: "pome gateway → bare", start: func(ctx context.Context, b *bench) (*server, error) {
			if b.bareAddr == "" {
				return nil, errors.New("the gateway target needs the bare server started first")
			}
			return b.startPome(ctx, "pome-gateway", []string{"--upstream", gatewayPrefix + "=http://" + b.bareAddr})
		}, pome: true, path: strings.TrimSuffix(gatewayPrefix, "/")},
	}
}

func (b *bench) startBare(ctx context.Context) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := exec.LookPath("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	self, err = filepath.EvalSymlinks(self)
	if err != nil {
		return nil, err
	}
	b.bareAddr = addr
	return start(ctx, "bare", addr, pinned(b.cfg.serverCPU, self, "bare-server", addr), filepath.Join(b.dir, "bare.stderr"))
}

// build compiles cmd/pome once.
func (b *bench) build(ctx context.Context) error {
	if b.pomeBin != "" {
		return nil
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	bin := filepath.Join(b.dir, "pome")
	b.logf("building cmd/pome")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/pome")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/pome: %v: %s", err, out)
	}
	b.pomeBin = bin
	return nil
}

// seedHTTP makes the HTTP benchmark's store once: -keys keys in SQLite, and
// their plaintexts in a file for the load generator.
func (b *bench) seedHTTP(ctx context.Context) error {
	if b.dataDir != "" {
		return nil
	}
	dir := filepath.Join(b.dir, "data")
	b.logf("seeding %d keys into SQLite", b.cfg.keys)
	keys, err := seedSQLite(ctx, filepath.Join(dir, "pome.db"), b.cfg.keys, func(int) bool { return true })
	if err != nil {
		return err
	}
	b.keyFile = filepath.Join(b.dir, "keys.txt")
	if err := writeKeys(b.keyFile, keys); err != nil {
		return err
	}
	b.dataDir = dir
	return nil
}

// startPome runs `pome serve` on the seeded store, as an operator would,
// with extra flags.
func (b *bench) startPome(ctx context.Context, name string, extra []string) (*server, error) {
	if err := b.build(ctx); err != nil {
		return nil, err
	}
	if err := b.seedHTTP(ctx); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// Each server has a copy of the seeded store: a data directory is one
	// node's (pome serve locks it), and the servers run side by side.
	dataDir := filepath.Join(b.dir, name+"-data")
	if err := os.CopyFS(dataDir, os.DirFS(b.dataDir)); err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--addr", addr, "--data-dir", dataDir, "--signup", "closed"}, extra...)
	cmd := pinned(b.cfg.serverCPU, b.pomeBin, args...)
	stderr := "/dev/null" // the access log: one line a request; its write is paid, its reader is not
	if b.cfg.gctrace {
		cmd.Env = append(cmd.Env, "GODEBUG=gctrace=1")
		stderr = filepath.Join(b.dir, name+".stderr")
	}
	return start(ctx, name, addr, cmd, stderr)
}

// httpPhase drives every target alternately, round after round.
func (b *bench) httpPhase(ctx context.Context) error {
	targets := httpTargets()
	servers := make([]*server, len(targets))
	defer func() {
		for _, s := range servers {
			if s != nil {
				s.stop()
			}
		}
	}()
	for i, t := range targets {
		s, err := t.start(ctx, b)
		if err != nil {
			return err
		}
		servers[i] = s
	}
	if err := b.seedHTTP(ctx); err != nil {
		return err
	}
	// Warm up: Pome reads every key once into its cache. A slow server
	// takes more than one warm-up to get through them.
	cachedAfterWarmup := make([]float64, len(targets))
	for i, t := range targets {
		for start := 0; ; {
			b.logf("warm-up of %s (%s)", t.name, b.cfg.warmup)
			r, err := b.load(ctx, servers[i].url+t.path, b.keyFile, start, b.cfg.warmup)
			if err != nil {
				return err
			}
			// A tenth more than an even share: the lanes are not equally fast.
			if start += r.advance; !t.pome || start >= b.cfg.keys/b.lanes()*11/10 {
				break
			}
		}
		m, _ := servers[i].metrics()
		cachedAfterWarmup[i] = m["pome_verify_cache_entries"]
	}
	roundKeys, cycled := b.keyFile, b.cfg.keys
	if n := b.cfg.hotKeys; n > 0 && n < b.cfg.keys {
		all, err := readLines(b.keyFile)
		if err != nil {
			return err
		}
		roundKeys, cycled = filepath.Join(b.dir, "hot-keys.txt"), n
		if err := writeKeys(roundKeys, all[:n]); err != nil {
			return err
		}
	}
	// Settle: the rounds' keys alone for a while, so that the rounds
	// measure their steady state rather than the warm-up's after-effects
	// (on SQLite, a minute of folding every key the warm-up counted).
	starts := make([]int, len(targets)) // each round goes on where the last stopped
	for i, t := range targets {
		if b.cfg.settle <= 0 || !t.pome {
			continue
		}
		b.logf("settling %s on the rounds' keys (%s)", t.name, b.cfg.settle)
		r, err := b.load(ctx, servers[i].url+t.path, roundKeys, 0, b.cfg.settle)
		if err != nil {
			return err
		}
		starts[i] = r.advance
	}
	type stats struct {
		rps, p50, p99           []float64
		flushes, flushSec, keys float64
		reads, gcs, seconds     float64
		cpu                     float64
		non2xx                  int64
	}
	st := make([]stats, len(targets))
	for round := range b.cfg.rounds {
		for i, t := range targets {
			s := servers[i]
			before, _ := s.metrics()
			cpu0 := s.cpuSeconds()
			t0 := time.Now()
			r, err := b.load(ctx, s.url+t.path, roundKeys, starts[i], b.cfg.duration)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			starts[i] += r.advance
			secs := time.Since(t0).Seconds()
			after, _ := s.metrics()
			x := &st[i]
			x.rps = append(x.rps, r.rps)
			x.p50 = append(x.p50, float64(r.p50.Microseconds()))
			x.p99 = append(x.p99, float64(r.p99.Microseconds()))
			x.non2xx += r.non2xx
			x.cpu += s.cpuSeconds() - cpu0
			x.seconds += secs
			if t.pome {
				d := func(name string) float64 { return after[name] - before[name] }
				x.flushes += d("pome_usage_flushes_total")
				x.flushSec += d("pome_usage_flush_seconds_total")
				x.keys += d("pome_usage_flushed_keys_total")
				x.reads += d("pome_verify_store_reads_total")
				x.gcs += d("go_gc_duration_seconds_count")
			}
			b.logf("round %d %-16s %8.0f req/s  p50 %6.0f µs  p99 %6.0f µs  non-2xx %d", round+1, t.name, r.rps,
				float64(r.p50.Microseconds()), float64(r.p99.Microseconds()), r.non2xx)
		}
	}

	fmt.Fprintf(b.out, "\n## GET /v1/me: %d keys in the store, every one sent at least once in the warm-up; %d rounds of %s cycling %d keys, %d connections, load generator %s\n\n",
		b.cfg.keys, b.cfg.rounds, b.cfg.duration, cycled, b.cfg.connections, b.loadgenName())
	fmt.Fprintf(b.out, "| target | req/s (median) | ratio to %s | p50 µs | p99 µs | peak RSS MiB | server CPU µs/req | non-2xx |\n|---|---|---|---|---|---|---|---|\n", targets[0].name)
	ref := median(st[0].rps)
	for i, t := range targets {
		rss, _ := servers[i].peakRSS()
		x := st[i]
		total := 0.0
		for _, r := range x.rps {
			total += r
		}
		reqs := total * b.cfg.duration.Seconds()
		fmt.Fprintf(b.out, "| %s | %.0f | %.3f | %.0f | %.0f | %.1f | %.1f | %d |\n", t.name, median(x.rps), median(x.rps)/ref,
			median(x.p50), median(x.p99), float64(rss)/(1<<20), x.cpu/reqs*1e6, x.non2xx)
	}
	fmt.Fprintf(b.out, "\nper round, req/s:")
	for i, t := range targets {
		fmt.Fprintf(b.out, " %s %v;", t.name, rounded(st[i].rps))
	}
	fmt.Fprintln(b.out)
	for i := 1; i < len(targets); i++ {
		ratios := make([]float64, b.cfg.rounds)
		for r := range ratios {
			ratios[r] = st[i].rps[r] / st[0].rps[r]
		}
		fmt.Fprintf(b.out, "ratio %s / %s per round (same round): %v (median %.3f)\n", targets[i].name, targets[0].name, roundedRatio(ratios), median(ratios))
	}
	for i, t := range targets {
		if !t.pome {
			continue
		}
		x := st[i]
		m, _ := servers[i].metrics()
		fmt.Fprintf(b.out, "\n%s during the rounds (%.0f s): %.2f usage transactions/s, %.1f ms per flush (%.0f keys per flush; wall time, shared with requests), flushing %.1f%% of the time; %.0f store reads; %.2f GC cycles/s; %.0f keys cached after the warm-up, %.0f at the end\n",
			t.name, x.seconds, x.flushes/x.seconds, 1000*x.flushSec/max(x.flushes, 1), x.keys/max(x.flushes, 1),
			100*x.flushSec/x.seconds, x.reads, x.gcs/x.seconds, cachedAfterWarmup[i], m["pome_verify_cache_entries"])
	}
	return nil
}

func (b *bench) loadgenName() string {
	if b.generator() == "wrk" {
		return "wrk -t" + strconv.Itoa(b.cfg.threads) + " (pinned to CPU " + b.cfg.loadCPU + ")"
	}
	return "go (in process)"
}

func rounded(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x + 0.5)
	}
	return out
}

func roundedRatio(xs []float64) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%.3f", x)
	}
	return out
}

// floodPhase floods Pome with forged well-formed keys (none in the store),
// the per-IP failure limit off, so that the negative cache alone stands
// between the flood and the store.
func (b *bench) floodPhase(ctx context.Context) error {
	forged := make([]string, b.cfg.forged)
	for i := range forged {
		k, err := pome.DefaultKeyFormat.Generate()
		if err != nil {
			return err
		}
		forged[i] = k
	}
	file := filepath.Join(b.dir, "forged.txt")
	if err := writeKeys(file, forged); err != nil {
		return err
	}
	s, err := b.startPome(ctx, "pome-flood", []string{"--auth-failure-rate-limit", "0"})
	if err != nil {
		return err
	}
	defer s.stop()
	fmt.Fprintf(b.out, "\n## Forged-key flood: %d distinct well-formed unknown keys cycled, per-IP failure limit off, negative cache defaults (%s, %d keys)\n\n",
		b.cfg.forged, defaultNegTTL(), defaultNegSize())
	fmt.Fprintf(b.out, "| round | req/s | p50 µs | p99 µs | store reads | store reads per forged key |\n|---|---|---|---|---|---|\n")
	var rps []float64
	start := time.Now()
	m0, _ := s.metrics()
	for round := range b.cfg.rounds {
		before, _ := s.metrics()
		r, err := b.load(ctx, s.url, file, 0, b.cfg.duration)
		if err != nil {
			return err
		}
		after, _ := s.metrics()
		reads := after["pome_verify_store_reads_total"] - before["pome_verify_store_reads_total"]
		rps = append(rps, r.rps)
		fmt.Fprintf(b.out, "| %d | %.0f | %d | %d | %.0f | %.2f |\n", round+1, r.rps, r.p50.Microseconds(), r.p99.Microseconds(),
			reads, reads/float64(b.cfg.forged))
	}
	m1, _ := s.metrics()
	total := m1["pome_verify_store_reads_total"] - m0["pome_verify_store_reads_total"]
	fmt.Fprintf(b.out, "\nmedian %.0f req/s; %.0f store reads in %.0f s for %d forged keys (%.2f per key; one per key per negative TTL is the design)\n",
		median(rps), total, time.Since(start).Seconds(), b.cfg.forged, total/float64(b.cfg.forged))
	return nil
}
