package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

// A target is one server the HTTP benchmark drives. The first is the
// reference the others' ratios are taken against. Gateway mode (Pome in
// front of an upstream) compares with the upstream alone: add both here.
type target struct {
	name string
	// id names the target in -targets.
	id    string
	start func(ctx context.Context, b *bench) (*server, error)
	// store is the seeded store the target serves and whose keys it is
	// sent: plainStore or policyStore.
	store string
	// cached: the target verifies keys with a cache, which the warm-up
	// fills with every key and -settle settles on the rounds' keys.
	cached bool
	// pome: read Pome's /metrics around each round (flushes, store reads).
	pome bool
	// path is put before /v1/me in the target's requests.
	path string
}

// gatewayPrefix is the path prefix `pome serve --upstream` forwards to the
// bare server in the gateway target: /v1/me itself is Pome's own route.
const gatewayPrefix = "/gw/"

// The seeded stores: keys with no policy, and keys with every policy
// (everyPolicy).
const (
	plainStore  = "plain"
	policyStore = "policies"
)

func httpTargets() []target {
	gw := strings.TrimSuffix(gatewayPrefix, "/")
	return []target{
		{name: "bare net/http", id: "bare", start: func(ctx context.Context, b *bench) (*server, error) {
			return b.startBare(ctx)
		}},
		{name: "pome (SQLite)", id: "pome", start: func(ctx context.Context, b *bench) (*server, error) {
			return b.startPome(ctx, "pome", plainStore, nil)
		}, store: plainStore, cached: true, pome: true},
		// Every key with every policy (everyPolicy): the address rule,
		// scopes, metadata, a limit of its own and credits, all checked.
		{name: "pome, every policy", id: "policies", start: func(ctx context.Context, b *bench) (*server, error) {
			return b.startPome(ctx, "pome-policies", policyStore, nil)
		}, store: policyStore, cached: true, pome: true},
		// Gateway mode (docs/protect.md) in front of the bare server above,
		// both pinned to the server CPU: its ratio to bare is what a proxy
		// hop with authentication costs; to the plain proxy below, what
		// Pome's authentication and policies add to the hop.
		{name: "pome gateway → bare", id: "gateway", start: func(ctx context.Context, b *bench) (*server, error) {
			if b.bareAddr == "" {
				return nil, errors.New("the gateway target needs the bare server started first")
			}
			return b.startPome(ctx, "pome-gateway", plainStore, []string{"--upstream", gatewayPrefix + "=http://" + b.bareAddr})
		}, store: plainStore, cached: true, pome: true, path: gw},
		{name: "ReverseProxy → bare", id: "proxy", start: func(ctx context.Context, b *bench) (*server, error) {
			if b.bareAddr == "" {
				return nil, errors.New("the proxy target needs the bare server started first")
			}
			return b.startSelf(ctx, "proxy", "proxy-server", "http://"+b.bareAddr)
		}, path: gw},
		// The bare handler behind pomeauth/inprocess, on its own copy of the
		// store: a Go service verifying keys in its own process.
		{name: "pomeauth + bare handler", id: "pomeauth", start: func(ctx context.Context, b *bench) (*server, error) {
			dir, err := b.storeCopy(ctx, "pomeauth", plainStore)
			if err != nil {
				return nil, err
			}
			return b.startSelf(ctx, "pomeauth", "pomeauth-server", dir)
		}, store: plainStore, cached: true},
	}
}

// selectTargets keeps the targets -targets names, in httpTargets' order;
// the bare server always comes first.
func selectTargets(ids []string) ([]target, error) {
	all := httpTargets()
	out := []target{all[0]}
	for _, id := range ids {
		i := slices.IndexFunc(all, func(t target) bool { return t.id == id })
		if i < 0 {
			return nil, fmt.Errorf("unknown target %q", id)
		}
	}
	for _, t := range all[1:] {
		if slices.Contains(ids, t.id) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (b *bench) startBare(ctx context.Context) (*server, error) {
	s, err := b.startSelf(ctx, "bare", "bare-server")
	if err == nil {
		b.bareAddr = strings.TrimPrefix(s.url, "http://")
	}
	return s, err
}

// startSelf runs one of pome-bench's own servers (main.go), pinned as the
// others are, on a free address given before args.
func (b *bench) startSelf(ctx context.Context, name, server string, args ...string) (*server, error) {
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
	args = append([]string{server, addr}, args...)
	return start(ctx, name, addr, pinned(b.cfg.serverCPU, self, args...), filepath.Join(b.dir, name+".stderr"))
}

// build compiles cmd/pome once, unless -pome-bin names a binary.
func (b *bench) build(ctx context.Context) error {
	if b.pomeBin != "" {
		return nil
	}
	if b.cfg.pomeBin != "" {
		b.pomeBin = b.cfg.pomeBin
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

// seeded is a store the HTTP benchmark seeded once: its data directory and
// its keys' plaintexts, one a line.
type seeded struct {
	dataDir, keyFile string
}

// seedHTTP makes one of the HTTP benchmark's stores once: -keys keys in
// SQLite, with every policy for policyStore.
func (b *bench) seedHTTP(ctx context.Context, name string) (*seeded, error) {
	if s, ok := b.stores[name]; ok {
		return s, nil
	}
	var policy func(*pome.Key)
	if name == policyStore {
		policy = everyPolicy
	}
	dir := filepath.Join(b.dir, name+"-seed")
	b.logf("seeding %d keys into SQLite (%s)", b.cfg.keys, name)
	keys, err := seedSQLite(ctx, filepath.Join(dir, "pome.db"), b.cfg.keys, func(int) bool { return true }, policy)
	if err != nil {
		return nil, err
	}
	s := &seeded{dataDir: dir, keyFile: filepath.Join(b.dir, name+"-keys.txt")}
	if err := writeKeys(s.keyFile, keys); err != nil {
		return nil, err
	}
	b.stores[name] = s
	return s, nil
}

// storeCopy copies the seeded store for one server: a data directory is
// one node's (pome serve locks it), and the servers run side by side.
func (b *bench) storeCopy(ctx context.Context, server, store string) (string, error) {
	s, err := b.seedHTTP(ctx, store)
	if err != nil {
		return "", err
	}
	dataDir := filepath.Join(b.dir, server+"-data")
	return dataDir, os.CopyFS(dataDir, os.DirFS(s.dataDir))
}

// startPome runs `pome serve` on a copy of a seeded store, as an operator
// would, with extra flags.
func (b *bench) startPome(ctx context.Context, name, store string, extra []string) (*server, error) {
	if err := b.build(ctx); err != nil {
		return nil, err
	}
	dataDir, err := b.storeCopy(ctx, name, store)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
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
	targets, err := selectTargets(b.cfg.targets)
	if err != nil {
		return err
	}
	servers := make([]*server, len(targets))
	defer func() {
		for _, s := range servers {
			if s != nil {
				s.stop()
			}
		}
	}()
	// Each target's keys (the plain store's for those without a store: the
	// bare server and the proxy ignore them), all for the warm-up and
	// -hot-keys of them for the rounds.
	allKeys := make([]string, len(targets))
	roundKeys := make([]string, len(targets))
	cycled := b.cfg.keys
	for i, t := range targets {
		s, err := t.start(ctx, b)
		if err != nil {
			return err
		}
		servers[i] = s
		store := cmp.Or(t.store, plainStore)
		seeded, err := b.seedHTTP(ctx, store)
		if err != nil {
			return err
		}
		allKeys[i], roundKeys[i] = seeded.keyFile, seeded.keyFile
		if n := b.cfg.hotKeys; n > 0 && n < b.cfg.keys {
			cycled = n
			roundKeys[i] = filepath.Join(b.dir, store+"-hot-keys.txt")
			all, err := readLines(seeded.keyFile)
			if err != nil {
				return err
			}
			if err := writeKeys(roundKeys[i], all[:n]); err != nil {
				return err
			}
		}
	}
	// Warm up: a cached target reads every key once into its cache. A slow
	// server takes more than one warm-up to get through them.
	cachedAfterWarmup := make([]float64, len(targets))
	for i, t := range targets {
		for start := 0; ; {
			b.logf("warm-up of %s (%s)", t.name, b.cfg.warmup)
			r, err := b.load(ctx, servers[i].url+t.path, allKeys[i], start, b.cfg.warmup)
			if err != nil {
				return err
			}
			// A tenth more than an even share: the lanes are not equally fast.
			if start += r.advance; !t.cached || start >= b.cfg.keys/b.lanes()*11/10 {
				break
			}
		}
		if t.pome {
			m, _ := servers[i].metrics()
			cachedAfterWarmup[i] = m["pome_verify_cache_entries"]
		}
	}
	// Settle: the rounds' keys alone for a while, so that the rounds
	// measure their steady state rather than the warm-up's after-effects
	// (on SQLite, a minute of folding every key the warm-up counted).
	starts := make([]int, len(targets)) // each round goes on where the last stopped
	for i, t := range targets {
		if b.cfg.settle <= 0 || !t.cached {
			continue
		}
		b.logf("settling %s on the rounds' keys (%s)", t.name, b.cfg.settle)
		r, err := b.load(ctx, servers[i].url+t.path, roundKeys[i], 0, b.cfg.settle)
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
			r, err := b.load(ctx, s.url+t.path, roundKeys[i], starts[i], b.cfg.duration)
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
	// Ratios are medians of the same round's ratios: rounds drift more
	// than targets differ within one (docs/performance.md, "Noise").
	perRound := func(i, j int, of func(*stats) []float64) []float64 {
		out := make([]float64, b.cfg.rounds)
		for r := range out {
			out[r] = of(&st[i])[r] / of(&st[j])[r]
		}
		return out
	}
	rps := func(x *stats) []float64 { return x.rps }
	p99 := func(x *stats) []float64 { return x.p99 }
	fmt.Fprintf(b.out, "| target | req/s (median) | ratio to %s | p50 µs | p99 µs | p99 ratio | peak RSS MiB | server CPU µs/req | non-2xx |\n|---|---|---|---|---|---|---|---|---|\n", targets[0].name)
	for i, t := range targets {
		rss, _ := servers[i].peakRSS()
		x := st[i]
		total := 0.0
		for _, r := range x.rps {
			total += r
		}
		reqs := total * b.cfg.duration.Seconds()
		fmt.Fprintf(b.out, "| %s | %.0f | %.3f | %.0f | %.0f | %.2f | %.1f | %.1f | %d |\n", t.name, median(x.rps), median(perRound(i, 0, rps)),
			median(x.p50), median(x.p99), median(perRound(i, 0, p99)), float64(rss)/(1<<20), x.cpu/reqs*1e6, x.non2xx)
	}
	fmt.Fprintf(b.out, "\nper round, req/s:")
	for i, t := range targets {
		fmt.Fprintf(b.out, " %s %v;", t.name, rounded(st[i].rps))
	}
	fmt.Fprintln(b.out)
	for i := 1; i < len(targets); i++ {
		ratios := perRound(i, 0, rps)
		fmt.Fprintf(b.out, "ratio %s / %s per round (same round): %v (median %.3f); p99 %v\n", targets[i].name, targets[0].name,
			roundedRatio(ratios), median(ratios), roundedRatio(perRound(i, 0, p99)))
	}
	// The gateway's own anchor: the same hop without Pome.
	gw := slices.IndexFunc(targets, func(t target) bool { return t.id == "gateway" })
	proxy := slices.IndexFunc(targets, func(t target) bool { return t.id == "proxy" })
	if gw > 0 && proxy > 0 {
		ratios := perRound(gw, proxy, rps)
		fmt.Fprintf(b.out, "ratio %s / %s per round (same round): %v (median %.3f)\n", targets[gw].name, targets[proxy].name, roundedRatio(ratios), median(ratios))
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
	s, err := b.startPome(ctx, "pome-flood", plainStore, []string{"--auth-failure-rate-limit", "0"})
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
