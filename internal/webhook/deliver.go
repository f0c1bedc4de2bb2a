package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// Store is what a Deliverer needs of pome.Store.
type Store interface {
	ClaimWebhooks(ctx context.Context, node string, now, until time.Time, limit, perEndpoint int) ([]pome.WebhookBatch, error)
	RecordWebhookAttempt(ctx context.Context, a pome.WebhookAttempt, next time.Time) error
	ReleaseWebhooks(ctx context.Context, node string, ids []string) error
	PruneWebhooks(ctx context.Context, before time.Time) error
}

// Timings of delivery.
const (
	// Interval is how often a node looks for messages due: an event is
	// sent within about a second of its commit.
	Interval = time.Second
	// lease is how long a claim holds an endpoint. A pass sends an
	// endpoint's messages while at least an attempt's timeout and a
	// margin for recording it are left of it, so that a lease never runs
	// out under a node that is still sending (another node would send the
	// same message again).
	lease       = 2 * time.Minute
	leaseMargin = AttemptTimeout + 15*time.Second
	// endpointsPerPass bounds the endpoints a node sends to at once;
	// perEndpoint the messages a claim reads of each.
	endpointsPerPass = 16
	perEndpoint      = 50
	// firstRetry and maxRetry shape the backoff: the n-th retry waits
	// firstRetry·4ⁿ⁻¹, at most maxRetry, each ±25 % (jitter, so that the
	// retries of many messages failed at once do not arrive together):
	// 5 s, 20 s, 80 s, 5 min, 21 min, 85 min, then every 2 h until
	// pome.WebhookRetryFor has passed since the event.
	firstRetry = 5 * time.Second
	maxRetry   = 2 * time.Hour
	// Keep is how long delivered and given-up messages and the attempts
	// log are kept; pruneEvery how often they are pruned.
	Keep       = 30 * 24 * time.Hour
	pruneEvery = time.Hour
	// releaseTimeout bounds the release of a pass's leases.
	releaseTimeout = 5 * time.Second
)

// Deliverer sends the queued messages of a node's store.
type Deliverer struct {
	store  Store
	node   string
	client *http.Client
	now    func() time.Time
	log    *slog.Logger

	// busy holds a token per endpoint being sent to: at most
	// endpointsPerPass at once, and a slow endpoint holds up only itself.
	busy      chan struct{}
	lastPrune time.Time
}

// NewDeliverer returns a deliverer for node, sending with client
// (NewClient) on the clock now, warning log (nil: nowhere) of its failures.
func NewDeliverer(store Store, node string, client *http.Client, now func() time.Time, log *slog.Logger) *Deliverer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{store: store, node: node, client: client, now: now, log: log,
		busy: make(chan struct{}, endpointsPerPass)}
}

// Run looks for messages due every interval until ctx ends, and sends each
// endpoint's in a goroutine of its own, so that an endpoint that answers
// slowly delays no other. Ending ctx aborts the attempts under way, which
// are not recorded: their messages are sent again, by this node's next run
// or by another once the lease runs out. Run returns once they have ended.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) {
	var sending sync.WaitGroup
	defer sending.Wait()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.start(ctx, &sending, func(err error) {
			if ctx.Err() == nil {
				d.log.Warn("webhook delivery", "err", err)
			}
		})
	}
}

// Pass sends what is due now and returns once it is sent, or waits for a
// retry, and the leases are released: Run's step, for tests to drive.
func (d *Deliverer) Pass(ctx context.Context) error {
	var (
		sending sync.WaitGroup
		mu      sync.Mutex
		errs    []error
	)
	d.start(ctx, &sending, func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	})
	sending.Wait()
	return errors.Join(errs...)
}

// start claims as many endpoints with a message due as there is room for
// and sends each one's messages in a goroutine counted by sending. It
// tells report of every error.
func (d *Deliverer) start(ctx context.Context, sending *sync.WaitGroup, report func(error)) {
	now := d.now()
	if now.Sub(d.lastPrune) >= pruneEvery {
		if err := d.store.PruneWebhooks(ctx, now.Add(-Keep)); err != nil {
			report(err)
			return
		}
		d.lastPrune = now
	}
	room := cap(d.busy) - len(d.busy)
	if room == 0 {
		return
	}
	until := now.Add(lease)
	batches, err := d.store.ClaimWebhooks(ctx, d.node, now, until, room, perEndpoint)
	if err != nil {
		report(err)
		return
	}
	for _, b := range batches {
		d.busy <- struct{}{} // room was made for each
		sending.Go(func() {
			defer func() { <-d.busy }()
			err := d.sendBatch(ctx, b, until)
			// Released even when ctx ended, so that the next node need
			// not wait for the lease to run out.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			defer cancel()
			if err = errors.Join(err, d.store.ReleaseWebhooks(rctx, d.node, []string{b.Endpoint.ID})); err != nil {
				report(err)
			}
		})
	}
}

// sendBatch sends an endpoint's messages in order until one is left to a
// retry or the lease runs short.
func (d *Deliverer) sendBatch(ctx context.Context, b pome.WebhookBatch, until time.Time) error {
	for _, m := range b.Messages {
		now := d.now()
		if m.NextAt.After(now) || until.Sub(now) < leaseMargin {
			return nil
		}
		a, next := d.attempt(ctx, b.Endpoint, m)
		if ctx.Err() != nil {
			return ctx.Err() // aborted by this node, not failed by the receiver
		}
		if err := d.store.RecordWebhookAttempt(ctx, a, next); err != nil {
			return err
		}
		if a.Outcome == pome.WebhookRetrying {
			return nil
		}
	}
	return nil
}

// attempt sends m once and says what came of it, and when to try again.
func (d *Deliverer) attempt(ctx context.Context, e pome.WebhookEndpoint, m pome.WebhookMessage) (pome.WebhookAttempt, time.Time) {
	start := d.now()
	a := pome.WebhookAttempt{EndpointID: e.ID, EventID: m.EventID, Type: m.Type, Attempt: m.Attempts + 1, At: start}
	a.Status, a.Error = d.post(ctx, e, m, start)
	a.Latency = max(d.now().Sub(start), 0)
	switch {
	case a.Error == "":
		a.Outcome = pome.WebhookDelivered
	case start.Sub(m.CreatedAt) >= pome.WebhookRetryFor:
		a.Outcome = pome.WebhookFailed
	default:
		a.Outcome = pome.WebhookRetrying
		return a, start.Add(Backoff(a.Attempt, rand.Float64()))
	}
	return a, time.Time{}
}

// post makes the request of one attempt: its status, and why it failed
// ("" for a 2xx).
func (d *Deliverer) post(ctx context.Context, e pome.WebhookEndpoint, m pome.WebhookMessage, at time.Time) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(m.Payload))
	if err != nil {
		return 0, "invalid URL"
	}
	ts := at.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Pome-Webhooks")
	req.Header.Set("webhook-id", m.EventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(e.Secret, m.EventID, ts, m.Payload))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, describe(err)
	}
	defer resp.Body.Close()
	// One byte past the bound tells a body that is too long.
	n, err := io.CopyN(io.Discard, resp.Body, maxResponse+1)
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return resp.StatusCode, "status " + strconv.Itoa(resp.StatusCode)
	case n > maxResponse:
		return resp.StatusCode, "the response is longer than 64 KiB"
	case err != nil && err != io.EOF:
		return resp.StatusCode, "reading the response: " + describe(err)
	}
	return resp.StatusCode, ""
}

// describe says in a few words why a request failed, for the deliveries
// log: never the URL, which may carry a secret of the receiver's.
func describe(err error) string {
	switch {
	case errors.Is(err, errPrivateAddress):
		return "refused: " + errPrivateAddress.Error()
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Sprintf("timeout (%s)", AttemptTimeout)
	}
	var oe interface{ Unwrap() error }
	for errors.As(err, &oe) && oe.Unwrap() != nil {
		err = oe.Unwrap()
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// Backoff is the wait before retry n (1 for the first), for a jitter j in
// [0, 1).
func Backoff(n int, j float64) time.Duration {
	wait := maxRetry
	if n <= 7 {
		wait = min(firstRetry<<(2*(n-1)), maxRetry)
	}
	return time.Duration(float64(wait) * (0.75 + j/2))
}
