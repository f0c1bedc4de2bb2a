package httpserver

import (
	"encoding/json"
	"net/netip"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/apikey"
)

// The bodies of the management API are the SDK's types (package client):
// declared once, encoded here and decoded there. Times are UTC to the
// second; a time that is not set is null.

func wireTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func wireOptTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	w := wireTime(*t)
	return &w
}

func keyOf(k *pome.Key, now time.Time) client.Key {
	return client.Key{
		ID: k.ID, Name: k.Name, Description: k.Description, Prefix: k.Prefix, Role: k.Role,
		CreatedBy: k.CreatedBy, CreatedAt: wireTime(k.CreatedAt),
		LastUsed: wireOptTime(k.LastUsed), LastUsedIP: wireAddr(k.LastUsedIP), ExpiresAt: wireOptTime(k.ExpiresAt),
		UsageCount: k.UsageCount, Status: k.Status(now), ReplacedBy: wireOptString(k.ReplacedBy),
		KeyPolicies: policiesOf(k, now),
	}
}

// wireOptString is an optional string on the wire: null when empty.
func wireOptString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// wireAddr is an address on the wire: null when unknown.
func wireAddr(a netip.Addr) *string {
	if !a.IsValid() {
		return nil
	}
	s := a.String()
	return &s
}

// keysOf is a page of keys on the wire, [] for none.
func keysOf(keys []pome.Key, now time.Time) []client.Key {
	out := make([]client.Key, 0, len(keys))
	for i := range keys {
		out = append(out, keyOf(&keys[i], now))
	}
	return out
}

// policiesOf is the wire form of a key's policies at now: {}, [] and null
// for none, never absent. Credits a refill is due to are shown refilled.
func policiesOf(k *pome.Key, now time.Time) client.KeyPolicies {
	p := client.KeyPolicies{
		TeamID: k.TeamID, Environment: k.Environment(), Meta: json.RawMessage(pome.KeyMetaJSON(k.Meta)),
		Scopes: k.Scopes, AllowedCIDRs: make([]string, len(k.AllowedCIDRs)), Enabled: !k.Disabled,
		Canary: k.Canary,
	}
	if p.Scopes == nil {
		p.Scopes = []string{}
	}
	for i, c := range k.AllowedCIDRs {
		p.AllowedCIDRs[i] = c.String()
	}
	if rl := k.RateLimit; rl != nil {
		p.RateLimit = &client.RateLimit{Limit: rl.Limit, WindowSeconds: int(rl.Window / time.Second)}
	}
	if c := k.Credits; c != nil {
		p.Credits = &client.Credits{Remaining: c.At(now)}
		if r := c.Refill; r != nil {
			p.Credits.Refill = &client.CreditRefill{Interval: r.Interval, Amount: r.Amount}
		}
	}
	return p
}

// createdKeyOf is the only body that ever holds a key's plaintext.
func createdKeyOf(k *pome.Key, plaintext string, now time.Time) client.CreatedKey {
	return client.CreatedKey{
		ID: k.ID, Name: k.Name, Description: k.Description, Key: plaintext, Prefix: k.Prefix,
		Role: k.Role, CreatedAt: wireTime(k.CreatedAt), ExpiresAt: wireOptTime(k.ExpiresAt),
		Status: k.Status(now), KeyPolicies: policiesOf(k, now),
	}
}

// rolledKeyOf is the answer of a roll: the replacement, with the only copy
// of its plaintext, and the old key's new expiry.
func rolledKeyOf(r *apikey.Rolled, now time.Time) client.RolledKey {
	old := &r.Old
	return client.RolledKey{
		CreatedKey: createdKeyOf(&r.Key, r.Plaintext, now),
		RolledFrom: old.ID,
		OldKey:     client.OldKey{ID: old.ID, ExpiresAt: wireOptTime(old.ExpiresAt), Status: old.Status(now)},
	}
}

// revokedKeyOf is the answer of a revocation.
func revokedKeyOf(k *pome.Key) client.RevokedKey {
	return client.RevokedKey{Success: true, Message: "API key revoked successfully", ID: k.ID}
}

// usageDaysOf is the wire form of daily counts by outcome: UTC dates,
// oldest first.
func usageDaysOf(usage []pome.DailyUsage) []client.UsageDay {
	days := make([]client.UsageDay, 0, len(usage))
	for i := range usage {
		days = append(days, client.NewUsageDay(usage[i].Day.UTC().Format(time.DateOnly), &usage[i].Outcomes))
	}
	return days
}

func memberOf(m *pome.TeamMember) client.Member {
	return client.Member{UserID: m.User.ID, Email: m.User.Email, Role: m.Role, JoinedAt: wireTime(m.JoinedAt)}
}

func auditEventOf(e *pome.AuditEvent) client.AuditEvent {
	v := client.AuditEvent{
		ID: e.ID, Time: e.At.UTC(), Action: e.Action, Result: e.Result,
		Actor:  client.AuditRef{Type: e.ActorType, ID: e.ActorID},
		TeamID: e.TeamID, RequestID: e.RequestID, IP: e.IP, UserAgent: e.UserAgent, Details: e.Details,
	}
	if e.TargetType != "" || e.TargetID != "" {
		v.Target = &client.AuditRef{Type: e.TargetType, ID: e.TargetID}
	}
	if v.Details == nil {
		v.Details = map[string]any{}
	}
	return v
}
