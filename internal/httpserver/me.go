package httpserver

import (
	"log/slog"
	"net/http"
	"net/netip"
	"sync"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/ratelimit"
)

// meBufs recycles the buffers /v1/me bodies are built in: the hot path
// allocates no body.
var meBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// handleMe answers GET /v1/me: who the presented key is. Usage is counted
// in memory; nothing is written to the store on this path.
func handleMe(log *slog.Logger, gate *authz.Gate, proxies httpapi.TrustedProxies) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := proxies.ClientAddr(r)
		grant, err := authorize(w, r, gate, addr, httpapi.AddrFrom(addr), nil)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		bp := meBufs.Get().(*[]byte)
		b := appendMe((*bp)[:0], &grant.Owner)
		w.Header()["Content-Type"] = httpapi.JSONContentType
		w.WriteHeader(http.StatusOK)
		w.Write(b)
		*bp = b
		meBufs.Put(bp)
	})
}

// authorize asks the gate whether the request's key may make it, the one
// decision of the public API and the gateway, and writes the headers of the
// rate limit that applied. addr is the client's address
// (TrustedProxies.ClientAddr) and from the same parsed (httpapi.AddrFrom),
// which a key's allowed_cidrs must hold; scopes are what the route
// requires of the key's (nil: none).
func authorize(w http.ResponseWriter, r *http.Request, gate *authz.Gate, addr string, from netip.Addr, scopes []string) (authz.Grant, error) {
	key, keyErr := httpapi.APIKeyFrom(r.Header)
	// requestContext: an expired key's audit event records this request.
	grant, err := gate.Authorize(requestContext(w, r, addr), authz.Attempt{
		Key: key, KeyErr: keyErr, ClientIP: httpapi.LimitKey(addr), Action: httpapi.ActionOf(r.Method),
		From: from, Scopes: scopes,
	})
	ratelimit.SetHeaders(w.Header(), grant.Limit.Rule, grant.Limit.Decision)
	httpapi.SetRetryAfter(w.Header(), grant.Credits.RetryAfter)
	return grant, err
}

// appendMe appends the body of GET /v1/me. The user is null for a key a
// service token made.
func appendMe(b []byte, o *pome.KeyOwner) []byte {
	if o.User.ID == "" {
		b = append(b, `{"user":null,"team":{"id":`...)
	} else {
		b = append(b, `{"user":{"id":`...)
		b = appendJSONString(b, o.User.ID)
		b = append(b, `,"email":`...)
		b = appendJSONString(b, o.User.Email)
		b = append(b, `},"team":{"id":`...)
	}
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
	b = append(b, `,"environment":`...)
	b = appendJSONString(b, o.Key.Environment())
	b = append(b, `,"scopes":[`...)
	for i, sc := range o.Key.Scopes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, sc)
	}
	b = append(b, `],"meta":`...)
	// Meta is compact JSON, checked when it was stored: written as is.
	b = append(b, pome.KeyMetaJSON(o.Key.Meta)...)
	return append(b, "}}\n"...)
}
