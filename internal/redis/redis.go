// Package redis implements ratelimit.Limiter on Redis, so that every node of
// a deployment shares each counter: GCRA through github.com/go-redis/redis_rate,
// whose script runs atomically in Redis with Redis's clock, on
// github.com/redis/go-redis.
//
// When Redis cannot be reached, each rule either falls back to a limiter of
// this node (its quota then holds per node, not across nodes, until Redis
// answers again) or fails closed (the Limiter answers an error, and the
// caller 503): Options.FailClosed chooses per rule.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/pomehq/pome/internal/ratelimit"
)

var _ ratelimit.Limiter = (*Limiter)(nil)

// Defaults of the Redis client, unless the URL sets them: a limit check is
// on the request path, so an unreachable Redis must cost little, and a
// failure is never retried (the fallback answers instead).
const (
	defaultDialTimeout = time.Second
	defaultIOTimeout   = 500 * time.Millisecond
	// downFor is how long after a failure the Limiter answers without
	// trying Redis, so that an outage does not cost every request a
	// timeout.
	downFor = time.Second
)

// redisRatePrefix is the prefix redis_rate puts before every key it is given.
const redisRatePrefix = "rate:"

// Options configure a Limiter.
type Options struct {
	// Fallback answers, while Redis cannot be reached, for every rule that
	// does not fail closed. Nil: every rule fails closed.
	Fallback ratelimit.Limiter
	// FailClosed reports the rules that must not fall back: while Redis
	// cannot be reached they answer an error. Nil: none.
	FailClosed func(ratelimit.Rule) bool
	// Prefix starts every counter's key; "pome:" if empty.
	Prefix string
	// Log is told when Redis becomes unreachable, and when it answers
	// again; nil: slog.Default().
	Log *slog.Logger
	// Now is the clock of the down period; time.Now if nil. Redis's own
	// clock times the counters.
	Now func() time.Time
}

// Limiter is a ratelimit.Limiter on Redis.
type Limiter struct {
	rdb    *goredis.Client
	rate   *redis_rate.Limiter
	opts   Options
	downTo atomic.Int64 // unix nanoseconds until which Redis is not tried
	since  atomic.Int64 // unix nanoseconds: when the outage began; 0: none
}

// New returns a Limiter on the Redis server at url (redis://[:password@]host:port/db
// or rediss://...). It does not connect: a Redis that is down at start is
// treated as one that goes down later. Ping tells whether it answers.
func New(url string, opts Options) (*Limiter, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		// The error may quote the URL, password included.
		return nil, errors.New("redis: the Redis URL cannot be parsed (want redis://host:port/db)")
	}
	if !strings.Contains(url, "dial_timeout") {
		o.DialTimeout = defaultDialTimeout
	}
	if !strings.Contains(url, "read_timeout") {
		o.ReadTimeout = defaultIOTimeout
	}
	if !strings.Contains(url, "write_timeout") {
		o.WriteTimeout = defaultIOTimeout
	}
	if !strings.Contains(url, "max_retries") {
		o.MaxRetries = -1
	}
	o.DialerRetries = 1 // a down Redis is answered by the fallback, not waited for
	if opts.Prefix == "" {
		opts.Prefix = "pome:"
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rdb := goredis.NewClient(o)
	return &Limiter{rdb: rdb, rate: redis_rate.NewLimiter(rdb), opts: opts}, nil
}

// Ping reports whether Redis answers.
func (l *Limiter) Ping(ctx context.Context) error {
	if err := l.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// Close closes the connections to Redis.
func (l *Limiter) Close() error { return l.rdb.Close() }

// key is the Redis key of one counter: the rule's name, limit and period
// (so that nodes configured differently during a rolling change do not
// share a counter under two meanings) and the caller's key.
func (l *Limiter) key(key string, r ratelimit.Rule) string {
	return l.opts.Prefix + r.Name + ":" + strconv.Itoa(r.Limit) + "/" + r.Period.String() + ":" + key
}

func limitOf(r ratelimit.Rule) redis_rate.Limit {
	return redis_rate.Limit{Rate: r.Limit, Burst: r.Limit, Period: r.Period}
}

// Allow implements ratelimit.Limiter: one round trip to Redis.
func (l *Limiter) Allow(ctx context.Context, key string, r ratelimit.Rule) (ratelimit.Decision, error) {
	if r.Unlimited() {
		return ratelimit.Decision{Allowed: true}, nil
	}
	var cause error = errDown
	if !l.down() {
		res, err := l.rate.Allow(ctx, l.key(key, r), limitOf(r))
		if err == nil {
			l.markUp()
			return decision(res, r), nil
		}
		if ctx.Err() != nil {
			return ratelimit.Decision{}, fmt.Errorf("redis: allow: %w", err)
		}
		l.markDown(err)
		cause = err
	}
	if fb := l.fallbackFor(r); fb != nil {
		return fb.Allow(ctx, key, r)
	}
	return ratelimit.Decision{}, fmt.Errorf("redis: allow %s: %w", r.Name, cause)
}

// Refund implements ratelimit.Limiter.
//
// redis_rate takes a negative cost as a refund, but it stores a counter's
// state only while the quota is not whole: a refund that makes it whole
// again would leave the old state in place. So when the refund's answer says
// the quota is whole, the counter is deleted, as redis_rate's own Reset does,
// under WATCH: if another node took a unit in between, the delete is not
// done and the refund is tried again.
func (l *Limiter) Refund(ctx context.Context, key string, r ratelimit.Rule) error {
	if r.Unlimited() {
		return nil
	}
	if l.down() {
		if fb := l.fallbackFor(r); fb != nil {
			return fb.Refund(ctx, key, r)
		}
		return fmt.Errorf("redis: refund %s: %w", r.Name, errDown)
	}
	k := l.key(key, r)
	var err error
	for range 3 {
		err = l.rdb.Watch(ctx, func(tx *goredis.Tx) error {
			res, err := redis_rate.NewLimiter(tx).AllowN(ctx, k, limitOf(r), -1)
			if err != nil || res.ResetAfter > 0 {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				p.Del(ctx, redisRatePrefix+k)
				return nil
			})
			return err
		}, redisRatePrefix+k)
		if !errors.Is(err, goredis.TxFailedErr) {
			break
		}
	}
	if err == nil {
		l.markUp()
	}
	if err != nil && !errors.Is(err, goredis.TxFailedErr) {
		if ctx.Err() == nil {
			l.markDown(err)
		}
		// The unit may have been taken from this node's fallback while
		// Redis was away: give it back there too. A bucket caps at its
		// quota, so this never adds a unit.
		if fb := l.fallbackFor(r); fb != nil {
			fb.Refund(ctx, key, r)
		}
		return fmt.Errorf("redis: refund: %w", err)
	}
	return nil
}

var errDown = errors.New("redis is unreachable")

func (l *Limiter) fallbackFor(r ratelimit.Rule) ratelimit.Limiter {
	if l.opts.Fallback == nil || l.opts.FailClosed != nil && l.opts.FailClosed(r) {
		return nil
	}
	return l.opts.Fallback
}

func (l *Limiter) down() bool { return l.opts.Now().UnixNano() < l.downTo.Load() }

// markDown stops trying Redis for downFor, and logs the first failure of an
// outage.
func (l *Limiter) markDown(err error) {
	now := l.opts.Now().UnixNano()
	l.downTo.Store(now + int64(downFor))
	if l.since.CompareAndSwap(0, now) {
		l.opts.Log.Warn("Redis unreachable: rate limits fall back to this node's counters, or fail closed, until it answers", "err", err)
	}
}

// markUp ends an outage, if one is on, and logs how long it lasted: Redis
// has just answered.
func (l *Limiter) markUp() {
	if l.since.Load() == 0 {
		return
	}
	if since := l.since.Swap(0); since != 0 {
		d := time.Duration(l.opts.Now().UnixNano() - since)
		l.opts.Log.Info("Redis reachable again", "outage", d.Round(time.Millisecond).String())
	}
}

// SetLog sends go-redis's own log lines (a connection pool that fails to
// dial, a connection it cannot close) to log, as JSON warnings like Pome's,
// instead of plain text on stderr. go-redis has one logger per process:
// the last call wins.
func SetLog(log *slog.Logger) { goredis.SetLogger(clientLog{log}) }

// clientLog is go-redis's logger on a *slog.Logger.
type clientLog struct{ log *slog.Logger }

func (c clientLog) Printf(ctx context.Context, format string, v ...any) {
	c.log.WarnContext(ctx, "Redis client", "detail", strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// decision converts redis_rate's answer.
func decision(res *redis_rate.Result, r ratelimit.Rule) ratelimit.Decision {
	d := ratelimit.Decision{
		Allowed:    res.Allowed > 0,
		Limit:      r.Limit,
		Remaining:  min(max(res.Remaining, 0), r.Limit),
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !d.Allowed {
		d.RetryAfter = max(res.RetryAfter, time.Nanosecond)
	}
	return d
}
