package httpserver

import (
	"net/http"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/httpapi"
)

// listMembers answers GET /api/team/members: every member of the team,
// oldest first. Any member may read it.
func (a *sessionAPI) listMembers(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	ms, err := a.accounts.Members(r.Context(), m)
	if err != nil {
		return err
	}
	v := client.MemberList{Members: make([]client.Member, 0, len(ms)), Total: len(ms)}
	for i := range ms {
		v.Members = append(v.Members, memberOf(&ms[i]))
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}

type setRoleRequest struct {
	Role pome.Role `json:"role"`
}

// setMemberRole answers PATCH /api/team/members/{user_id}: the member with
// the new role. Their keys' effective role follows on the very next request
// to this node (and within a poll interval on the others).
func (a *sessionAPI) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	var req setRoleRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	tm, err := a.accounts.SetRole(r.Context(), m, r.PathValue("user_id"), req.Role)
	if err != nil {
		return err
	}
	a.verifier.ForgetMember(m.Team.ID, tm.User.ID)
	httpapi.WriteJSON(w, http.StatusOK, memberOf(&tm))
	return nil
}

// removeMember answers DELETE /api/team/members/{user_id}: the member leaves
// the team and the keys they created or were issued in it are revoked.
func (a *sessionAPI) removeMember(w http.ResponseWriter, r *http.Request) error {
	m, err := a.sess.member(r)
	if err != nil {
		return err
	}
	rm, err := a.accounts.RemoveMember(r.Context(), m, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	a.verifier.ForgetMember(m.Team.ID, rm.UserID)
	// The keys they were issued (a colleague's key they rolled) are cached
	// under their creator.
	for _, id := range rm.RevokedKeys {
		a.verifier.ForgetKeyID(id)
	}
	httpapi.WriteJSON(w, http.StatusOK, client.RemovedMember{Success: true, Message: "Member removed",
		UserID: rm.UserID, RevokedKeys: append([]string{}, rm.RevokedKeys...)})
	return nil
}
