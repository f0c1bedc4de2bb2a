package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/webhook"
)

// platformAPI serves the platform API: the calls of a platform's backend,
// authenticated by a service token and allowed by its scopes. A token acts
// on every team: ids from the path are looked up as they are.
type platformAPI struct {
	log      *slog.Logger
	gate     *authz.Gate
	proxies  httpapi.TrustedProxies
	accounts *account.Service
	keys     *apikey.Service
	webhooks *webhook.Service
	now      func() time.Time
	// publicURL and returnOrigins are Config's, for portal sessions.
	publicURL     string
	returnOrigins account.ReturnOrigins
}

// tokenHandler is a platform API handler, called with the context of the
// call (its audit metadata: requestContext, which allocates nothing) and
// the authenticated token.
type tokenHandler func(ctx context.Context, w http.ResponseWriter, r *http.Request, by pome.ServiceToken) error

// handle authenticates the service token with scope, counting failed
// authentications against the caller's IP as bad keys are on /v1/me, then
// calls h.
func (p *platformAPI) handle(scope pome.Scope, h tokenHandler) http.Handler {
	return handle(p.log, func(w http.ResponseWriter, r *http.Request) error {
		addr := p.proxies.ClientAddr(r)
		token, tokenErr := serviceTokenFrom(r.Header)
		st, lim, err := p.gate.AuthenticateService(r.Context(), authz.Attempt{Key: token, KeyErr: tokenErr, ClientIP: httpapi.LimitKey(addr)}, scope)
		ratelimit.SetHeaders(w.Header(), lim.Rule, lim.Decision)
		if err != nil {
			return err
		}
		return h(requestContext(w, r, addr), w, r, st)
	})
}
