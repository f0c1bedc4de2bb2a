package httpserver

import (
	"net/http"
	"strconv"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
)

// Webhook endpoints as both APIs show them (platform_webhooks.go, and the
// team's own in the session API).

func webhookOf(e pome.WebhookEndpoint, secret string) client.Webhook {
	w := client.Webhook{ID: e.ID, URL: e.URL, Events: e.Events, Team: e.TeamID, Status: "active",
		CreatedAt: e.CreatedAt, Secret: secret}
	if !e.FailingSince.IsZero() {
		w.Status, w.FailingSince = "failing", &e.FailingSince
	}
	return w
}

func webhooksOf(es []pome.WebhookEndpoint) client.WebhookList {
	l := client.WebhookList{Webhooks: make([]client.Webhook, 0, len(es))}
	for _, e := range es {
		l.Webhooks = append(l.Webhooks, webhookOf(e, ""))
	}
	return l
}

// webhookDeleted is the answer of a deletion.
func webhookDeleted(id string) client.DeletedWebhook {
	return client.DeletedWebhook{Success: true, Message: "Webhook endpoint deleted", ID: id}
}

// deliveriesPage is how many attempts a page of the deliveries log holds.
const deliveriesPage = 50

// deliveryCursor reads ?cursor=, the seq of the last attempt of the page
// before (0: the first page).
func deliveryCursor(r *http.Request) (int64, error) {
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return 0, nil
	}
	seq, err := strconv.ParseInt(c, 10, 64)
	if err != nil || seq <= 0 {
		return 0, pome.InvalidParameter("'cursor' is not a cursor of this list: use next_cursor of the page before")
	}
	return seq, nil
}

// deliveriesOf is a page of attempts.
func deliveriesOf(as []pome.WebhookAttempt) client.WebhookDeliveryList {
	l := client.WebhookDeliveryList{Deliveries: make([]client.WebhookDelivery, 0, len(as))}
	for _, a := range as {
		l.Deliveries = append(l.Deliveries, client.WebhookDelivery{EventID: a.EventID, Type: a.Type, Attempt: a.Attempt,
			At: a.At, StatusCode: a.Status, LatencyMS: float64(a.Latency.Microseconds()) / 1000, Error: a.Error, Outcome: a.Outcome})
	}
	l.NextCursor = deliveriesCursor(as)
	return l
}

// deliveriesCursor is the cursor of the page after as: a full page has
// one, the last page none ("").
func deliveriesCursor(as []pome.WebhookAttempt) string {
	if len(as) < deliveriesPage {
		return ""
	}
	return strconv.FormatInt(as[len(as)-1].Seq, 10)
}
