package redis_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/redis"
	"github.com/pomehq/pome/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// redisURL is the test Redis, or the test is skipped (failed in CI): Redis
// tests run wherever POME_TEST_REDIS_URL is set, and CI sets it.
func redisURL(t testing.TB) string {
	t.Helper()
	return testenv.RedisURL(t)
}

// mustNew returns a Limiter on url whose counters no other test shares
// (prefix), closed when the test ends.
func mustNew(t testing.TB, url, prefix string, opts redis.Options) *redis.Limiter {
	t.Helper()
	opts.Prefix = prefix
	if opts.Log == nil {
		opts.Log = quiet
	}
	l, err := redis.New(url, opts)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func testPrefix() string { return "pometest:" + rand.Text()[:10] + ":" }

var rule = ratelimit.Rule{Name: "create_key", Limit: 10, Period: time.Minute}

// Two nodes share one quota: ten creates a minute in all, wherever they land.
func TestSharedAcrossNodes(t *testing.T) {
	t.Parallel()
	url, prefix := redisURL(t), testPrefix()
	nodes := []*redis.Limiter{mustNew(t, url, prefix, redis.Options{}), mustNew(t, url, prefix, redis.Options{})}
	for i := range rule.Limit {
		d, err := nodes[i%2].Allow(t.Context(), "usr_a", rule)
		if err != nil || !d.Allowed || d.Limit != rule.Limit || d.Remaining != rule.Limit-1-i {
			t.Fatalf("Allow #%d on node %d = %+v, %v, want allowed with %d remaining", i+1, i%2, d, err, rule.Limit-1-i)
		}
	}
	d, err := nodes[0].Allow(t.Context(), "usr_a", rule)
	if err != nil || d.Allowed || d.Remaining != 0 || d.RetryAfter <= 0 || d.RetryAfter > 6*time.Second+time.Millisecond ||
		d.ResetAfter <= 54*time.Second || d.ResetAfter > time.Minute {
		t.Errorf("Allow #11 = %+v, %v, want refused, retry after ≤ 6s, reset after ~60s", d, err)
	}
	// Another key, and another rule on the same key, have quotas of their own.
	if d, err := nodes[1].Allow(t.Context(), "usr_b", rule); err != nil || !d.Allowed {
		t.Errorf("Allow(another user) = %+v, %v, want allowed", d, err)
	}
	other := ratelimit.Rule{Name: "revoke_key", Limit: 10, Period: time.Minute}
	if d, err := nodes[1].Allow(t.Context(), "usr_a", other); err != nil || !d.Allowed {
		t.Errorf("Allow(another rule) = %+v, %v, want allowed", d, err)
	}
	if d, err := nodes[1].Allow(t.Context(), "usr_a", ratelimit.Rule{Name: "off"}); err != nil || !d.Allowed {
		t.Errorf("Allow(unlimited rule) = %+v, %v, want allowed", d, err)
	}
}

// Parallel bursts never overshoot the quota, from any number of nodes.
func TestParallelBurst(t *testing.T) {
	t.Parallel()
	url, prefix := redisURL(t), testPrefix()
	nodes := []*redis.Limiter{mustNew(t, url, prefix, redis.Options{}), mustNew(t, url, prefix, redis.Options{}), mustNew(t, url, prefix, redis.Options{})}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			d, err := nodes[i%3].Allow(t.Context(), "usr_burst", rule)
			if err != nil {
				t.Error(err)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != int32(rule.Limit) {
		t.Errorf("60 parallel Allow = %d allowed, want exactly %d", got, rule.Limit)
	}
}

// A refund gives back exactly the unit taken, including the last one (a
// quota made whole again), and never more than the quota.
func TestRefund(t *testing.T) {
	t.Parallel()
	url := redisURL(t)
	l := mustNew(t, url, testPrefix(), redis.Options{})
	r := ratelimit.Rule{Name: "login_email", Limit: 3, Period: 15 * time.Minute}
	ctx := t.Context()
	mustAllow := func(want bool, remaining int) {
		t.Helper()
		d, err := l.Allow(ctx, "alice", r)
		if err != nil || d.Allowed != want || d.Remaining != remaining {
			t.Fatalf("Allow = %+v, %v, want allowed %v with %d remaining", d, err, want, remaining)
		}
	}
	mustRefund := func() {
		t.Helper()
		if err := l.Refund(ctx, "alice", r); err != nil {
			t.Fatalf("Refund = %v", err)
		}
	}
	// A refund of a whole quota changes nothing.
	mustRefund()
	mustAllow(true, 2)
	// One taken, one refunded: whole again (the case redis_rate alone
	// would not store).
	mustRefund()
	mustAllow(true, 2)
	mustAllow(true, 1)
	mustAllow(true, 0)
	mustAllow(false, 0)
	mustRefund()
	mustAllow(true, 0)
	mustAllow(false, 0)
	// Successful logins, one after another, never use the quota up.
	r.Name = "login_ip"
	for range 10 {
		mustAllow(true, 2)
		mustRefund()
	}
}

// closedURL is a Redis URL on which nothing listens.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port)
}

// While Redis is down, a rule that fails closed answers an error (the
// caller answers 503), and any other falls back to this node's counters:
// still limited, per node. See docs/deploy.md for which rule does what.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	login := ratelimit.Rule{Name: "login_ip", Limit: 10, Period: 15 * time.Minute}
	plan := ratelimit.Rule{Name: "pro", Limit: 3, Period: time.Minute}
	l := mustNew(t, closedURL(t), testPrefix(), redis.Options{
		Fallback:   ratelimit.NewMemory(nil, 0),
		FailClosed: func(r ratelimit.Rule) bool { return r.Name == "login_ip" },
	})
	ctx := context.Background()
	if err := l.Ping(ctx); err == nil {
		t.Fatal("Ping(closed port) = nil, want an error")
	}
	start := time.Now()
	if _, err := l.Allow(ctx, "192.0.2.1", login); err == nil {
		t.Errorf("Allow(fail-closed rule) with Redis down = nil error, want an error")
	}
	for i := range plan.Limit {
		if d, err := l.Allow(ctx, "key_a", plan); err != nil || !d.Allowed || d.Remaining != plan.Limit-1-i {
			t.Fatalf("Allow #%d (fallback rule) with Redis down = %+v, %v, want allowed by the fallback", i+1, d, err)
		}
	}
	if d, err := l.Allow(ctx, "key_a", plan); err != nil || d.Allowed {
		t.Errorf("Allow over the quota with Redis down = %+v, %v, want refused by the fallback", d, err)
	}
	if err := l.Refund(ctx, "key_a", plan); err != nil {
		t.Errorf("Refund(fallback rule) with Redis down = %v, want nil", err)
	}
	if d, err := l.Allow(ctx, "key_a", plan); err != nil || !d.Allowed {
		t.Errorf("Allow after a refund with Redis down = %+v, %v, want allowed", d, err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("calls with Redis down took %v, want them fast (no retries, no waiting per call)", elapsed)
	}

	t.Run("without a fallback every rule fails closed", func(t *testing.T) {
		l := mustNew(t, closedURL(t), testPrefix(), redis.Options{})
		if _, err := l.Allow(ctx, "key_a", plan); err == nil {
			t.Error("Allow with Redis down and no fallback = nil error, want an error")
		}
	})
}

func TestBadURL(t *testing.T) {
	t.Parallel()
	if _, err := redis.New("http://user:s3cret@host", redis.Options{}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("New(bad URL) = %v, want an error without the password", err)
	}
}

// An outage of Redis is logged once when it begins and once when it ends,
// with its length: Redis stops answering (the proxy between the limiter and
// Redis holds every byte), many checks fall back meanwhile, then it answers
// again.
func TestRedisOutageLogged(t *testing.T) {
	t.Parallel()
	url, proxy := testenv.ProxyURL(t, redisURL(t))
	var log pometest.Log
	var nowNanos atomic.Int64
	nowNanos.Store(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, nowNanos.Load()) }
	plan := ratelimit.Rule{Name: "pro", Limit: 1000, Period: time.Minute}
	l := mustNew(t, url, testPrefix(), redis.Options{
		Fallback: ratelimit.NewMemory(now, 0),
		Log:      log.Logger(),
		Now:      now,
	})
	ctx := t.Context()
	allow := func(what string) {
		t.Helper()
		if d, err := l.Allow(ctx, "key_a", plan); err != nil || !d.Allowed {
			t.Fatalf("Allow (%s) = %+v, %v, want allowed", what, d, err)
		}
	}
	allow("Redis up")
	proxy.Stop()
	for range 10 {
		allow("Redis hung: the fallback")
	}
	proxy.Resume()
	nowNanos.Add(int64(3 * time.Second)) // past the second without tries
	allow("Redis back")
	allow("Redis back, again")

	down, back := log.Records(t, "Redis unreachable"), log.Records(t, "Redis reachable again")
	if len(down) != 1 || len(back) != 1 || back[0]["outage"] != "3s" {
		t.Errorf("log of one outage: %d lines saying Redis is unreachable, %d saying it is reachable again (want 1 and 1, after 3s)\n%s", len(down), len(back), log.String())
	}
}
