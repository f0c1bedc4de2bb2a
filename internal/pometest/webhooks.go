package pometest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// VerifyWebhook checks a delivery as a receiver does, written from the
// Standard Webhooks specification (github.com/standard-webhooks), not from
// Pome's signing code: the secret is whsec_ and base64; the signed content
// is "<webhook-id>.<webhook-timestamp>.<body>"; webhook-signature holds
// space-separated "v1,<base64 HMAC-SHA256>", any one of which may match; a
// timestamp more than 5 minutes off the receiver's clock is refused.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return errors.New("secret is not whsec_ and base64")
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not a number")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("webhook-timestamp too far from now")
	}
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, id+"."+ts+".")
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no signature matches")
}

// Delivery is what a Receiver got.
type Delivery struct {
	Header http.Header
	Body   []byte
}

// WebhookEvent is a delivery's body.
type WebhookEvent struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		EventID   string         `json:"event_id"`
		TeamID    string         `json:"team_id"`
		TargetID  string         `json:"target_id"`
		ActorType string         `json:"actor_type"`
		IP        string         `json:"ip"`
		UserAgent string         `json:"user_agent"`
		Details   map[string]any `json:"details"`
	} `json:"data"`
}

// Event decodes the body.
func (d Delivery) Event(t testing.TB) WebhookEvent {
	t.Helper()
	var e WebhookEvent
	if err := json.Unmarshal(d.Body, &e); err != nil {
		t.Fatalf("webhook body %s: %v", d.Body, err)
	}
	return e
}

// Receiver is a webhook receiver: a real HTTP server on loopback that
// records every request and answers with Status(n) for the n-th (from 1),
// 204 when Status is nil.
type Receiver struct {
	*httptest.Server
	Status func(n int) int

	mu  sync.Mutex
	got []Delivery
}

// NewReceiver starts a receiver that stops when the test ends.
func NewReceiver(t testing.TB, status func(n int) int) *Receiver {
	r := &Receiver{Status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, Delivery{Header: req.Header.Clone(), Body: body})
		n := len(r.got)
		r.mu.Unlock()
		code := http.StatusNoContent
		if r.Status != nil {
			code = r.Status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

// Deliveries returns what the receiver got, in order.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}
