// Package webhook sends the events the stores queue (their outbox, written
// in the transaction of each change) to the endpoints subscribed to them,
// signed as Standard Webhooks are (docs/api.md, "Webhooks"), and manages
// those endpoints.
//
// Every node runs a Deliverer. A pass claims endpoints whose oldest
// undelivered message is due, each with a lease that only one node holds,
// and sends their messages in order: a failure holds the ones behind it
// until it is delivered or given up after pome.WebhookRetryFor, so that a
// receiver sees an endpoint's events in the order they happened. A node
// that dies mid-delivery leaves its lease to run out; another node then
// sends again what it had not recorded: delivery is at least once, and the
// webhook-id header (the event's id) lets a receiver drop a repeat.
package webhook
