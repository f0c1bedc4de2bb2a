package httpserver_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/pometest"
)

// A request with both Content-Length and Transfer-Encoding, which a proxy
// and Pome could frame differently (request smuggling), is answered 400
// conflicting_framing and its connection closed (RFC 9112 §6.1): what a
// proxy took for its body is never served as a request. A chunked request
// alone keeps its connection.
func TestConflictingFraming(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	addr := s.HTTP.Listener.Addr().String()
	const smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	post := func(proto string, headers ...string) string {
		return "POST /api/keys " + proto + "\r\nHost: x\r\nContent-Type: application/json\r\n" +
			strings.Join(headers, "\r\n") + "\r\n\r\n"
	}
	for _, c := range []struct {
		name, raw string
	}{
		{"Content-Length first", post("HTTP/1.1", "Content-Length: 5", "Transfer-Encoding: chunked") + "0\r\n\r\n" + smuggled},
		{"Transfer-Encoding first", post("HTTP/1.1", "Transfer-Encoding: chunked", "Content-Length: 40") + "2\r\n{}\r\n0\r\n\r\n" + smuggled},
		{"any letter case", post("HTTP/1.1", "content-LENGTH: 5", "TRANSFER-encoding: chunked") + "0\r\n\r\n" + smuggled},
		{"HTTP/1.0 keep-alive", post("HTTP/1.0", "Connection: keep-alive", "Transfer-Encoding: chunked", "Content-Length: 2") + "{}" + smuggled},
	} {
		t.Run(c.name, func(t *testing.T) {
			resps := exchange(t, addr, c.raw)
			if len(resps) != 1 {
				t.Fatalf("answered %d requests, want 1 (the second was in the first's body)", len(resps))
			}
			r := resps[0]
			if r.Status != http.StatusBadRequest || !r.closed {
				t.Fatalf("status = %d, connection closed %v; want 400 and closed; body %s", r.Status, r.closed, r.Body)
			}
			if e := checkErrorBody(t, c.name, &r.Response); e.Code != "conflicting_framing" {
				t.Errorf("code = %s, want conflicting_framing", e.Code)
			}
		})
	}
	t.Run("chunked alone keeps the connection", func(t *testing.T) {
		resps := exchange(t, addr, post("HTTP/1.1", "Transfer-Encoding: chunked")+"2\r\n{}\r\n0\r\n\r\n"+smuggled)
		if len(resps) != 2 || resps[0].Status != http.StatusUnauthorized || resps[1].Status != http.StatusOK {
			t.Fatalf("%d answers (first %d), want 401 (no session) then 200 on the same connection", len(resps), resps[0].Status)
		}
	})
}

type rawResponse struct {
	pometest.Response
	closed bool // the server closed the connection after it
}

// writeRaw writes raw to addr over a new TCP connection, closed when the
// test ends, and returns what reads the answer.
func writeRaw(t *testing.T, addr, raw string) *bufio.Reader {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	return bufio.NewReader(conn)
}

// exchange writes raw to addr over one connection and reads the responses,
// at most two, until the server closes the connection.
func exchange(t *testing.T, addr, raw string) []rawResponse {
	t.Helper()
	br := writeRaw(t, addr, raw)
	var out []rawResponse
	for len(out) < 2 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read response %d: %v", len(out)+1, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := rawResponse{Response: pometest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}}
		if resp.Close {
			// Said, and done: nothing more comes.
			_, err := br.ReadByte()
			r.closed = errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
			return append(out, r)
		}
		out = append(out, r)
	}
	return out
}
