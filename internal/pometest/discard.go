package pometest

import "net/http"

// Discard is a ResponseWriter that keeps only the status, reused from one
// request to the next by benchmarks and allocation guards, so that what
// they count is the handler's own work, not a recorder's.
type Discard struct {
	H      http.Header
	Status int
}

// NewDiscard returns an empty Discard.
func NewDiscard() *Discard { return &Discard{H: make(http.Header)} }

// Reset clears the headers and the status for the next request.
func (w *Discard) Reset() {
	clear(w.H)
	w.Status = 0
}

func (w *Discard) Header() http.Header         { return w.H }
func (w *Discard) WriteHeader(status int)      { w.Status = status }
func (w *Discard) Write(p []byte) (int, error) { return len(p), nil }
