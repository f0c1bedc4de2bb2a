package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpapi"
)

// requestInfo puts what the audit log records of a request (its id, the
// client's address, its user agent) into the request's context, where the
// services find it when they record a change. It runs inside requestID.
//
// Only the session surface runs it: copying the request for a new context
// costs three allocations, and the public API and the gateway record audit
// events only when a key is verified, under requestContext (recorder.go).
func requestInfo(proxies httpapi.TrustedProxies) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ri := requestInfoOf(w, r, proxies.ClientAddr(r))
			next.ServeHTTP(w, r.WithContext(pome.WithRequestInfo(r.Context(), ri)))
		})
	}
}

// requestInfoOf is the request info of r, whose response is w and whose
// client is at addr.
func requestInfoOf(w http.ResponseWriter, r *http.Request, addr string) pome.RequestInfo {
	return pome.RequestInfo{RequestID: requestIDOf(w), IP: addr, UserAgent: r.UserAgent()}
}
