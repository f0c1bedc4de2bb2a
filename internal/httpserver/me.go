package httpserver

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/meter"
)

// meBufs recycles the buffers /v1/me bodies are built in: the hot path
// allocates no body.
var meBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// handleMe answers GET /v1/me (SPEC §3): who the presented key is. Usage is
// counted in memory; nothing is written to the store on this path.
func handleMe(log *slog.Logger, gate *keyGate, m *meter.Meter, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		owner, err := gate.authorize(w, r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		m.Record(owner.Key.ID, now())

		bp := meBufs.Get().(*[]byte)
		b := appendMe((*bp)[:0], &owner)
		w.Header()["Content-Type"] = jsonContentType
		w.WriteHeader(http.StatusOK)
		w.Write(b)
		*bp = b
		meBufs.Put(bp)
	})
}

// appendMe appends the SPEC §3 body of GET /v1/me.
func appendMe(b []byte, o *pome.KeyOwner) []byte {
	b = append(b, `{"user":{"id":`...)
	b = appendJSONString(b, o.User.ID)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, o.User.Email)
	b = append(b, `},"team":{"id":`...)
	b = appendJSONString(b, o.Team.ID)
	b = append(b, `,"slug":`...)
	b = appendJSONString(b, o.Team.Slug)
	b = append(b, `,"plan_tier":`...)
	b = appendJSONString(b, o.Team.PlanTier)
	b = append(b, `},"api_key":{"id":`...)
	b = appendJSONString(b, o.Key.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, o.Key.Name)
	b = append(b, `,"prefix":`...)
	b = appendJSONString(b, o.Key.Prefix)
	b = append(b, `,"role":`...)
	b = appendJSONString(b, string(o.Role)) // effective: what the key may do now
	return append(b, "}}\n"...)
}
