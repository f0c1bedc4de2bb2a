package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// mustEndpoint stores an endpoint of team teamID ("" for every team)
// subscribed to events.
func mustEndpoint(t *testing.T, s pome.Store, teamID string, events ...string) pome.WebhookEndpoint {
	t.Helper()
	e := pome.WebhookEndpoint{ID: pome.NewID("whk_"), URL: "https://hooks.example.com/" + teamID, TeamID: teamID,
		Events: events, Secret: []byte("secret of " + teamID), CreatedAt: t0}
	if err := s.CreateWebhookEndpoint(t.Context(), e, sysEvent(pome.AuditWebhookCreated, t0).On(teamID, "", e.ID)); err != nil {
		t.Fatalf("CreateWebhookEndpoint = %v, want nil", err)
	}
	return e
}

// claim claims for node at now, with a minute's lease, and returns the
// batches by endpoint id.
func claim(t *testing.T, s pome.Store, node string, now time.Time) map[string]pome.WebhookBatch {
	t.Helper()
	bs, err := s.ClaimWebhooks(t.Context(), node, now, now.Add(time.Minute), 10, 10)
	if err != nil {
		t.Fatalf("ClaimWebhooks = %v, want nil", err)
	}
	out := map[string]pome.WebhookBatch{}
	for _, b := range bs {
		out[b.Endpoint.ID] = b
	}
	return out
}

func messageTypes(ms []pome.WebhookMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Type)
	}
	return out
}

func record(t *testing.T, s pome.Store, m pome.WebhookMessage, attempt int, outcome string, when, next time.Time) {
	t.Helper()
	a := pome.WebhookAttempt{EndpointID: m.EndpointID, EventID: m.EventID, Type: m.Type, Attempt: attempt,
		At: when, Status: 500, Latency: 1500 * time.Microsecond, Error: "status 500", Outcome: outcome}
	if outcome == pome.WebhookDelivered {
		a.Status, a.Error = 204, ""
	}
	if err := s.RecordWebhookAttempt(t.Context(), a, next); err != nil {
		t.Fatalf("RecordWebhookAttempt = %v, want nil", err)
	}
}

var webhookTests = []test{
	{"endpoints are stored, listed by team or all, found and deleted", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "beta")
		ea := mustEndpoint(t, s, a.Team.ID, pome.AuditKeyRevoked, pome.AuditKeyCreated)
		eb := mustEndpoint(t, s, b.Team.ID, pome.AuditKeyCreated)
		all := mustEndpoint(t, s, "", pome.AuditTeamBanned)
		got, err := s.WebhookEndpoint(t.Context(), ea.ID)
		if err != nil || got.URL != ea.URL || got.TeamID != a.Team.ID || string(got.Secret) != string(ea.Secret) ||
			!slices.Equal(got.Events, []string{pome.AuditKeyCreated, pome.AuditKeyRevoked}) ||
			!sameTime(got.CreatedAt, t0) || !got.FailingSince.IsZero() {
			t.Errorf("WebhookEndpoint = %+v, %v, want %+v with its events sorted", got, err, ea)
		}
		if es, err := s.WebhookEndpoints(t.Context(), a.Team.ID); err != nil || len(es) != 1 || es[0].ID != ea.ID {
			t.Errorf("WebhookEndpoints(acme) = %+v, %v, want acme's only", es, err)
		}
		if es, err := s.WebhookEndpoints(t.Context(), ""); err != nil || len(es) != 3 {
			t.Errorf("WebhookEndpoints(all) = %d, %v, want 3", len(es), err)
		} else if i := slices.IndexFunc(es, func(e pome.WebhookEndpoint) bool { return e.ID == all.ID }); i < 0 || es[i].TeamID != "" {
			t.Errorf("WebhookEndpoints(all) = %+v, want the every-team endpoint %s with no team", es, all.ID)
		}
		if err := s.DeleteWebhookEndpoint(t.Context(), eb.ID, sysEvent(pome.AuditWebhookDeleted, t0)); err != nil {
			t.Fatalf("DeleteWebhookEndpoint = %v", err)
		}
		_, err = s.WebhookEndpoint(t.Context(), eb.ID)
		wantErr(t, "WebhookEndpoint(deleted)", err, pome.ErrWebhookNotFound)
		wantErr(t, "DeleteWebhookEndpoint(deleted)", s.DeleteWebhookEndpoint(t.Context(), eb.ID, sysEvent(pome.AuditWebhookDeleted, t0)), pome.ErrWebhookNotFound)
		e := pome.WebhookEndpoint{ID: pome.NewID("whk_"), URL: "https://x.example", TeamID: "tm_nonexistent",
			Events: []string{pome.AuditKeyCreated}, Secret: []byte("s"), CreatedAt: t0}
		wantErr(t, "CreateWebhookEndpoint(unknown team)", s.CreateWebhookEndpoint(t.Context(), e, sysEvent(pome.AuditWebhookCreated, t0)), pome.ErrTeamNotFound)
	}},
	{"an event is queued, in the change's transaction, to the endpoints subscribed to it and no other", func(t *testing.T, s pome.Store) {
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "beta")
		ea := mustEndpoint(t, s, a.Team.ID, pome.AuditKeyCreated, pome.AuditKeyRevoked, pome.AuditKeyExpired)
		eb := mustEndpoint(t, s, b.Team.ID, pome.AuditKeyCreated)
		all := mustEndpoint(t, s, "", pome.AuditKeyCreated)
		k := mustKey(t, s, a, "ci", at(time.Second))
		if _, err := s.RevokeKey(t.Context(), a.Team.ID, k.ID, at(2*time.Second), sysEvent(pome.AuditKeyRevoked, at(2*time.Second)).On(a.Team.ID, pome.TargetKey, k.ID)); err != nil {
			t.Fatal(err)
		}
		// Not queued: a change that fails, an event no endpoint takes, a
		// second key.expired (dropped). The first, a failure (a refused
		// use), is.
		_, err := s.RevokeKey(t.Context(), a.Team.ID, "key_missing", at(3*time.Second), sysEvent(pome.AuditKeyRevoked, at(3*time.Second)).On(a.Team.ID, pome.TargetKey, "key_missing"))
		wantErr(t, "RevokeKey(missing)", err, pome.ErrKeyNotFound)
		for _, action := range []string{pome.AuditKeyUpdated, pome.AuditKeyExpired, pome.AuditKeyExpired} {
			ev := sysEvent(action, at(4*time.Second)).On(a.Team.ID, pome.TargetKey, k.ID)
			ev.Result = pome.ResultFailure
			if err := s.AppendAudit(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
		got := claim(t, s, "node1", at(time.Minute))
		if len(got) != 2 {
			t.Fatalf("claimed %d endpoints, want acme's and the every-team one", len(got))
		}
		if _, ok := got[eb.ID]; ok {
			t.Errorf("beta's endpoint got acme's events")
		}
		if ts := messageTypes(got[ea.ID].Messages); !slices.Equal(ts, []string{pome.AuditKeyCreated, pome.AuditKeyRevoked, pome.AuditKeyExpired}) {
			t.Errorf("acme's messages = %v, want created, revoked, expired once", ts)
		}
		if ts := messageTypes(got[all.ID].Messages); !slices.Equal(ts, []string{pome.AuditKeyCreated}) {
			t.Errorf("every-team messages = %v, want key.created", ts)
		}
		m := got[ea.ID].Messages[0]
		var p struct {
			Type      string
			Timestamp time.Time
			Data      struct {
				EventID  string `json:"event_id"`
				TeamID   string `json:"team_id"`
				TargetID string `json:"target_id"`
			}
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || p.Type != pome.AuditKeyCreated || !p.Timestamp.Equal(at(time.Second)) ||
			p.Data.EventID != m.EventID || p.Data.TeamID != a.Team.ID || p.Data.TargetID != k.ID {
			t.Errorf("payload %s (%v), want key.created of %s, event %s", m.Payload, err, k.ID, m.EventID)
		}
		if m.Attempts != 0 || !sameTime(m.CreatedAt, at(time.Second)) || !sameTime(m.NextAt, m.CreatedAt) {
			t.Errorf("new message = %+v, want no attempt, due at its creation", m)
		}
		if got[all.ID].Messages[0].EventID != m.EventID {
			t.Errorf("the two endpoints' messages of one event have ids %s and %s, want the event's", got[all.ID].Messages[0].EventID, m.EventID)
		}
	}},
	{"a claim leases an endpoint to one node until it ends or is released", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		e := mustEndpoint(t, s, a.Team.ID, pome.AuditKeyCreated)
		mustKey(t, s, a, "ci", t0)
		if got := claim(t, s, "node1", at(time.Second)); len(got[e.ID].Messages) != 1 {
			t.Fatalf("first claim = %+v, want the endpoint with its message", got)
		}
		if got := claim(t, s, "node2", at(30*time.Second)); len(got) != 0 {
			t.Errorf("claim during the lease = %+v, want nothing", got)
		}
		if err := s.ReleaseWebhooks(t.Context(), "node2", []string{e.ID}); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "node2", at(30*time.Second)); len(got) != 0 {
			t.Errorf("claim after another node's release = %+v, want nothing: node2 held no lease", got)
		}
		if err := s.ReleaseWebhooks(t.Context(), "node1", []string{e.ID}); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "node2", at(30*time.Second)); len(got) != 1 {
			t.Errorf("claim after the holder's release = %+v, want the endpoint", got)
		}
		if got := claim(t, s, "node1", at(91*time.Second)); len(got) != 1 {
			t.Errorf("claim after the lease ended = %+v, want the endpoint", got)
		}
	}},
	{"attempts: a retry waits, a delivery ends the message and clears failing, a give-up marks the endpoint failing", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		e := mustEndpoint(t, s, a.Team.ID, pome.AuditKeyCreated)
		mustKey(t, s, a, "one", t0)
		mustKey(t, s, a, "two", at(time.Millisecond))
		ms := claim(t, s, "node1", at(time.Second))[e.ID].Messages
		record(t, s, ms[0], 1, pome.WebhookRetrying, at(time.Second), at(10*time.Second))
		s.ReleaseWebhooks(t.Context(), "node1", []string{e.ID})
		if got := claim(t, s, "node1", at(5*time.Second)); len(got) != 0 {
			t.Errorf("claim before the retry is due = %+v, want nothing (the head blocks the rest)", got)
		}
		b := claim(t, s, "node1", at(10*time.Second))[e.ID]
		if len(b.Messages) != 2 || b.Messages[0].Attempts != 1 || !sameTime(b.Messages[0].NextAt, at(10*time.Second)) {
			t.Fatalf("claim when due = %+v, want both messages, the first after one attempt", b.Messages)
		}
		record(t, s, ms[0], 2, pome.WebhookFailed, at(11*time.Second), time.Time{})
		if got, _ := s.WebhookEndpoint(t.Context(), e.ID); !sameTime(got.FailingSince, at(11*time.Second)) {
			t.Errorf("FailingSince after a give-up = %v, want %v", got.FailingSince, at(11*time.Second))
		}
		record(t, s, ms[1], 1, pome.WebhookDelivered, at(12*time.Second), time.Time{})
		if got, _ := s.WebhookEndpoint(t.Context(), e.ID); !got.FailingSince.IsZero() {
			t.Errorf("FailingSince after a delivery = %v, want zero", got.FailingSince)
		}
		s.ReleaseWebhooks(t.Context(), "node1", []string{e.ID})
		if got := claim(t, s, "node1", at(time.Hour)); len(got) != 0 {
			t.Errorf("claim with every message ended = %+v, want nothing", got)
		}
		as, err := s.WebhookAttempts(t.Context(), e.ID, 0, 10)
		if err != nil || len(as) != 3 {
			t.Fatalf("WebhookAttempts = %d, %v, want 3", len(as), err)
		}
		if as[0].Outcome != pome.WebhookDelivered || as[0].Status != 204 || as[0].EventID != ms[1].EventID ||
			as[2].Outcome != pome.WebhookRetrying || as[2].Attempt != 1 || as[2].Latency != 1500*time.Microsecond ||
			as[2].Error != "status 500" || !sameTime(as[2].At, at(time.Second)) || as[2].Type != pome.AuditKeyCreated {
			t.Errorf("WebhookAttempts = %+v, want newest first, as recorded", as)
		}
		if page, err := s.WebhookAttempts(t.Context(), e.ID, as[1].Seq, 10); err != nil || len(page) != 1 || page[0].Seq != as[2].Seq {
			t.Errorf("WebhookAttempts(before %d) = %+v, %v, want the oldest", as[1].Seq, page, err)
		}
		if err := s.PruneWebhooks(t.Context(), at(11500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if as, _ := s.WebhookAttempts(t.Context(), e.ID, 0, 10); len(as) != 1 {
			t.Errorf("attempts after pruning = %d, want the newest only", len(as))
		}
	}},
	{"deleting an endpoint drops its queue", func(t *testing.T, s pome.Store) {
		a := mustAccount(t, s, "acme")
		e := mustEndpoint(t, s, a.Team.ID, pome.AuditKeyCreated)
		mustKey(t, s, a, "ci", t0)
		if err := s.DeleteWebhookEndpoint(t.Context(), e.ID, sysEvent(pome.AuditWebhookDeleted, t0)); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "node1", at(time.Second)); len(got) != 0 {
			t.Errorf("claim after delete = %+v, want nothing", got)
		}
	}},
}
