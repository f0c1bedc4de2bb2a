package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
)

// reportLeakRequest is the body of POST /v1/keys/report-leak.
type reportLeakRequest struct {
	Key *string `json:"key"`
}

// handleReportLeak answers POST /v1/keys/report-leak: anyone who finds a key
// published may have it revoked, with no credential but the key (as
// GitHub's credential revocation API). The answer is 202 "received"
// whatever the key was, so that it tells nothing; the per-IP limit of the
// route bounds the store reads it costs.
func handleReportLeak(keys *apikey.Service, proxies httpapi.TrustedProxies) returning {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req reportLeakRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if req.Key == nil {
			return pome.MissingParameter("key")
		}
		// The reporter's address and user agent go into the audit event.
		ctx := requestContext(w, r, proxies.ClientAddr(r))
		if _, err := keys.ReportLeak(ctx, *req.Key, apikey.Leak{Source: leakSourceReport}); err != nil {
			return err
		}
		httpapi.WriteJSON(w, http.StatusAccepted, client.LeakReport{Status: client.LeakReceived})
		return nil
	}
}

// leakSourceReport is the source of a key.leaked event of the report
// endpoint.
const leakSourceReport = "report"
