package httpserver

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/httpapi"
)

// handleAudit answers GET /api/audit?action=&target=&cursor=&limit=: the
// team's audit events, newest first, for owners and admins.
func handleAudit(log *slog.Logger, sess sessions, accounts *account.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		q := r.URL.Query()
		aq := account.AuditQuery{Action: q.Get("action"), Target: q.Get("target"), Cursor: q.Get("cursor")}
		if s := q.Get("limit"); s != "" {
			if aq.Limit, err = strconv.Atoi(s); err != nil || aq.Limit < 1 {
				writeError(w, r, log, pome.InvalidParameter("'limit' must be 1 to %d", account.MaxAuditLimit))
				return
			}
		}
		page, err := accounts.Audit(r.Context(), m, aq)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		v := auditPageView{Events: make([]auditEventView, 0, len(page.Events))}
		for i := range page.Events {
			v.Events = append(v.Events, auditEventViewOf(&page.Events[i]))
		}
		if page.NextCursor != "" {
			v.NextCursor = &page.NextCursor
		}
		httpapi.WriteJSON(w, http.StatusOK, v)
	})
}
