package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestServeDeployUsageErrors protects the deployment flags of serve: a
// value that cannot work is a usage error (exit 2) that names the flag,
// before anything is opened or bound.
func TestServeDeployUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"metrics addr without port", nil, []string{"--metrics-addr", "127.0.0.1"}, `--metrics-addr "127.0.0.1" must be HOST:PORT`},
		{"metrics addr from env", map[string]string{"POME_METRICS_ADDR": "nope"}, nil, `--metrics-addr "nope" must be HOST:PORT`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", append([]string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("serve %v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
			}
			if strings.Contains(r.stdout, "Pome listening") {
				t.Errorf("serve %v listened: %q", tt.args, r.stdout)
			}
		})
	}
}

// metricsLine is the line serve prints for --metrics-addr.
var metricsLine = regexp.MustCompile(`Pome metrics on (http://\S+/metrics)\n`)

// TestServeMetricsAddr protects --metrics-addr: /metrics is served on that
// listener, with the build, and no longer on the public one; without the
// flag the public listener serves it, as before.
func TestServeMetricsAddr(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	t.Run("on the public listener by default", func(t *testing.T) {
		t.Parallel()
		s := mustServe(t, t.TempDir())
		if code, body := get(t, s.URL+"/metrics"); code != http.StatusOK || !strings.Contains(body, "pome_build_info{") {
			t.Errorf("GET /metrics = %d, want 200 with pome_build_info:\n%s", code, body)
		}
		if metricsLine.MatchString(s.stdout.String()) {
			t.Errorf("serve without --metrics-addr printed a metrics address: %q", s.stdout)
		}
	})
	t.Run("on its own listener", func(t *testing.T) {
		t.Parallel()
		s := mustServe(t, t.TempDir(), "--metrics-addr", "127.0.0.1:0")
		m := metricsLine.FindStringSubmatch(s.stdout.String())
		if m == nil {
			t.Fatalf("serve --metrics-addr printed no metrics address: %q", s.stdout)
		}
		get(t, s.URL+"/healthz") // counted, to be seen below
		code, body := get(t, m[1])
		for _, want := range []string{"pome_build_info{", `pome_http_requests_total{route="GET /healthz",status="2xx"}`, "go_goroutines"} {
			if code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("GET %s = %d, want 200 with %s", m[1], code, want)
			}
		}
		if code, body := get(t, s.URL+"/metrics"); code != http.StatusNotFound || !strings.Contains(body, `"route_not_found"`) {
			t.Errorf("GET /metrics on the public listener = %d %s, want 404 route_not_found", code, body)
		}
		if code, _ := get(t, strings.TrimSuffix(m[1], "/metrics")+"/healthz"); code != http.StatusNotFound {
			t.Errorf("GET /healthz on the metrics listener = %d, want 404: it serves /metrics only", code)
		}
	})
}
