package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome/internal/httpapi"
)

// maxBodyBytes caps every request body (docs/api.md).
const maxBodyBytes = 64 << 10

// limitBody refuses a body declared larger than the cap at once, and caps
// the reading of any other, so that decodeJSON answers 413 past it.
func limitBody(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > maxBodyBytes {
				writeError(w, r, log, httpapi.ErrBodyTooLarge)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			}
			next.ServeHTTP(w, r)
		})
	}
}
