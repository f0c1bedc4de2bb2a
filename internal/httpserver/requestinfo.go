package httpserver

import (
	"net"
	"net/http"

	"github.com/pomehq/pome"
)

// requestInfo puts what the audit log records of a request (its id, the
// client's address, its user agent) into the request's context, where the
// services find it when they record a change. It runs inside requestID. The
// address is the connection's: no forwarding header is trusted.
//
// Only the session surface runs it: copying the request for a new context
// costs three allocations, and the public API and the gateway record audit
// events only when a key is verified, under requestContext (recorder.go).
func requestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(pome.WithRequestInfo(r.Context(), requestInfoOf(w, r))))
	})
}

// requestInfoOf is the request info of r, whose response is w.
func requestInfoOf(w http.ResponseWriter, r *http.Request) pome.RequestInfo {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return pome.RequestInfo{RequestID: requestIDOf(w), IP: host, UserAgent: r.UserAgent()}
}
