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
