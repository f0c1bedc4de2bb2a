package httpserver_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/pometest"
)

// serveUpstream runs h as an upstream on loopback and returns its URL.
func serveUpstream(t *testing.T, h http.HandlerFunc) *url.URL {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// gatewayTo is Pome in gateway mode with target as its "/" upstream, with a
// key of a new team.
func gatewayTo(t *testing.T, target *url.URL, g httpserver.Gateway, opts ...pometest.Option) (*pometest.Server, string) {
	t.Helper()
	g.Upstreams = []httpserver.Upstream{{Prefix: "/", Target: target}}
	s := pometest.NewServer(t, append(opts, pometest.WithGateway(g))...)
	return s, s.CreateKey(t, s.Signup(t, "alice@example.com"), "ci")
}

// get sends GET path with key through client and returns the response,
// closed when the test ends.
func get(t *testing.T, client *http.Client, s *pometest.Server, path, key string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A compressed answer reaches the client byte for byte, with its
// Content-Encoding and Content-Length: Pome asks the upstream for no
// compression the client did not ask for, and never gunzips.
func TestGatewayPassesCompressedBodies(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, strings.Repeat("pome gateway ", 1000))
	zw.Close()
	var asked atomic.Value
	target := serveUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		asked.Store(r.Header.Get("Accept-Encoding"))
		// A precompressed file: served gzipped whatever was asked.
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(gz.Len()))
		w.Write(gz.Bytes())
	})
	s, key := gatewayTo(t, target, httpserver.Gateway{})
	tr := s.HTTP.Client().Transport.(*http.Transport).Clone()
	tr.DisableCompression = true // the client asks for no gzip
	t.Cleanup(tr.CloseIdleConnections)
	resp := get(t, &http.Client{Transport: tr}, s, "/file.txt", key)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := asked.Load(); got != "" {
		t.Errorf("upstream Accept-Encoding = %q, want none: the client asked for none", got)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, gz.Bytes()) ||
		resp.Header.Get("Content-Length") != strconv.Itoa(gz.Len()) {
		t.Errorf("client got Content-Encoding %q, Content-Length %q, %d bytes; want gzip, %d, the upstream's bytes",
			resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Length"), len(body), gz.Len())
	}
}

// A stream reaches the client as the upstream writes it, also when the
// upstream declared a Content-Length: the first bytes arrive while the
// upstream still holds back the rest.
func TestGatewayFlushesStreams(t *testing.T) {
	t.Parallel()
	for _, length := range []string{"10", ""} {
		t.Run("content-length "+length, func(t *testing.T) {
			t.Parallel()
			received, finished := make(chan struct{}), make(chan struct{})
			target := serveUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				defer close(finished)
				if length != "" {
					w.Header().Set("Content-Length", length)
				}
				io.WriteString(w, "drip-")
				http.NewResponseController(w).Flush()
				select { // the rest only once the client has the start
				case <-received:
				case <-time.After(5 * time.Second):
				}
				io.WriteString(w, "drop!")
			})
			s, key := gatewayTo(t, target, httpserver.Gateway{})
			resp := get(t, s.HTTP.Client(), s, "/drip", key)
			first := make([]byte, 5)
			if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "drip-" {
				t.Fatalf("first bytes = %q, %v; want drip-", first, err)
			}
			select {
			case <-finished:
				t.Fatal("the first bytes reached the client only once the upstream had finished")
			default:
			}
			close(received)
			if rest, err := io.ReadAll(resp.Body); err != nil || string(rest) != "drop!" {
				t.Errorf("rest = %q, %v; want drop!", rest, err)
			}
		})
	}
}
