package httpserver

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

// The audit page's words for an event: who did it, on what, and its details
// as a sentence a person reads, not the stored map (TestAuditPageReadable).

func actorOf(e *pome.AuditEvent, emails map[string]string) string {
	switch e.ActorType {
	case pome.ActorUser:
		return cmpOr(emails[e.ActorID], e.ActorID)
	case pome.ActorKey:
		return "API key " + e.ActorID
	case pome.ActorSystem:
		return "Operator"
	}
	return "Anonymous"
}

// targetOf labels a member by email whether they are still in the team or
// not (emails has both: account.Service.AuditEmails), and a key by name.
func targetOf(e *pome.AuditEvent, emails map[string]string) string {
	switch e.TargetType {
	case "":
		return ""
	case pome.TargetUser:
		return cmpOr(emails[e.TargetID], e.TargetID)
	case pome.TargetKey:
		if name, ok := e.Details["name"].(string); ok {
			return fmt.Sprintf("%s (%s)", name, e.TargetID)
		}
	case pome.TargetInvitation:
		if email, ok := e.Details["email"].(string); ok {
			return fmt.Sprintf("invitation of %s (%s)", email, e.TargetID)
		}
	}
	return e.TargetID
}

// detailPhrases turn the details an event may carry into words; each takes
// the whole map, since some read two entries (a change from one value to
// another), and returns "" for nothing to say. Entries without a phrase
// are written "entry: value", after these.
var detailPhrases = []struct {
	keys   []string
	phrase func(d map[string]any) string
}{
	{[]string{"old_role", "new_role"}, func(d map[string]any) string {
		return fmt.Sprintf("from %s to %s", roleWord(d["old_role"]), roleWord(d["new_role"]))
	}},
	{[]string{"role"}, func(d map[string]any) string { return "role " + roleWord(d["role"]) }},
	{[]string{"left"}, func(d map[string]any) string {
		if d["left"] == true {
			return "left on their own"
		}
		return ""
	}},
	{[]string{"revoked_keys"}, func(d map[string]any) string {
		ids := words(d["revoked_keys"])
		if len(ids) == 0 {
			return "no keys to revoke"
		}
		return fmt.Sprintf("revoked %s: %s", plural(len(ids), "key"), strings.Join(ids, ", "))
	}},
	{[]string{"environment"}, func(d map[string]any) string { return fmt.Sprintf("%v environment", d["environment"]) }},
	{[]string{"expires_at"}, func(d map[string]any) string { return "expires " + timeWord(d["expires_at"]) }},
	{[]string{"new_key_id"}, func(d map[string]any) string { return fmt.Sprintf("replaced by %v", d["new_key_id"]) }},
	{[]string{"old_expires_at"}, func(d map[string]any) string {
		return "the old key works until " + timeWord(d["old_expires_at"])
	}},
	{[]string{"fields"}, func(d map[string]any) string { return "changed " + strings.Join(words(d["fields"]), ", ") }},
	{[]string{"old_name", "new_name"}, func(d map[string]any) string {
		return fmt.Sprintf("renamed from %v to %v", d["old_name"], d["new_name"])
	}},
	{[]string{"old_plan", "new_plan"}, func(d map[string]any) string {
		return fmt.Sprintf("plan from %v to %v", d["old_plan"], d["new_plan"])
	}},
	{[]string{"reason"}, func(d map[string]any) string { return strings.ReplaceAll(fmt.Sprint(d["reason"]), "_", " ") }},
	{[]string{"rule"}, func(d map[string]any) string {
		return "rate limit of " + strings.ReplaceAll(fmt.Sprint(d["rule"]), "_", " ")
	}},
	{[]string{"scopes"}, func(d map[string]any) string { return "scopes " + strings.Join(words(d["scopes"]), ", ") }},
	{[]string{"team_slug"}, func(d map[string]any) string { return fmt.Sprintf("team %v", d["team_slug"]) }},
	{[]string{"invitation_id"}, func(d map[string]any) string { return fmt.Sprintf("joined through invitation %v", d["invitation_id"]) }},
	{[]string{"name"}, func(map[string]any) string { return "" }},  // shown with the target
	{[]string{"email"}, func(map[string]any) string { return "" }}, // shown with the target (an invitation)
}

// detailsOf writes an event's details as a sentence: the phrases of the
// entries it knows, in detailPhrases' order, then the others as
// "entry: value", sorted.
func detailsOf(d map[string]any) string {
	var parts []string
	done := map[string]bool{}
	for _, p := range detailPhrases {
		if !slices.ContainsFunc(p.keys, func(k string) bool { _, ok := d[k]; return ok }) {
			continue
		}
		for _, k := range p.keys {
			done[k] = true
		}
		if s := p.phrase(d); s != "" {
			parts = append(parts, s)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d)) {
		if !done[k] {
			parts = append(parts, fmt.Sprintf("%s: %s", strings.ReplaceAll(k, "_", " "), strings.Join(words(d[k]), ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

// roleWord is a stored role's label ("Developer").
func roleWord(v any) string {
	s, _ := v.(string)
	return roleLabel(pome.Role(s))
}

// timeWord is a stored RFC 3339 time as the pages write exact times.
func timeWord(v any) string {
	s := fmt.Sprint(v)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return exactTime(t)
}

// words are a stored value's parts: a list's items, or the value itself.
func words(v any) []string {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case []string:
		return v
	}
	return []string{fmt.Sprint(v)}
}
