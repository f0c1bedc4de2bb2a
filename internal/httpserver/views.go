package httpserver

import (
	"time"

	"github.com/pomehq/pome"
)

// The JSON bodies of the management API (SPEC §5). Times are RFC 3339 UTC to
// the second; a time that is not set is null.

type userView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	CreatedAt string `json:"created_at"`
}

type teamView struct {
	ID       string    `json:"id"`
	Slug     string    `json:"slug"`
	Name     string    `json:"name"`
	PlanTier string    `json:"plan_tier"`
	Status   string    `json:"status"`
	Role     pome.Role `json:"role"`
}

type sessionView struct {
	User        userView   `json:"user"`
	Teams       []teamView `json:"teams"`
	DefaultTeam string     `json:"default_team"`
}

type keyView struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Prefix      string         `json:"prefix"`
	Role        pome.Role      `json:"role"`
	CreatedBy   string         `json:"created_by"`
	CreatedAt   string         `json:"created_at"`
	LastUsed    *string        `json:"last_used"`
	ExpiresAt   *string        `json:"expires_at"`
	UsageCount  int64          `json:"usage_count"`
	Status      pome.KeyStatus `json:"status"`
}

type keyListView struct {
	Keys  []keyView `json:"keys"`
	Total int       `json:"total"`
}

// createdKeyView is the only body that ever holds a key's plaintext.
type createdKeyView struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Key         string         `json:"key"`
	Prefix      string         `json:"prefix"`
	Role        pome.Role      `json:"role"`
	CreatedAt   string         `json:"created_at"`
	ExpiresAt   *string        `json:"expires_at"`
	Status      pome.KeyStatus `json:"status"`
}

type revokedView struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	ID      string `json:"id"`
}

type successView struct {
	Success bool `json:"success"`
}

type usageView struct {
	KeyID string         `json:"key_id"`
	Days  []usageDayView `json:"days"`
}

type usageDayView struct {
	Date  string `json:"date"`
	Count int64  `json:"count"`
}

func keyViewOf(k *pome.Key, now time.Time) keyView {
	return keyView{
		ID: k.ID, Name: k.Name, Description: k.Description, Prefix: k.Prefix, Role: k.Role,
		CreatedBy: k.CreatedBy, CreatedAt: timeString(k.CreatedAt),
		LastUsed: optTime(k.LastUsed), ExpiresAt: optTime(k.ExpiresAt),
		UsageCount: k.UsageCount, Status: k.Status(now),
	}
}

func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timeString(*t)
	return &s
}

type memberView struct {
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	Role     pome.Role `json:"role"`
	JoinedAt string    `json:"joined_at"`
}

type memberListView struct {
	Members []memberView `json:"members"`
	Total   int          `json:"total"`
}

type memberRemovedView struct {
	Success     bool     `json:"success"`
	Message     string   `json:"message"`
	UserID      string   `json:"user_id"`
	RevokedKeys []string `json:"revoked_keys"`
}

func memberViewOf(m *pome.TeamMember) memberView {
	return memberView{UserID: m.User.ID, Email: m.User.Email, Role: m.Role, JoinedAt: timeString(m.JoinedAt)}
}

// rolledKeyView is a roll's answer: the replacement as a created key (its
// plaintext shown this once), the key it replaces, and that key's new expiry.
type rolledKeyView struct {
	createdKeyView
	RolledFrom string     `json:"rolled_from"`
	OldKey     oldKeyView `json:"old_key"`
}

type oldKeyView struct {
	ID        string         `json:"id"`
	ExpiresAt *string        `json:"expires_at"`
	Status    pome.KeyStatus `json:"status"`
}

type auditRefView struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type auditEventView struct {
	ID        string         `json:"id"`
	Time      string         `json:"time"`
	Action    string         `json:"action"`
	Result    string         `json:"result"`
	Actor     auditRefView   `json:"actor"`
	TeamID    string         `json:"team_id"`
	Target    *auditRefView  `json:"target"`
	RequestID string         `json:"request_id"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Details   map[string]any `json:"details"`
}

type auditPageView struct {
	Events     []auditEventView `json:"events"`
	NextCursor *string          `json:"next_cursor"`
}

func auditEventViewOf(e *pome.AuditEvent) auditEventView {
	v := auditEventView{
		ID: e.ID, Time: e.At.UTC().Format(time.RFC3339Nano), Action: e.Action, Result: e.Result,
		Actor:  auditRefView{Type: e.ActorType, ID: e.ActorID},
		TeamID: e.TeamID, RequestID: e.RequestID, IP: e.IP, UserAgent: e.UserAgent, Details: e.Details,
	}
	if e.TargetType != "" || e.TargetID != "" {
		v.Target = &auditRefView{Type: e.TargetType, ID: e.TargetID}
	}
	if v.Details == nil {
		v.Details = map[string]any{}
	}
	return v
}
