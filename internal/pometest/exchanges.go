package pometest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/httpserver"
)

// exchanges checks every exchange of one Server against the contract
// (contract.go). It wraps the server's handler, so that every request a test
// sends over HTTP is checked, whatever client sent it: Server.Do, the clients
// of Server.Client, the CLI and SDK clients under test, a browser.
//
// A failure is reported to the test that received the response when that
// test went through Server.Do (which claims the exchange by its response's
// X-Request-Id); any other failure is reported to the test that made the
// Server, when it ends.
type exchanges struct {
	t        testing.TB
	contract *contract
	gateway  []string // the upstreams' prefixes

	mu sync.Mutex
	// byID holds, by response X-Request-Id, the exchanges under check and
	// those that failed and were not claimed yet, oldest first.
	byID map[string][]*checked
}

// checked is one exchange being checked, then its outcome.
type checked struct {
	done     chan struct{} // closed when the check is over
	x        *exchange
	problems []string
}

// newExchanges returns the check of a Server of test t, or nil if the checks
// are off: for a benchmark, whose timings they would distort.
func newExchanges(t testing.TB, gateway httpserver.Gateway) *exchanges {
	t.Helper()
	if _, bench := t.(*testing.B); bench {
		return nil
	}
	c, err := loadContract()
	if err != nil {
		t.Fatalf("pometest: %v", err)
	}
	x := &exchanges{t: t, contract: c, byID: map[string][]*checked{}}
	for _, up := range gateway.Upstreams {
		x.gateway = append(x.gateway, up.Prefix)
	}
	return x
}

// wrap checks every exchange next serves.
func (xs *exchanges) wrap(next http.Handler) http.Handler {
	if xs == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := &exchange{method: r.Method, uri: r.URL.RequestURI(), path: r.URL.EscapedPath(), reqHeader: r.Header.Clone()}
		var reqBody *capped
		if r.Body != nil && r.Body != http.NoBody {
			reqBody = &capped{max: maxCheckedRequestBody}
			r.Body = &teeBody{ReadCloser: r.Body, to: reqBody}
		}
		rec := &recorder{ResponseWriter: w, xs: xs, x: x, body: capped{max: maxCheckedResponseBody}}
		next.ServeHTTP(rec, r)
		if rec.c == nil {
			if rec.hijacked() {
				return // a tunnel (gateway websockets): no HTTP answer to check
			}
			rec.begin(http.StatusOK) // nothing written: an empty 200
		}
		if reqBody != nil {
			x.reqBody, x.reqBodyLong = reqBody.buf.Bytes(), reqBody.over
		}
		x.body, x.bodyLong = rec.body.buf.Bytes(), rec.body.over
		xs.finish(rec.c, xs.checkOne(x))
	})
}

// checkOne checks x, turning a panic of the validator into a failure.
func (xs *exchanges) checkOne(x *exchange) (probs []string) {
	defer func() {
		if v := recover(); v != nil {
			probs = []string{"the contract check panicked: " + strings.TrimSpace(strings.SplitN(toString(v), "\n", 2)[0])}
		}
	}()
	return xs.contract.check(x, xs.gateway)
}

func toString(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "panic"
}

// start registers the check of x, whose response has just begun, under its
// request id: before any byte of the response leaves, so that a client that
// has the response can always find it.
func (xs *exchanges) start(x *exchange) *checked {
	c := &checked{done: make(chan struct{}), x: x}
	id := x.header.Get("X-Request-Id")
	xs.mu.Lock()
	xs.byID[id] = append(xs.byID[id], c)
	xs.mu.Unlock()
	return c
}

// finish records the outcome of c; a check that passed is forgotten.
func (xs *exchanges) finish(c *checked, probs []string) {
	id := c.x.header.Get("X-Request-Id")
	xs.mu.Lock()
	c.problems = probs
	if len(probs) == 0 {
		xs.remove(id, c)
	}
	xs.mu.Unlock()
	close(c.done)
}

func (xs *exchanges) remove(id string, c *checked) {
	l := xs.byID[id]
	for i, e := range l {
		if e == c {
			l = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(xs.byID, id)
	} else {
		xs.byID[id] = l
	}
}

// claim returns the failure message of the exchange whose response carried
// X-Request-Id id, waiting for its check if need be; "" if it passed, or if
// this server did not answer it.
func (xs *exchanges) claim(id string) string {
	if xs == nil || id == "" {
		return ""
	}
	xs.mu.Lock()
	l := xs.byID[id]
	if len(l) == 0 {
		xs.mu.Unlock()
		return ""
	}
	c := l[0]
	xs.remove(id, c)
	xs.mu.Unlock()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		return c.x.method + " " + c.x.uri + ": the contract check did not finish in 30 s"
	}
	if len(c.problems) == 0 {
		return ""
	}
	return c.x.report(c.problems)
}

// reportUnclaimed fails the Server's test with every failed check that no
// call of Server.Do claimed. It runs after the server has stopped.
func (xs *exchanges) reportUnclaimed() {
	if xs == nil {
		return
	}
	xs.mu.Lock()
	defer xs.mu.Unlock()
	for _, l := range xs.byID {
		for _, c := range l {
			select {
			case <-c.done:
				if len(c.problems) > 0 {
					xs.t.Errorf("pometest: %s", c.x.report(c.problems))
				}
			default:
			}
		}
	}
}

// recorder passes a response on while keeping what the check needs: the
// status and headers as sent, and the body up to a cap.
type recorder struct {
	http.ResponseWriter
	xs   *exchanges
	x    *exchange
	c    *checked // set once the response has begun
	body capped
	hj   bool
}

// begin snapshots the response's status and headers and registers its check.
func (r *recorder) begin(status int) {
	r.x.status = status
	r.x.header = r.ResponseWriter.Header().Clone()
	r.c = r.xs.start(r.x)
}

func (r *recorder) WriteHeader(status int) {
	if r.c == nil && (status >= 200 || status == http.StatusSwitchingProtocols) {
		r.begin(status)
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.c == nil {
		r.begin(http.StatusOK)
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Flush lets streamed responses (gateway mode) through as they come.
func (r *recorder) Flush() {
	if r.c == nil {
		r.begin(http.StatusOK)
	}
	http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController (deadlines, hijacking) the writer
// underneath.
func (r *recorder) Unwrap() http.ResponseWriter {
	r.hj = true // the handler may take the connection through it
	return r.ResponseWriter
}

// hijacked reports whether the handler may have taken the connection: it
// reached the writer underneath and wrote no response through this one.
func (r *recorder) hijacked() bool { return r.hj }

// capped is a buffer that keeps at most max bytes, and says if it had more.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(b []byte) {
	if c.over {
		return
	}
	if c.buf.Len()+len(b) > c.max {
		c.over = true
		c.buf.Reset()
		return
	}
	c.buf.Write(b)
}

// teeBody copies what the handler reads of a request body.
type teeBody struct {
	io.ReadCloser
	to *capped
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if n > 0 {
		t.to.Write(p[:n])
	}
	return n, err
}
