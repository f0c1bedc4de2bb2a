package httpserver

import "net/http"

// recorder notes the status and size of a response for the access log, the
// metrics and panic recovery. One is made per request and shared.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// recorderOf returns w if it is a recorder, else wraps it in one.
func recorderOf(w http.ResponseWriter) *recorder {
	if rec, ok := w.(*recorder); ok {
		return rec
	}
	return &recorder{ResponseWriter: w}
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 && status >= 200 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Flush keeps streaming responses streaming.
func (rec *recorder) Flush() {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	http.NewResponseController(rec.ResponseWriter).Flush()
}

// written reports whether the response has started.
func (rec *recorder) written() bool { return rec.status != 0 }

// statusOrOK is the status the client saw: 200 if the handler wrote nothing.
func (rec *recorder) statusOrOK() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}
