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
	// endpointsPerPass bounds a pass's claim, and so the concurrent
	// deliveries of a node; perEndpoint the messages a claim reads.
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

	lastPrune time.Time
}

// NewDeliverer returns a deliverer for node, sending with client
// (NewClient) on the clock now, warning log (nil: nowhere) of its failures.
func NewDeliverer(store Store, node string, client *http.Client, now func() time.Time, log *slog.Logger) *Deliverer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{store: store, node: node, client: client, now: now, log: log}
}

// Run makes a pass every interval until ctx ends. Ending it aborts the
// attempts under way, which are not recorded: their messages are sent
// again, by this node's next run or by another once the lease runs out.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.Pass(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook delivery", "err", err)
		}
	}
}

// Pass claims the endpoints with a message due and sends their messages,
// each endpoint's in order, endpoints at once; it returns once they are
// sent or wait for a retry, and the leases are released.
func (d *Deliverer) Pass(ctx context.Context) error {
	now := d.now()
	if now.Sub(d.lastPrune) >= pruneEvery {
		if err := d.store.PruneWebhooks(ctx, now.Add(-Keep)); err != nil {
			return err
		}
		d.lastPrune = now
	}
	until := now.Add(lease)
	batches, err := d.store.ClaimWebhooks(ctx, d.node, now, until, endpointsPerPass, perEndpoint)
	if err != nil || len(batches) == 0 {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(batches))
	ids := make([]string, len(batches))
	for i, b := range batches {
		ids[i] = b.Endpoint.ID
		wg.Go(func() { errs[i] = d.sendBatch(ctx, b, until) })
	}
	wg.Wait()
	// Released even when ctx ended, so that the next node need not wait
	// for the leases to run out.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	return errors.Join(append(errs, d.store.ReleaseWebhooks(rctx, d.node, ids))...)
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
	_, err = io.CopyN(io.Discard, resp.Body, maxResponse)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "status " + strconv.Itoa(resp.StatusCode)
	}
	if err != nil && err != io.EOF {
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
