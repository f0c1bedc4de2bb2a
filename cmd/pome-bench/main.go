// Command pome-bench measures Pome on this machine in one run (docs/performance.md):
//
//   - http: a bare net/http server answering the /v1/me JSON without
//     authentication, and `pome serve` on SQLite holding -keys keys, driven
//     alternately (A B A B ...) by the same load generator with every key in
//     turn: requests/s, p50, p99, peak RSS, the ratio Pome/bare, and from
//     Pome's /metrics the usage flushes per second and their cost.
//   - flood: `pome serve` with the per-IP failure limit off, flooded with
//     forged well-formed keys: requests/s and store reads per forged key.
//   - miss-sqlite, miss-postgres: cache-miss verification latency (p50, p99)
//     with -miss-keys keys in the store, in process.
//
// Servers run pinned as docs/performance.md says: GOMAXPROCS=1 on -server-cpu, the
// load generator on -load-cpu. wrk is used when installed, else a Go load
// generator built in. To compare another server (gateway mode, say), add a
// target to httpTargets.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

type config struct {
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	settle      time.Duration
	connections int
	threads     int
	keys        int
	hotKeys     int
	forged      int
	missKeys    int
	missSamples int
	databaseURL string
	phases      []string
	serverCPU   string
	loadCPU     string
	loadgen     string
	keep        bool
	gctrace     bool
	pomeBin     string
	targets     []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The servers the HTTP phase starts (servers.go), each in a process of
	// its own: pome-bench runs itself.
	servers := map[string]func(context.Context, []string) error{
		"bare-server": bareServer, "proxy-server": proxyServer, "pomeauth-server": pomeauthServer,
	}
	if len(os.Args) > 1 {
		if serve, ok := servers[os.Args[1]]; ok {
			if err := serve(ctx, os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, os.Args[1]+":", err)
				os.Exit(1)
			}
			return
		}
	}
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pome-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("pome-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.rounds, "rounds", 3, "interleaved rounds per target (medians are reported)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of one round of load")
	fs.DurationVar(&c.warmup, "warmup", 5*time.Second, "load before the rounds (fills Pome's cache)")
	fs.IntVar(&c.connections, "connections", 64, "concurrent connections of the load generator")
	fs.IntVar(&c.threads, "threads", 2, "threads of wrk")
	fs.IntVar(&c.keys, "keys", 100_000, "keys in Pome's store for the HTTP benchmark (the load cycles through all)")
	fs.IntVar(&c.hotKeys, "hot-keys", 0, "after the warm-up over all keys, cycle only the first N in the rounds (0: all); fewer distinct keys make smaller usage flushes")
	fs.DurationVar(&c.settle, "settle", 0, "load with the rounds' keys before the rounds; with -hot-keys, a minute or more lets SQLite's usage sweep fold the warm-up's counts first")
	fs.IntVar(&c.forged, "forged", 10_000, "distinct forged keys of the flood")
	fs.IntVar(&c.missKeys, "miss-keys", 1_000_000, "keys in the store for the cache-miss latency")
	fs.IntVar(&c.missSamples, "miss-samples", 10_000, "cache misses timed per run (3 runs, distinct keys)")
	dbDefault := os.Getenv("POME_TEST_DATABASE_URL")
	if dbDefault == "" {
		dbDefault = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	fs.StringVar(&c.databaseURL, "database-url", dbDefault, "PostgreSQL for miss-postgres (a schema is created and dropped)")
	phases := fs.String("phases", "http,flood,miss-sqlite,miss-postgres", "phases to run, comma-separated")
	fs.StringVar(&c.serverCPU, "server-cpu", "0", "CPU list the servers are pinned to (taskset -c); empty: no pinning")
	fs.StringVar(&c.loadCPU, "load-cpu", "1", "CPU list the load generator is pinned to; empty: no pinning")
	fs.StringVar(&c.loadgen, "loadgen", "auto", "load generator: auto (wrk if installed), wrk or go")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (databases, logs)")
	fs.BoolVar(&c.gctrace, "gctrace", false, "run Pome with GODEBUG=gctrace=1, its stderr (access log too) kept in the temporary directory")
	fs.StringVar(&c.pomeBin, "pome-bin", "", "run this pome binary instead of building ./cmd/pome (to measure an earlier build with this harness)")
	targets := fs.String("targets", "pome,policies,gateway,proxy,pomeauth", "HTTP targets besides the bare server, comma-separated: pome, policies, gateway, proxy, pomeauth")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.phases = strings.Split(*phases, ",")
	c.targets = strings.Split(*targets, ",")
	if c.rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}

	dir, err := os.MkdirTemp("", "pome-bench-")
	if err != nil {
		return err
	}
	if c.keep || c.gctrace {
		fmt.Fprintf(stderr, "temporary directory: %s (kept)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	b := &bench{cfg: c, dir: dir, out: stdout, log: stderr, stores: make(map[string]*seeded)}
	fmt.Fprintf(stdout, "# pome-bench %s\n\n%s\n", time.Now().UTC().Format(time.RFC3339), machine())
	for _, p := range c.phases {
		var err error
		switch p {
		case "http":
			err = b.httpPhase(ctx)
		case "flood":
			err = b.floodPhase(ctx)
		case "miss-sqlite":
			err = b.missSQLite(ctx)
		case "miss-postgres":
			err = b.missPostgres(ctx)
		case "":
		default:
			err = fmt.Errorf("unknown phase %q", p)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// bench is one run's shared state.
type bench struct {
	cfg      config
	dir      string
	out      io.Writer
	log      io.Writer
	pomeBin  string             // built once
	stores   map[string]*seeded // the HTTP benchmark's SQLite stores, seeded once
	bareAddr string             // the bare server's, the gateway and proxy targets' upstream
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// machine describes where the run happens.
func machine() string {
	var model string
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	var uname syscall.Utsname
	syscall.Uname(&uname)
	kernel := utsString(uname.Release[:])
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("machine: %d CPUs (%s), Linux %s, %s; load average at start: %s",
		numCPU(), model, kernel, goVersion(), strings.Join(strings.Fields(string(load))[:3], " "))
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

// median of xs (not modified).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// moduleRoot is the directory of the go.mod of the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run pome-bench inside the Pome module (go run ./cmd/pome-bench)")
		}
		dir = parent
	}
}
