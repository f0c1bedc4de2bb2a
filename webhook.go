package pome

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// WebhookEventTypes are the audit actions a webhook endpoint may subscribe
// to (docs/api.md, "Webhooks"), in the order docs and help show them. The
// store that appends a successful audit event of one of them queues a
// message to every endpoint subscribed to it, in the same transaction.
var WebhookEventTypes = []string{
	AuditKeyCreated, AuditKeyRevoked, AuditKeyRolled, AuditKeyExpired, AuditKeyLeaked,
	AuditKeyCanaryUsed, AuditCreditsLow, AuditCreditsExhausted, AuditTeamBanned,
	AuditMemberAdded, AuditMemberRemoved,
}

// IsWebhookEvent reports whether ev is sent to webhooks: one of
// WebhookEventTypes, about a team. Its result does not matter: each of
// them records something that happened, a refused use of an expired key
// (a failure) as much as a revocation.
func IsWebhookEvent(ev AuditEvent) bool {
	return ev.TeamID != "" && slices.Contains(WebhookEventTypes, ev.Action)
}

// MaxWebhookEndpoints is how many endpoints a team may have, and how many
// the platform may have for every team's events (ErrTooManyWebhooks).
const MaxWebhookEndpoints = 20

// TargetWebhook is the target type of the endpoints' own audit events.
const TargetWebhook = "webhook"

// Audit actions of the endpoints themselves.
const (
	AuditWebhookCreated = "webhook.created"
	AuditWebhookDeleted = "webhook.deleted"
)

// WebhookEndpoint is a URL that receives a platform's or a team's events.
type WebhookEndpoint struct {
	ID  string // whk_ + 16 base62
	URL string
	// TeamID is the one team whose events the endpoint receives; empty:
	// every team's (only the platform API and the operator make those).
	TeamID string
	Events []string // a sorted subset of WebhookEventTypes, never empty
	// Secret signs every delivery (HMAC-SHA256). Unlike a key's, the store
	// holds it as it is: signing needs it.
	Secret    []byte
	CreatedAt time.Time
	// FailingSince is when a message was given up after retrying for
	// WebhookRetryFor; zero while deliveries succeed. The next success
	// clears it.
	FailingSince time.Time
}

// WebhookRetryFor is how long a message is retried before it is given up
// and its endpoint marked failing.
const WebhookRetryFor = 24 * time.Hour

// WebhookMessage is one event queued for one endpoint (the outbox).
type WebhookMessage struct {
	EndpointID string
	EventID    string // the audit event's id, sent as webhook-id: the same at every attempt
	Type       string
	Payload    []byte // the body, as WebhookPayload made it
	CreatedAt  time.Time
	Attempts   int       // made so far
	NextAt     time.Time // when the next attempt is due
}

// WebhookBatch is an endpoint claimed for delivery with its undelivered
// messages in the order their events committed: the first is due.
type WebhookBatch struct {
	Endpoint WebhookEndpoint
	Messages []WebhookMessage
}

// The outcomes of a WebhookAttempt.
const (
	WebhookDelivered = "delivered" // a 2xx answer
	WebhookRetrying  = "retrying"  // failed, tried again at the message's next time
	WebhookFailed    = "failed"    // failed after WebhookRetryFor: given up
)

// WebhookAttempt is one delivery attempt, as the deliveries log lists it.
type WebhookAttempt struct {
	Seq        int64 // set by the store: the log's order
	EndpointID string
	EventID    string
	Type       string
	Attempt    int // 1 for the first
	At         time.Time
	Status     int // the HTTP status; 0 if none came
	Latency    time.Duration
	Error      string // why it failed, in a few words; empty on success
	Outcome    string // WebhookDelivered, WebhookRetrying or WebhookFailed
}

// webhookPayload is the body of a delivery: the Standard Webhooks shape,
// its data the audit event (never a secret: AuditEvent holds none).
type webhookPayload struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      webhookData `json:"data"`
}

type webhookData struct {
	EventID    string         `json:"event_id"`
	TeamID     string         `json:"team_id"`
	ActorType  string         `json:"actor_type"`
	ActorID    string         `json:"actor_id"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	RequestID  string         `json:"request_id"`
	IP         string         `json:"ip"`
	UserAgent  string         `json:"user_agent"`
	Details    map[string]any `json:"details"`
}

// WebhookPayload is the body every endpoint receives for ev.
func WebhookPayload(ev AuditEvent) ([]byte, error) {
	d := ev.Details
	if d == nil {
		d = map[string]any{}
	}
	return json.Marshal(webhookPayload{Type: ev.Action, Timestamp: ev.At.UTC(), Data: webhookData{
		EventID: ev.ID, TeamID: ev.TeamID, ActorType: ev.ActorType, ActorID: ev.ActorID,
		TargetType: ev.TargetType, TargetID: ev.TargetID, RequestID: ev.RequestID,
		IP: ev.IP, UserAgent: ev.UserAgent, Details: d,
	}})
}

// SplitWebhookEvents reads a store's comma-separated list of event types,
// sorted.
func SplitWebhookEvents(s string) []string {
	if s == "" {
		return nil
	}
	events := strings.Split(s, ",")
	slices.Sort(events)
	return events
}
