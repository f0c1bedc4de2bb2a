package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/node"
	"github.com/pomehq/pome/internal/pometest"
	"github.com/pomehq/pome/internal/testenv"
)

// answerWithin bounds, generously, how long a call may take with the
// database hung: the store's deadline on a request's path is 2 s. Without
// one, the call hangs until its caller gives up.
const answerWithin = 5 * time.Second

// hungNode is a node on a PostgreSQL schema of its own, reached through a
// proxy that can stop forwarding, with a signed-up member to make keys.
type hungNode struct {
	*node.Node
	proxy  *testenv.Proxy
	direct string // the database's URL, not through the proxy
	member pome.Member
	log    *pometest.Log
}

func newHungNode(t *testing.T, cfg node.Config) *hungNode {
	t.Helper()
	direct := testenv.FreshSchema(t)
	dsn, proxy := testenv.ProxyURL(t, direct)
	h := &hungNode{proxy: proxy, direct: direct, log: &pometest.Log{}}
	cfg.SignupOpen = true
	cfg.Log = h.log.Logger()
	var err error
	if h.Node, err = node.Open(t.Context(), node.Storage{DatabaseURL: dsn}, "", cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	h.member = mustSignup(t, h.Node)
	return h
}

func (h *hungNode) mustCreate(t *testing.T) apikey.Created {
	t.Helper()
	return mustCreateKey(t, h.Node, h.member)
}

// authorize asks the node's gate about key, as GET /v1/me does, and checks
// the answer and that it came within answerWithin.
func (h *hungNode) authorize(t *testing.T, key string, want error, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := h.Gate.Authorize(context.Background(), authz.Attempt{Key: key, Action: pome.ActionAPIRead})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, want) || (err == nil) != (want == nil) {
			t.Fatalf("Authorize(%s) = %v, want %v", what, err, want)
		}
	case <-time.After(answerWithin):
		t.Fatalf("Authorize(%s): no answer within %v", what, answerWithin)
	}
}

// logged counts the node's log lines whose message starts with msg.
func (h *hungNode) logged(t *testing.T, msg string) int {
	t.Helper()
	return len(h.log.Records(t, msg))
}

// While its PostgreSQL does not answer (the proxy between them holds every
// byte), a node keeps serving the keys it has cached, past their ttl, for
// --stale-if-unavailable after it last read the change log, then answers
// 503; a key it has not cached answers 503 at once, never 500 nor a hang.
// Once the database answers again everything recovers: a revocation made
// before the outage is honoured, and so is one it could not read during
// it. The outage is logged once, its end once.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	clock := pometest.NewClock(pometest.Epoch)
	const stale = 15 * time.Minute
	h := newHungNode(t, node.Config{Now: clock.Now, StaleIfUnavailable: stale})
	cached, uncached := h.mustCreate(t), h.mustCreate(t)
	revokedBefore, revokedUnseen := h.mustCreate(t), h.mustCreate(t)
	for _, k := range []apikey.Created{cached, revokedBefore, revokedUnseen} {
		h.authorize(t, k.Plaintext, nil, "a new key")
	}
	if _, err := h.Keys.Revoke(t.Context(), h.member, revokedBefore.Key.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Sync(t.Context()); err != nil { // the change log is read at the clock's time
		t.Fatal(err)
	}
	lastRead := clock.Now()

	h.proxy.Stop()
	h.authorize(t, uncached.Plaintext, pome.ErrUnavailable, "uncached key, database hung")
	h.authorize(t, revokedBefore.Plaintext, pome.ErrUnavailable, "key revoked before the outage, database hung")
	// Another node, which still reaches the database, revokes a key this
	// one has cached: this node cannot know until it reads the change log
	// again, within the bound (docs/deploy.md).
	other, err := node.OpenStore(t.Context(), node.Storage{DatabaseURL: h.direct})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.RevokeKey(t.Context(), h.member.Team.ID, revokedUnseen.Key.ID, clock.Now(), pometest.Event(pome.AuditKeyRevoked)); err != nil {
		t.Fatal(err)
	}

	clock.Advance(node.CacheTTL + time.Second)
	h.authorize(t, cached.Plaintext, nil, "cached key past its ttl, database hung")
	h.authorize(t, revokedUnseen.Plaintext, nil, "cached key revoked where this node cannot read it, within the bound")
	h.authorize(t, uncached.Plaintext, pome.ErrUnavailable, "uncached key, still hung")
	clock.Set(lastRead.Add(stale - time.Second))
	h.authorize(t, cached.Plaintext, nil, "cached key, just within the bound")
	clock.Set(lastRead.Add(stale))
	h.authorize(t, cached.Plaintext, pome.ErrUnavailable, "cached key at the bound")
	h.authorize(t, revokedUnseen.Plaintext, pome.ErrUnavailable, "cached key revoked where this node cannot read it, at the bound")

	h.proxy.Resume()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	if err := h.Sync(ctx); err != nil {
		t.Fatalf("Sync after the database answers again = %v", err)
	}
	h.authorize(t, cached.Plaintext, nil, "cached key, database back")
	h.authorize(t, uncached.Plaintext, nil, "uncached key, database back")
	h.authorize(t, revokedBefore.Plaintext, pome.ErrKeyRevoked, "key revoked before the outage, database back")
	h.authorize(t, revokedUnseen.Plaintext, pome.ErrKeyRevoked, "key revoked during the outage, database back")
	if down, up := h.logged(t, "database unreachable"), h.logged(t, "database reachable again"); down != 1 || up != 1 {
		t.Errorf("log of one outage: %d lines saying the database is unreachable, %d that it is reachable again; want 1 and 1\n%s", down, up, h.log.String())
	}
}

// Close ends within its bound while the database does not answer, with
// the follower and the meter's flush waiting on it: the last flush gives
// up after node.FinalFlushTimeout, and the store cuts its connections,
// where pgx would wait 15 s on each for the answer to a cancel request.
func TestCloseWithDatabaseHung(t *testing.T) {
	t.Parallel()
	h := newHungNode(t, node.Config{})
	key := h.mustCreate(t)
	h.authorize(t, key.Plaintext, nil, "a new key") // a use, for the last flush to write
	h.proxy.Stop()
	const closeWithin = node.FinalFlushTimeout + 8*time.Second
	closed := make(chan error, 1)
	go func() { closed <- h.Close() }()
	var err error
	select {
	case err = <-closed:
	case <-time.After(closeWithin):
		t.Fatalf("Close with the database hung: not returned within %v", closeWithin)
	}
	// Its counts are lost, and the operator must know: Close fails saying
	// how many (pome serve then exits 1).
	if err == nil || !strings.Contains(err.Error(), "lost 1 usage counts of 1 key(s)") {
		t.Errorf("Close with the database hung = %v, want an error saying 1 count of 1 key was lost", err)
	}
}
