package httpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pomehq/pome"
	"github.com/prometheus/client_golang/prometheus"
)

// How a forwarded request ends (docs/protect.md): a response body the
// upstream stops sending is cut after the idle timeout; a request whose key
// is revoked, or whose team is banned, is cut when the change reaches the
// node (streams.go); and a request cut on either side — those, the client
// gone, the upstream broken mid-body — still has its access log line and
// is counted by reason in pome_gateway_aborted_total.

// DefaultUpstreamIdleTimeout is how long an upstream may send nothing in
// the middle of a response body before Pome cuts it.
const DefaultUpstreamIdleTimeout = 60 * time.Second

// errUpstreamIdle ends a response whose upstream sent nothing for the idle
// timeout.
var errUpstreamIdle = errors.New("httpserver: gateway: upstream sent nothing for the idle timeout")

// Reasons a forwarded request was cut: the access log's "aborted" and the
// metric's label.
const (
	cutClient   = "client"   // the client went away
	cutUpstream = "upstream" // the upstream broke off mid-body
	cutIdle     = "idle"     // the upstream stalled past the idle timeout
	cutRevoked  = "revoked"  // the key may no longer be used (revoked, team banned, ...)
)

// cutCounters counts cut requests by reason, every series made up front.
type cutCounters map[string]prometheus.Counter

func newCutCounters(reg *prometheus.Registry) cutCounters {
	vec := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pome_gateway_aborted_total",
		Help: "Gateway requests cut before their end, by reason: client, upstream, idle, revoked.",
	}, []string{"reason"}))
	c := cutCounters{}
	for _, r := range []string{cutClient, cutUpstream, cutIdle, cutRevoked} {
		c[r] = vec.WithLabelValues(r)
	}
	return c
}

// upstreamBody is the upstream's response body as the proxy copies it to
// the client (or, after a 101, the upstream's side of the tunnel). It
// times the waits for the upstream's bytes, and notes its bytes and its
// error.
type upstreamBody struct {
	io.ReadCloser
	// idle is the idle timeout, 0 for a tunnel: a websocket may rightly
	// stay silent; its client closes it. timer cancels the request when a
	// read waits longer.
	idle   time.Duration
	timer  *time.Timer
	cancel context.CancelCauseFunc
	n      atomic.Int64 // bytes read: a tunnel's are read on a goroutine of the proxy's
	err    error        // the first read error but EOF (bodies only: read on the handler's goroutine)
}

func (b *upstreamBody) Read(p []byte) (int, error) {
	if b.idle > 0 {
		if b.timer == nil {
			b.timer = time.AfterFunc(b.idle, b.expire)
		} else {
			b.timer.Reset(b.idle)
		}
	}
	n, err := b.ReadCloser.Read(p)
	if b.timer != nil {
		b.timer.Stop() // the wait is over: a slow client is no idle upstream
	}
	b.n.Add(int64(n))
	if err != nil && err != io.EOF && b.err == nil && b.idle > 0 {
		b.err = err
	}
	return n, err
}

func (b *upstreamBody) expire() { b.cancel(errUpstreamIdle) }

// Write writes to the upstream's side of a tunnel: ReverseProxy wants a
// 101's body to be an io.ReadWriteCloser.
func (b *upstreamBody) Write(p []byte) (int, error) {
	w, ok := b.ReadCloser.(io.Writer)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	return w.Write(p)
}

// watch puts res's body under fw's watch.
func (fw *forwarded) watch(res *http.Response, idle time.Duration) {
	fw.body.ReadCloser, fw.body.cancel = res.Body, fw.cancel
	if res.StatusCode == http.StatusSwitchingProtocols {
		fw.upgraded = true
	} else {
		fw.body.idle = idle
	}
	res.Body = &fw.body
}

// end records how the request ended on rec, for the access log and the
// metrics, and logs a cut the client did not cause. completed is false when
// the proxy aborted the response (http.ErrAbortHandler): the connection is
// then dropped by recoverPanics' caller once the request is logged.
func (fw *forwarded) end(ctx context.Context, r *http.Request, rec *recorder, completed bool, log *slog.Logger, cuts cutCounters) {
	if fw.body.timer != nil {
		fw.body.timer.Stop()
	}
	if fw.upgraded {
		rec.status = http.StatusSwitchingProtocols // written on the hijacked connection, never through rec
		rec.bytes = fw.body.n.Load()
	}
	cause := context.Cause(ctx)
	var refused *pome.Error
	reason := ""
	switch {
	case errors.Is(cause, errUpstreamIdle):
		reason = cutIdle
		log.LogAttrs(ctx, slog.LevelWarn, "gateway: upstream idle, response cut",
			slog.String("request_id", requestIDOf(rec)), slog.Int64("bytes", rec.bytes))
	case errors.As(cause, &refused):
		reason = cutRevoked
		log.LogAttrs(ctx, slog.LevelInfo, "gateway: key refused, stream closed",
			slog.String("request_id", requestIDOf(rec)), slog.String("code", refused.Code))
	case r.Context().Err() != nil && (!completed || !rec.written()):
		reason = cutClient
	case !completed && fw.body.err != nil:
		reason = cutUpstream
		log.LogAttrs(ctx, slog.LevelWarn, "gateway: upstream broke off the response",
			slog.String("request_id", requestIDOf(rec)), slog.String("err", fw.body.err.Error()))
	case !completed:
		reason = cutClient // the write to the client failed
	}
	if reason != "" {
		rec.cut = reason
		cuts[reason].Inc()
	}
}
