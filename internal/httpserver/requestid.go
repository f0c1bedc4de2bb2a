package httpserver

import (
	"math/rand/v2"
	"net/http"
	"unsafe"

	"github.com/pomehq/pome"
)

const headerRequestID = "X-Request-Id"

// requestID gives every response an X-Request-Id: the caller's, when it is
// 1 to 64 characters of [A-Za-z0-9._-], else a new one. The id lives in the
// response header, where writeError and the access log read it back, so
// that no request is copied to carry it in a context.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v []string
		if id := r.Header[headerRequestID]; len(id) > 0 && validRequestID(id[0]) {
			v = id[:1:1] // the request's own header value: no copy
		} else {
			v = newRequestID()
		}
		w.Header()[headerRequestID] = v
		next.ServeHTTP(w, r)
	})
}

// requestIDBuf holds a new request id and the header value slice that
// points at it, so that both take one allocation.
type requestIDBuf struct {
	value [1]string
	text  [len("req_") + 20]byte
}

// newRequestID returns a header value of "req_" and 20 base62 characters
// (docs/api.md), in one allocation. A request id needs to be unique, not secret:
// math/rand/v2's per-thread generator (about 119 bits here) serves, at a
// fraction of crypto/rand's cost.
func newRequestID() []string {
	b := new(requestIDBuf)
	copy(b.text[:], "req_")
	x, y := rand.Uint64(), rand.Uint64()
	for i := len("req_"); i < len(b.text); i++ {
		if i == len("req_")+10 {
			x = y
		}
		b.text[i] = base62[x%62]
		x /= 62
	}
	b.value[0] = unsafe.String(&b.text[0], len(b.text))
	return b.value[:]
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// requestIDOf returns the request id set on the response.
func requestIDOf(w http.ResponseWriter) string {
	if v := w.Header()[headerRequestID]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func validRequestID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	// A key sent as a request id would be echoed and logged: replace it.
	if len(id) >= 39 && pome.KeyPattern.MatchString(id) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
