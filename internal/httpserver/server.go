// Package httpserver is Pome's HTTP surface: the public API, the management
// API, operations endpoints, and the one place that turns errors into
// responses.
package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/meter"
)

// Config is everything the handler needs; cmd/pome wires it.
type Config struct {
	Accounts *account.Service
	Keys     *apikey.Service
	Verifier *apikey.Verifier
	Meter    *meter.Meter
	// Ready reports whether the database answers (GET /readyz).
	Ready func(ctx context.Context) error
	Log   *slog.Logger
	// Metrics receives Pome's collectors; GET /metrics serves it.
	Metrics *prometheus.Registry
	// SecureCookies marks the session cookie Secure with the __Host- prefix,
	// for deployments served over HTTPS.
	SecureCookies bool
	Now           func() time.Time
}

// New returns the handler for every route of Pome.
func New(cfg Config) http.Handler {
	panic("not yet written")
}
