package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
)

const headerRequestID = "X-Request-Id"

// requestID gives every response an X-Request-Id: the caller's, when it is
// 1 to 64 characters of [A-Za-z0-9._-], else a new one. The id lives in the
// response header, where writeError and the access log read it back, so
// that no request is copied to carry it in a context.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(headerRequestID)
		if !validRequestID(id) {
			id = pome.NewRequestID()
		}
		w.Header()[headerRequestID] = []string{id}
		next.ServeHTTP(w, r)
	})
}

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
