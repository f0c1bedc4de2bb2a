package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pomehq/pome/pomeauth/inprocess"
)

// meBody is what the bare server answers: a /v1/me body of the size Pome's
// is for the seeded keys.
const meBody = `{"user":{"id":"usr_0123456789abcdef","email":"user0@example.com"},"team":{"id":"tm_0123456789abcdef","slug":"team-0","plan_tier":"pro"},"api_key":{"id":"key_0123456789abcdef","name":"key 0","prefix":"pme_aB3kPqXy","role":"developer"}}` + "\n"

// bareServer is the physical limit: net/http answering the same JSON with no
// authentication, no middleware.
func bareServer(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: pome-bench bare-server ADDR")
	}
	body := []byte(meBody)
	ct := []string{"application/json"}
	mux := http.NewServeMux()
	me := func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = ct
		w.Write(body)
	}
	mux.HandleFunc("GET /v1/me", me)
	// The same answer under the prefix gateway mode forwards (http.go).
	mux.HandleFunc("GET "+gatewayPrefix+"v1/me", me)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	return serve(ctx, args[0], mux)
}

// serve serves h on addr until ctx ends (SIGTERM: server.stop).
func serve(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// proxyServer is the fair anchor of gateway mode: a plain
// httputil.ReverseProxy forwarding every request to upstream, with no
// authentication, its transport keeping as many idle connections to the
// upstream as Pome's gateway does (httpserver.newTransport), so that only
// Pome's own work tells them apart.
func proxyServer(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: pome-bench proxy-server ADDR UPSTREAM-URL")
	}
	up, err := url.Parse(args[1])
	if err != nil {
		return err
	}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(up) },
		Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 128, IdleConnTimeout: 90 * time.Second},
	}
	mux := http.NewServeMux()
	mux.Handle("/", proxy)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	return serve(ctx, args[0], mux)
}

// pomeauthServer is the bare server's /v1/me behind the pomeauth in-process
// middleware (pomeauth/inprocess) on the Pome SQLite store in DATA-DIR, as a
// Go service protecting its own API would run it: the same answer, after
// verifying the request's key with Pome's cache, limits and metering.
func pomeauthServer(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: pome-bench pomeauth-server ADDR DATA-DIR")
	}
	auth, err := inprocess.New(ctx, inprocess.Config{DataDir: args[1]})
	if err != nil {
		return err
	}
	defer auth.Close()
	body := []byte(meBody)
	ct := []string{"application/json"}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/me", auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = ct
		w.Write(body)
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	return serve(ctx, args[0], mux)
}

// server is a server process under test.
type server struct {
	name string
	url  string
	cmd  *exec.Cmd
	done chan error
}

// pinned returns the command running name args on the CPUs cpus (taskset),
// with GOMAXPROCS=1 when pinned to one CPU.
func pinned(cpus string, name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if cpus != "" && haveTaskset() {
		cmd = exec.Command("taskset", append([]string{"-c", cpus, name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Env = os.Environ()
	if cpus != "" && !strings.ContainsAny(cpus, ",-") {
		cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
	}
	return cmd
}

func haveTaskset() bool {
	_, err := exec.LookPath("taskset")
	return err == nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs cmd, whose server listens on addr, and waits until it answers
// GET /healthz.
func start(ctx context.Context, name, addr string, cmd *exec.Cmd, stderrPath string) (*server, error) {
	cmd.Stdout = nil
	if stderrPath != "" {
		f, err := os.Create(stderrPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		cmd.Stderr = f
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, url: "http://" + addr, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("%s exited before answering: %v (see %s)", name, err, stderrPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not answer /healthz within 60 s", name)
		}
	}
}

// pid is the server's own process id (taskset execs it in place).
func (s *server) pid() int { return s.cmd.Process.Pid }

// peakRSS is the server's peak resident set size (VmHWM), in bytes.
func (s *server) peakRSS() (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(s.pid()), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// cpuSeconds is the server's user+system CPU time so far.
func (s *server) cpuSeconds() float64 {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.pid()), "stat"))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// stop ends the server gracefully (SIGTERM: Pome flushes usage), then kills
// it if it takes more than 30 s.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// metrics scrapes the server's /metrics into name{labels} → value.
func (s *server) metrics() (map[string]float64, error) {
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err == nil {
			m[l[:i]] = v
		}
	}
	return m, sc.Err()
}

func numCPU() int { return runtime.NumCPU() }

func goVersion() string { return runtime.Version() }
