package httpserver

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
)

// defaultUsageDays is how many days GET /api/keys/{id}/usage covers by default.
const defaultUsageDays = 30

// handleListKeys answers GET /api/keys: the team's keys the member may see,
// active ones unless ?status=revoked|expired|all.
func handleListKeys(log *slog.Logger, sess sessions, keys *apikey.Service, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		ks, err := keys.List(r.Context(), m, r.URL.Query().Get("status"))
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		t := now()
		v := keyListView{Keys: make([]keyView, 0, len(ks)), Total: len(ks)}
		for i := range ks {
			v.Keys = append(v.Keys, keyViewOf(&ks[i], t))
		}
		httpapi.WriteJSON(w, http.StatusOK, v)
	})
}

type createKeyRequest struct {
	Name          *string   `json:"name"`
	Description   string    `json:"description"`
	ExpiresInDays *int      `json:"expires_in_days"`
	Role          pome.Role `json:"role"`
}

// handleCreateKey answers POST /api/keys: 201 with the new key, whose
// plaintext this response is the only one to hold.
func handleCreateKey(log *slog.Logger, sess sessions, keys *apikey.Service, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		var req createKeyRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, log, err)
			return
		}
		c, err := keys.Create(r.Context(), m, apikey.CreateParams{
			Name: req.Name, Description: req.Description, Role: req.Role, ExpiresInDays: req.ExpiresInDays,
		})
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		k := &c.Key
		httpapi.WriteJSON(w, http.StatusCreated, createdKeyView{
			ID: k.ID, Name: k.Name, Description: k.Description, Key: c.Plaintext, Prefix: k.Prefix,
			Role: k.Role, CreatedAt: timeString(k.CreatedAt), ExpiresAt: optTime(k.ExpiresAt),
			Status: k.Status(now()),
		})
	})
}

// handleRevokeKey answers DELETE /api/keys/{id}. Revoking a revoked key
// succeeds again; a key the member may not see is key_not_found.
func handleRevokeKey(log *slog.Logger, sess sessions, keys *apikey.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		k, err := keys.Revoke(r.Context(), m, r.PathValue("id"))
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, revokedView{Success: true, Message: "API key revoked successfully", ID: k.ID})
	})
}

// handleKeyUsage answers GET /api/keys/{id}/usage?days=N: the key's daily
// request counts, oldest first, one entry per day.
func handleKeyUsage(log *slog.Logger, sess sessions, keys *apikey.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		days := defaultUsageDays
		if s := r.URL.Query().Get("days"); s != "" {
			if days, err = strconv.Atoi(s); err != nil {
				writeError(w, r, log, pome.InvalidParameter("'days' must be an integer"))
				return
			}
		}
		id := r.PathValue("id")
		usage, err := keys.Usage(r.Context(), m, id, days)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		v := usageView{KeyID: id, Days: make([]usageDayView, 0, len(usage))}
		for _, d := range usage {
			v.Days = append(v.Days, usageDayView{Date: d.Day.UTC().Format(time.DateOnly), Count: d.Count})
		}
		httpapi.WriteJSON(w, http.StatusOK, v)
	})
}

type rollKeyRequest struct {
	ExpireOldInHours *int `json:"expire_old_in_hours"`
	ExpiresInDays    *int `json:"expires_in_days"`
}

// handleRollKey answers POST /api/keys/{id}/roll: 201 with the replacement,
// whose plaintext this response is the only one to hold, and the old key's
// new expiry. The body is optional.
func handleRollKey(log *slog.Logger, sess sessions, keys *apikey.Service, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		var req rollKeyRequest
		if r.ContentLength != 0 && r.Body != http.NoBody {
			if err := decodeJSON(r, &req); err != nil {
				writeError(w, r, log, err)
				return
			}
		}
		rolled, err := keys.Roll(r.Context(), m, r.PathValue("id"), apikey.RollParams{
			GraceHours: req.ExpireOldInHours, ExpiresInDays: req.ExpiresInDays,
		})
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		k, old, t := &rolled.Key, &rolled.Old, now()
		httpapi.WriteJSON(w, http.StatusCreated, rolledKeyView{
			createdKeyView: createdKeyView{
				ID: k.ID, Name: k.Name, Description: k.Description, Key: rolled.Plaintext, Prefix: k.Prefix,
				Role: k.Role, CreatedAt: timeString(k.CreatedAt), ExpiresAt: optTime(k.ExpiresAt),
				Status: k.Status(t),
			},
			RolledFrom: old.ID,
			OldKey:     oldKeyView{ID: old.ID, ExpiresAt: optTime(old.ExpiresAt), Status: old.Status(t)},
		})
	})
}
