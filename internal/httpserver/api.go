package httpserver

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/webhook"
)

// sessionAPI is the management API: its handlers act as the signed-in user
// (session.go) and return their error, which handle answers.
type sessionAPI struct {
	log      *slog.Logger
	sess     sessions
	accounts *account.Service
	keys     *apikey.Service
	webhooks *webhook.Service
	verifier *apikey.Verifier
	lim      *limits
	now      func() time.Time
	// publicURL is Config.PublicURL, the base of the links handed out.
	publicURL string
}

// returning is a handler that returns its error rather than answering it.
type returning func(w http.ResponseWriter, r *http.Request) error

// handle turns h into a handler whose error, if any, the one writer answers
// (writeError); h must not have written a response then.
func handle(log *slog.Logger, h returning) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, log, err)
		}
	})
}

// handle is handle with the API's logger.
func (a *sessionAPI) handle(h returning) http.Handler { return handle(a.log, h) }
