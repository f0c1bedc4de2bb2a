package httpserver

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/redact"
)

// accessLog writes one line per request to w (docs/api.md): request id, client
// address (proxies: TrustedProxies.ClientAddr), method, path, route, status,
// latency and bytes. Never the query string, headers, cookies or body, where
// keys, passwords and tokens travel. A path that matched no route, or a route
// with a wildcard ({id}), is masked where it looks like a key or another
// token (redact.Path): a key or session token pasted in place of an id must
// not reach the log. A nil w writes no access log.
//
// The line is JSON in the shape slog's JSON handler gives a record (time,
// level, msg, then the fields), so that it reads as one stream with the
// server's other log lines, but it is encoded here rather than through slog:
// at full load it is written tens of thousands of times a second, and slog's
// generic encoding and the redacting handler cost about 1 µs a line, more
// than verifying the key (docs/performance.md). Its strings are masked as the
// redacting handler masks them.
func accessLog(w io.Writer, proxies httpapi.TrustedProxies) func(http.Handler) http.Handler {
	if w == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rec := recorderOf(rw)
			next.ServeHTTP(rec, r)
			path := r.URL.Path
			// A pattern ending in "/" (the fallback, a gateway prefix)
			// takes any path below it.
			switch {
			case r.Pattern == resetPagePattern:
				// The segment is a secret of Pome's own, masked whatever
				// it looks like: TestAccessLogMasksResetToken.
				path = "/reset/" + redact.PathMask
			case r.Pattern == portalPagePattern:
				path = "/portal/" + redact.PathMask
			case r.Pattern == invitePagePattern:
				path = "/invite/" + redact.PathMask
			case r.Pattern == "" || strings.HasSuffix(r.Pattern, "/") || strings.IndexByte(r.Pattern, '{') >= 0:
				path = redact.Path(pome.KeyPattern.ReplaceAllString(path, redact.PathMask))
			}
			end := rec.end() // sets rec.elapsed when the metrics did not
			bp := lineBufs.Get().(*[]byte)
			b := appendAccessLine((*bp)[:0], end, requestIDOf(rec), proxies.ClientAddr(r), r.Method, path, r.Pattern, rec.statusOrOK(), rec.elapsed, rec.bytes, rec.cut)
			w.Write(b) // a failed write is not the request's
			*bp = b
			lineBufs.Put(bp)
		})
	}
}

// lineBufs recycles the buffers access lines are built in.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// appendAccessLine appends one access log line. The request id needs no
// masking: requestID replaces one shaped like a key. cut, if any, is why a
// gateway request ended early (gateway_stream.go).
func appendAccessLine(b []byte, t time.Time, id, ip, method, path, route string, status int, latency time.Duration, bytes int64, cut string) []byte {
	b = append(b, `{"time":"`...)
	b = t.AppendFormat(b, time.RFC3339Nano) // as slog's JSON handler writes a record's time
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"ip":`...)
	b = appendJSONString(b, ip)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, redact.String(method)) // any token is a method
	b = append(b, `,"path":`...)
	b = appendJSONString(b, redact.String(path))
	b = append(b, `,"route":`...)
	b = appendJSONString(b, route)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"latency":`...)
	b = strconv.AppendInt(b, int64(latency), 10) // nanoseconds, as slog's JSON handler writes a duration
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, bytes, 10)
	if cut != "" {
		b = append(b, `,"aborted":`...)
		b = appendJSONString(b, cut)
	}
	return append(b, "}\n"...)
}
