package apikey_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/apikey"
)

// recordCanaries runs f's RecordCanaries until the test ends; stop ends it
// and returns once every queued use is written.
func recordCanaries(t testing.TB, f *fixture) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { f.verifier.RecordCanaries(ctx, 5*time.Second, slog.New(slog.DiscardHandler)) })
	stop = sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(stop)
	return stop
}

// A canary, active or revoked, is refused exactly as an unknown key is,
// and each use is recorded once its writer runs: a key.canary_used event by
// nobody known, on the key and its team, with the request's address and
// user agent.
func TestCanaryAnsweredAsUnknown(t *testing.T) {
	f := newFixture(t)
	m := f.member(t, nil, pome.RoleOwner)
	canary := f.mustCreate(t, m, apikey.CreateParams{PolicyParams: apikey.PolicyParams{Canary: true}})
	if !canary.Key.Canary {
		t.Fatalf("Create(canary) = %+v, want a canary", canary.Key)
	}
	revoked := f.mustCreate(t, m, apikey.CreateParams{PolicyParams: apikey.PolicyParams{Canary: true}})
	if _, err := f.keys.Revoke(t.Context(), m, revoked.Key.ID); err != nil {
		t.Fatal(err)
	}
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		t.Fatal(err)
	}
	ctx := pome.WithRequestInfo(t.Context(), pome.RequestInfo{RequestID: "req_1", IP: "203.0.113.9", UserAgent: "thief/1.0"})
	_, _, wantErr := f.verifier.VerifyGated(ctx, unknown, func() error { return nil })
	for _, c := range []struct {
		name string
		key  apikey.Created
	}{{"active", canary}, {"revoked", revoked}} {
		for i := range 2 { // a store read, then the cache
			o, keyID, err := f.verifier.VerifyGated(ctx, c.key.Plaintext, func() error { return nil })
			if err != wantErr || keyID != "" || o.Key.ID != "" {
				t.Errorf("%s canary, use %d: VerifyGated = %+v, %q, %v; want the unknown key's %v", c.name, i+1, o.Key, keyID, err, wantErr)
			}
		}
	}
	recordCanaries(t, f)()
	got, err := f.store.AuditEvents(t.Context(), pome.AuditFilter{TeamID: m.Team.ID, Action: pome.AuditKeyCanaryUsed, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("key.canary_used events = %d, want 4 (two uses of each canary)", len(got))
	}
	for _, ev := range got {
		if (ev.TargetID != canary.Key.ID && ev.TargetID != revoked.Key.ID) || ev.TargetType != pome.TargetKey ||
			ev.ActorType != pome.ActorAnonymous || ev.ActorID != "" || ev.IP != "203.0.113.9" ||
			ev.UserAgent != "thief/1.0" || ev.RequestID != "req_1" || ev.Result != pome.ResultFailure {
			t.Errorf("event = %+v, want the canary's use by anonymous from 203.0.113.9 (thief/1.0)", ev)
		}
	}
}

// A canary's use is answered before its event is written: with no writer
// running, the answer does not wait for one.
func TestCanaryDoesNotWaitForTheStore(t *testing.T) {
	f := newFixture(t)
	canary := f.mustCreate(t, f.member(t, nil, pome.RoleOwner), apikey.CreateParams{PolicyParams: apikey.PolicyParams{Canary: true}})
	for range 10_000 { // more than the queue holds: the rest are dropped, and logged when a writer runs
		if _, err := f.verifier.Verify(t.Context(), canary.Plaintext); !errors.Is(err, pome.ErrInvalidAPIKey) {
			t.Fatalf("Verify(canary) = %v, want %v", err, pome.ErrInvalidAPIKey)
		}
	}
}

// BenchmarkVerifyCanary compares the answer to a canary with the answer to
// an unknown key, each after its first use (the canary in the cache, the
// unknown key in the negative cache), with the canaries' writer running as
// on a node: the two must cost the same, so that timing tells them apart no
// better than the answer does.
func BenchmarkVerifyCanary(b *testing.B) {
	f := newFixture(b)
	canary := f.mustCreate(b, f.member(b, nil, pome.RoleOwner), apikey.CreateParams{PolicyParams: apikey.PolicyParams{Canary: true}})
	unknown, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		b.Fatal(err)
	}
	recordCanaries(b, f)
	ctx := pome.WithRequestInfo(b.Context(), pome.RequestInfo{RequestID: "req_1", IP: "203.0.113.9", UserAgent: "thief/1.0"})
	for _, c := range []struct{ name, key string }{{"unknown", unknown}, {"canary", canary.Plaintext}} {
		b.Run(c.name, func(b *testing.B) {
			f.verifier.Verify(ctx, c.key)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.verifier.Verify(ctx, c.key); !errors.Is(err, pome.ErrInvalidAPIKey) {
					b.Fatalf("Verify = %v, want %v", err, pome.ErrInvalidAPIKey)
				}
			}
		})
	}
}
