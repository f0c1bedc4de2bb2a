package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// result is one run of the load generator against one target.
type result struct {
	rps      float64
	p50, p99 time.Duration
	non2xx   int64
	// advance is how far each lane (a wrk thread, a Go connection) went
	// through the keys: the next run's start, to go on where this one
	// stopped.
	advance int
}

// load drives baseURL+"/v1/me" (baseURL may have a path: a gateway's
// prefix) for d, sending the keys of keyFile in turn in the X-API-KEY
// header. The keys are split among the lanes: lane k of n starts at key
// start + k*len/n, so that runs whose starts add up the advances cycle
// through every key.
func (b *bench) load(ctx context.Context, baseURL, keyFile string, start int, d time.Duration) (result, error) {
	gen := b.generator()
	switch gen {
	case "wrk":
		return b.wrk(ctx, baseURL, keyFile, start, d)
	case "go":
		return b.goLoad(ctx, baseURL, keyFile, start, d)
	}
	return result{}, fmt.Errorf("unknown -loadgen %q", gen)
}

// generator is the load generator -loadgen names: wrk or go.
func (b *bench) generator() string {
	if b.cfg.loadgen != "auto" {
		return b.cfg.loadgen
	}
	if _, err := exec.LookPath("wrk"); err == nil {
		return "wrk"
	}
	return "go"
}

// lanes is how many independent streams of keys the generator sends: wrk's
// threads, or the Go generator's connections.
func (b *bench) lanes() int {
	if b.generator() == "wrk" {
		return b.cfg.threads
	}
	return b.cfg.connections
}

// wrkScript pre-formats one request per key at start, so that the per-request
// work of the script is a table lookup.
const wrkScript = `
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local reqs = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do
    reqs[#reqs + 1] = wrk.format("GET", wrk.path, {["X-API-KEY"] = line})
  end
  i = (tonumber(args[2]) + math.floor(#reqs * id / tonumber(args[3]))) % #reqs
end
function request()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %f %d %d %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.errors.status, summary.requests))
end
`

func (b *bench) wrk(ctx context.Context, baseURL, keyFile string, start int, d time.Duration) (result, error) {
	script := filepath.Join(b.dir, "keys.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return result{}, err
	}
	cmd := pinned(b.cfg.loadCPU, "wrk", "-t", strconv.Itoa(b.cfg.threads), "-c", strconv.Itoa(b.cfg.connections),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "-s", script, baseURL+"/v1/me", "--", keyFile,
		strconv.Itoa(start), strconv.Itoa(b.cfg.threads))
	cmd.Env = os.Environ() // the generator is not a Go program: no GOMAXPROCS
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f, ok := strings.CutPrefix(l, "RESULT "); ok {
			var r result
			var p50, p99, reqs int64
			if _, err := fmt.Sscan(f, &r.rps, &p50, &p99, &r.non2xx, &reqs); err != nil {
				return result{}, fmt.Errorf("wrk output %q: %w", l, err)
			}
			r.p50, r.p99 = time.Duration(p50)*time.Microsecond, time.Duration(p99)*time.Microsecond
			r.advance = int(reqs) / b.cfg.threads
			return r, nil
		}
	}
	return result{}, fmt.Errorf("wrk printed no result: %s", out)
}

// goLoad is the load generator used without wrk: one goroutine per
// connection, keep-alive HTTP/1.1 written and read by hand. It runs in this
// process, which is not pinned: pin it with taskset -c LOADCPU go run ...
func (b *bench) goLoad(ctx context.Context, baseURL, keyFile string, start int, d time.Duration) (result, error) {
	keys, err := readLines(keyFile)
	if err != nil {
		return result{}, err
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return result{}, err
	}
	reqs := make([][]byte, len(keys))
	for i, k := range keys {
		reqs[i] = []byte("GET " + u.Path + "/v1/me HTTP/1.1\r\nHost: " + u.Host + "\r\nX-API-KEY: " + k + "\r\n\r\n")
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu     sync.Mutex
		lats   []time.Duration
		non2xx int64
		wg     sync.WaitGroup
		errs   []error
	)
	began := time.Now()
	for c := range b.cfg.connections {
		wg.Go(func() {
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			defer conn.Close()
			go func() { <-ctx.Done(); conn.SetDeadline(time.Now()) }()
			br := bufio.NewReader(conn)
			var mine []time.Duration
			var bad int64
			i := (start + len(reqs)*c/b.cfg.connections) % len(reqs)
			for ctx.Err() == nil {
				t := time.Now()
				if _, err := conn.Write(reqs[i]); err != nil {
					break
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					break
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t))
				if resp.StatusCode/100 != 2 {
					bad++
				}
				if i++; i == len(reqs) {
					i = 0
				}
			}
			mu.Lock()
			lats = append(lats, mine...)
			non2xx += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if len(lats) == 0 {
		return result{}, fmt.Errorf("no request completed: %v", errors.Join(errs...))
	}
	slices.Sort(lats)
	return result{
		rps:     float64(len(lats)) / elapsed.Seconds(),
		p50:     lats[len(lats)/2],
		p99:     lats[len(lats)*99/100],
		non2xx:  non2xx,
		advance: len(lats) / b.cfg.connections,
	}, nil
}

func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(data)), nil
}
