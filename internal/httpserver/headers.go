package httpserver

import "net/http"

// Shared header values; net/http never appends to them, handlers only
// replace them.
var (
	noSniff = []string{"nosniff"}
	noStore = []string{"no-store"}
)

// apiHeaders marks every response not to be content-sniffed or cached:
// plaintext keys and session views pass through them. (The browser security
// headers of the dashboard are added with it.)
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = noSniff
		h["Cache-Control"] = noStore
		next.ServeHTTP(w, r)
	})
}
