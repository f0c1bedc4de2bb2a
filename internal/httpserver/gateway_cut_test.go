package httpserver_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
)

// stall answers 200 with a Content-Length of 100, sends "start", then
// waits for the request to end.
func stall(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "100")
	io.WriteString(w, "start")
	http.NewResponseController(w).Flush()
	<-r.Context().Done()
}

// readStart reads a stall's "start" from resp, then returns a channel that
// gets the error ending the rest of the body.
func readStart(t *testing.T, resp *http.Response) <-chan error {
	t.Helper()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "start" {
		t.Fatalf("first bytes = %q, %v; want start", buf, err)
	}
	end := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		end <- err
	}()
	return end
}

// within waits up to d for end, and fails unless the body ended in error.
func within(t *testing.T, end <-chan error, d time.Duration, what string) {
	t.Helper()
	select {
	case err := <-end:
		if err == nil {
			t.Errorf("%s: the body ended as if whole", what)
		}
	case <-time.After(d):
		t.Fatalf("%s: the stream was still open after %v", what, d)
	}
}

// accessLine returns the access log line of path.
func accessLine(t *testing.T, log lines, path string) string {
	t.Helper()
	for {
		select {
		case line := <-log:
			if strings.Contains(line, `"path":"`+path+`"`) {
				return line
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no access log line for %s", path)
		}
	}
}

// metric returns the line of /metrics that starts with name.
func metric(t *testing.T, s *pometest.Server, name string) string {
	t.Helper()
	for line := range strings.SplitSeq(string(s.Do(t, nil, "GET", "/metrics", nil, "").Body), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	return ""
}

// An upstream that sends its headers and then stalls mid-body holds no
// client past the idle timeout: the response is cut (the client sees a
// broken body, never a whole one), logged and counted.
func TestGatewayCutsIdleUpstream(t *testing.T) {
	t.Parallel()
	log := make(lines, 64)
	s, key := gatewayTo(t, serveUpstream(t, stall), httpserver.Gateway{IdleTimeout: 200 * time.Millisecond}, pometest.WithAccessLog(log))
	end := readStart(t, get(t, s.HTTP.Client(), s, "/stall", key))
	within(t, end, 5*time.Second, "an idle upstream")
	if line := accessLine(t, log, "/stall"); !strings.Contains(line, `"status":200`) || !strings.Contains(line, `"aborted":"idle"`) {
		t.Errorf("access log line %s: want status 200, aborted idle", line)
	}
	if got := metric(t, s, `pome_gateway_aborted_total{reason="idle"}`); !strings.HasSuffix(got, " 1") {
		t.Errorf("metric %q, want 1", got)
	}
}

// A request cut on either side — the upstream broken off mid-body, the
// client gone mid-stream — still has its access log line and is counted.
func TestGatewayLogsAbortedStreams(t *testing.T) {
	t.Parallel()
	log := make(lines, 64)
	target := serveUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/break" {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "start")
			http.NewResponseController(w).Flush()
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		stall(w, r)
	})
	s, key := gatewayTo(t, target, httpserver.Gateway{}, pometest.WithAccessLog(log))

	within(t, readStart(t, get(t, s.HTTP.Client(), s, "/break", key)), 5*time.Second, "a broken upstream")
	if line := accessLine(t, log, "/break"); !strings.Contains(line, `"aborted":"upstream"`) {
		t.Errorf("access log line %s: want aborted upstream", line)
	}

	resp := get(t, s.HTTP.Client(), s, "/leave", key)
	readStart(t, resp)
	resp.Body.Close() // the client goes away
	if line := accessLine(t, log, "/leave"); !strings.Contains(line, `"aborted":"client"`) {
		t.Errorf("access log line %s: want aborted client", line)
	}
	for reason, want := range map[string]string{"upstream": " 1", "client": " 1", "idle": " 0"} {
		if got := metric(t, s, `pome_gateway_aborted_total{reason="`+reason+`"}`); !strings.HasSuffix(got, want) {
			t.Errorf("metric %q, want%s", got, want)
		}
	}
}

// dialWebsocket makes an authenticated websocket handshake to s's path and
// returns the tunnel.
func dialWebsocket(t *testing.T, s *pometest.Server, path, key string) (net.Conn, *bufio.Reader) {
	t.Helper()
	addr := strings.TrimPrefix(s.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-API-KEY: "+key+"\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("websocket handshake = %v, %v; want 101", resp, err)
	}
	return conn, br
}

// A websocket session has its access log line when it ends: status 101,
// the bytes the upstream sent through the tunnel, the whole duration.
func TestGatewayLogsWebsocket(t *testing.T) {
	t.Parallel()
	log := make(lines, 64)
	s := gatewayServer(t, newUpstream(t), pometest.WithAccessLog(log))
	key := s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")
	conn, br := dialWebsocket(t, s, "/ws", key)
	io.WriteString(conn, "hello")
	if buf := make([]byte, 5); func() error { _, err := io.ReadFull(br, buf); return err }() != nil || string(buf) != "hello" {
		t.Fatalf("echo = %q", buf)
	}
	conn.Close()
	if line := accessLine(t, log, "/ws"); !strings.Contains(line, `"status":101`) || !strings.Contains(line, `"bytes":5`) || strings.Contains(line, "aborted") {
		t.Errorf("access log line %s: want status 101, bytes 5, not aborted", line)
	}
}

// A stream and a websocket of a key end within a second of its revocation
// or of a change that refuses it (disabled, its CIDRs narrowed) through the
// API, and those of a team within the change log's poll of its ban by the
// operator: what the key may no longer do, it no longer does
// through an open connection either.
func TestGatewayClosesStreamsOfRefusedKeys(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	target := serveUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			up.srv.Config.Handler.ServeHTTP(w, r)
			return
		}
		stall(w, r)
	})
	log := make(lines, 64)
	s, _ := gatewayTo(t, target, httpserver.Gateway{}, pometest.WithFollower(), pometest.WithAccessLog(log))
	alice := s.Login(t, "alice@example.com")

	open := func(t *testing.T, key string) (<-chan error, *bufio.Reader) {
		end := readStart(t, get(t, s.HTTP.Client(), s, "/events", key))
		conn, br := dialWebsocket(t, s, "/ws", key)
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		return end, br
	}
	closedWithin := func(t *testing.T, end <-chan error, br *bufio.Reader, d time.Duration) {
		t.Helper()
		start := time.Now()
		within(t, end, d, "the stream")
		if _, err := br.ReadByte(); err == nil || time.Since(start) > d {
			t.Errorf("websocket read = %v after %v, want closed within %v", err, time.Since(start), d)
		}
	}

	t.Run("revoked", func(t *testing.T) {
		k := s.CreateKeyWith(t, alice, `{"name":"revoked"}`)
		end, br := open(t, k.Key)
		if r := s.Do(t, alice, "DELETE", "/api/keys/"+k.ID, nil, ""); r.Status != http.StatusOK {
			t.Fatalf("revoke = %d %s", r.Status, r.Body)
		}
		closedWithin(t, end, br, time.Second)
		if line := accessLine(t, log, "/events"); !strings.Contains(line, `"aborted":"revoked"`) {
			t.Errorf("access log line %s: want aborted revoked", line)
		}
	})
	t.Run("team banned", func(t *testing.T) {
		bob := s.Signup(t, "bob@example.com")
		key := s.CreateKey(t, bob, "ci")
		end, br := open(t, key)
		if _, err := s.Accounts.SetTeamStatus(t.Context(), "bob", pome.TeamBanned); err != nil {
			t.Fatal(err)
		}
		// The change log is read every second (node.FollowInterval).
		closedWithin(t, end, br, 2*time.Second)
	})
	// A change of the key's policies is checked again against what each
	// open request was let through for.
	for _, c := range []struct{ name, patch string }{
		{"disabled", `{"enabled":false}`},
		{"allowed_cidrs narrowed past the client", `{"allowed_cidrs":["10.0.0.0/8"]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := s.CreateKeyWith(t, alice, `{"name":"policy"}`)
			end, br := open(t, k.Key)
			if r := s.Do(t, alice, "PATCH", "/api/keys/"+k.ID, nil, c.patch); r.Status != http.StatusOK {
				t.Fatalf("PATCH %s = %d %s", c.patch, r.Status, r.Body)
			}
			closedWithin(t, end, br, time.Second)
		})
	}
}
