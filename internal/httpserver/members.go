package httpserver

import (
	"log/slog"
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/httpapi"
)

// handleListMembers answers GET /api/team/members: every member of the team,
// oldest first. Any member may read it.
func handleListMembers(log *slog.Logger, sess sessions, accounts *account.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		ms, err := accounts.Members(r.Context(), m)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		v := memberListView{Members: make([]memberView, 0, len(ms)), Total: len(ms)}
		for i := range ms {
			v.Members = append(v.Members, memberViewOf(&ms[i]))
		}
		httpapi.WriteJSON(w, http.StatusOK, v)
	})
}

type addMemberRequest struct {
	Email *string   `json:"email"`
	Role  pome.Role `json:"role"`
}

// handleAddMember answers POST /api/team/members: an existing user joins the
// team; 201 with the member.
func handleAddMember(log *slog.Logger, sess sessions, accounts *account.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		var req addMemberRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, log, err)
			return
		}
		email := ""
		if req.Email != nil {
			email = *req.Email
		}
		tm, err := accounts.AddMember(r.Context(), m, email, req.Role)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusCreated, memberViewOf(&tm))
	})
}

type setRoleRequest struct {
	Role pome.Role `json:"role"`
}

// handleSetMemberRole answers PATCH /api/team/members/{user_id}: the member
// with the new role. Their keys' effective role follows on the very next
// request to this node (and within a poll interval on the others).
func handleSetMemberRole(log *slog.Logger, sess sessions, accounts *account.Service, v *apikey.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		var req setRoleRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, log, err)
			return
		}
		tm, err := accounts.SetRole(r.Context(), m, r.PathValue("user_id"), req.Role)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		v.ForgetMember(m.Team.ID, tm.User.ID)
		httpapi.WriteJSON(w, http.StatusOK, memberViewOf(&tm))
	})
}

// handleRemoveMember answers DELETE /api/team/members/{user_id}: the member
// leaves the team and the keys they created in it are revoked.
func handleRemoveMember(log *slog.Logger, sess sessions, accounts *account.Service, v *apikey.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := sess.member(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		rm, err := accounts.RemoveMember(r.Context(), m, r.PathValue("user_id"))
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		v.ForgetMember(m.Team.ID, rm.UserID)
		httpapi.WriteJSON(w, http.StatusOK, memberRemovedView{Success: true, Message: "Member removed",
			UserID: rm.UserID, RevokedKeys: append([]string{}, rm.RevokedKeys...)})
	})
}
