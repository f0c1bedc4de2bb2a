package httpserver

import (
	"context"
	"net/http"
	"time"

	"github.com/pomehq/pome"
)

// recorder notes the status and size of a response for the access log, the
// metrics and panic recovery. One is made per request and shared.
//
// On the public API it is also the context the key is verified under (see
// requestContext): the one allocation serves both.
type recorder struct {
	http.ResponseWriter
	status  int
	bytes   int64
	start   time.Time     // when the recorder was made: the request's start
	elapsed time.Duration // set by the metrics, reused by the access log
	// cut says why a gateway request ended early (gateway_stream.go), for
	// the access log; abort that the connection must be dropped once the
	// request is logged (abortAfterLog).
	cut   string
	abort bool

	context.Context               // the request's, once requestContext is called
	req             *http.Request // for the request info, idem
	client          string        // the client's address, idem
}

// recorderOf returns w if it is a recorder, else wraps it in one.
func recorderOf(w http.ResponseWriter) *recorder {
	if rec, ok := w.(*recorder); ok {
		return rec
	}
	return &recorder{ResponseWriter: w, start: time.Now()}
}

// end is when the request finished: when the metrics timed it, else now,
// which then also sets elapsed. The access log takes its line's time from
// here, so that a request reads the clock twice, not three times (a clock
// read is ~60 ns on the virtual machines Pome is measured on).
func (rec *recorder) end() time.Time {
	if rec.elapsed > 0 {
		return rec.start.Add(rec.elapsed)
	}
	now := time.Now()
	rec.elapsed = now.Sub(rec.start)
	return now
}

// requestContext returns r's context carrying the request info the audit log
// records (pome.RequestInfoFrom), with addr as the client's address. The
// public and gateway surfaces skip the requestInfo middleware, whose request
// copy costs three allocations a request: they call this where an audit
// event may be recorded. With a recorder (always, inside the middleware
// chain) it allocates nothing.
func requestContext(w http.ResponseWriter, r *http.Request, addr string) context.Context {
	ctx := r.Context()
	if pome.RequestInfoFrom(ctx).RequestID != "" {
		return ctx // the requestInfo middleware ran
	}
	if rec, ok := w.(*recorder); ok {
		rec.Context, rec.req, rec.client = ctx, r, addr
		return rec
	}
	return pome.WithRequestInfo(ctx, requestInfoOf(w, r, addr))
}

// Value answers the request info key from the request itself, and anything
// else from the request's context.
func (rec *recorder) Value(key any) any {
	if pome.IsRequestInfoKey(key) && rec.req != nil {
		return requestInfoOf(rec, rec.req, rec.client)
	}
	return rec.Context.Value(key)
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 && status >= 200 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Flush keeps streaming responses streaming.
func (rec *recorder) Flush() {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	http.NewResponseController(rec.ResponseWriter).Flush()
}

// written reports whether the response has started.
func (rec *recorder) written() bool { return rec.status != 0 }

// statusOrOK is the status the client saw: 200 if the handler wrote nothing.
func (rec *recorder) statusOrOK() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}
