package httpserver

import (
	"net/http"
	"strconv"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/httpapi"
)

// audit answers GET /api/audit?action=&target=&cursor=&limit=: the team's
// audit events, newest first, for owners and admins.
func (a *sessionAPI) audit(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq := account.AuditQuery{Action: q.Get("action"), Target: q.Get("target"), Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		if aq.Limit, err = strconv.Atoi(s); err != nil || aq.Limit < 1 {
			return pome.InvalidParameter("'limit' must be 1 to %d", account.MaxAuditLimit)
		}
	}
	page, err := a.accounts.Audit(r.Context(), m, aq)
	if err != nil {
		return err
	}
	v := client.AuditPage{Events: make([]client.AuditEvent, 0, len(page.Events)), NextCursor: page.NextCursor}
	for i := range page.Events {
		v.Events = append(v.Events, auditEventOf(&page.Events[i]))
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}
