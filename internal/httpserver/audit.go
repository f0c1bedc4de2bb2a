package httpserver

import (
	"net/http"
	"net/url"
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
	if aq.Limit, err = limitParam(q, account.MaxAuditLimit); err != nil {
		return err
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

// limitParam reads the ?limit= of a paged listing: 0 when absent (the
// listing's default), else a whole number of at least 1, or 400
// invalid_parameter naming it; the listing checks its max.
func limitParam(q url.Values, max int) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, pome.InvalidParameter("'limit' must be 1 to %d", max)
	}
	return n, nil
}
