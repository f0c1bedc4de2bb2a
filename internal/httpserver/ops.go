package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/buildinfo"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/openapi"
)

// readyTimeout bounds the database check of GET /readyz.
const readyTimeout = 2 * time.Second

type statusView struct {
	Status string `json:"status"`
}

// handleHealthz answers GET /healthz: the process is up.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, statusView{Status: "ok"})
	})
}

// handleOpenAPI answers GET /openapi.json: the OpenAPI document of the
// whole HTTP surface, from which clients are generated and the SDKs are
// checked.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(openapi.JSON)))
		w.Write(openapi.JSON)
	})
}

// readyView is GET /readyz's answer: ready, and which build answers, so
// that a rolling upgrade can be followed node by node behind the load
// balancer that polls it.
type readyView struct {
	Status string `json:"status"`
	buildinfo.Info
}

// handleReadyz answers GET /readyz: 200 if the database answers, else 503.
func handleReadyz(log *slog.Logger, ready func(context.Context) error) http.Handler {
	ok := readyView{Status: "ok", Info: buildinfo.Read()}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := ready(ctx); err != nil {
			e := pome.AsError(err)
			if e.Kind != pome.Unavailable {
				// Not ready is unavailable whatever the cause.
				e = pome.ErrUnavailable.WithCause(err)
			}
			writeError(w, r, log, e)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, ok)
	})
}
