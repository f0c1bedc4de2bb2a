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
func requestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		ri := pome.RequestInfo{RequestID: requestIDOf(w), IP: host, UserAgent: r.UserAgent()}
		next.ServeHTTP(w, r.WithContext(pome.WithRequestInfo(r.Context(), ri)))
	})
}
