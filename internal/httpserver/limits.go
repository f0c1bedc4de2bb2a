package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome"
)

// maxBodyBytes caps every request body (docs/api.md) but secret scanning
// alerts'.
const maxBodyBytes = 64 << 10

// limitBody refuses a body declared larger than max at once, with tooLarge,
// and caps the reading of any other, so that reading past it fails with an
// *http.MaxBytesError (decodeJSON answers 413).
func limitBody(log *slog.Logger, max int64, tooLarge *pome.Error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				writeError(w, r, log, tooLarge)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}
