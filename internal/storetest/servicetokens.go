package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// newServiceToken returns an unsaved token named name, created at created.
func newServiceToken(name string, created time.Time) pome.ServiceToken {
	secret, err := pome.ServiceTokenFormat.Generate()
	if err != nil {
		panic(err)
	}
	return pome.ServiceToken{
		ID:        pome.NewID("stk_"),
		Name:      name,
		Prefix:    pome.ServiceTokenFormat.DisplayPrefix(secret),
		Digest:    pome.DigestOf(secret),
		Scopes:    []pome.Scope{pome.ScopeKeysRead, pome.ScopeKeysWrite},
		CreatedAt: created,
	}
}

func mustServiceToken(t *testing.T, s pome.Store, name string, created time.Time) pome.ServiceToken {
	t.Helper()
	st := newServiceToken(name, created)
	ev := sysEvent(pome.AuditServiceTokenCreated, created).On("", pome.TargetServiceToken, st.ID)
	if err := s.CreateServiceToken(t.Context(), st, ev); err != nil {
		t.Fatalf("CreateServiceToken(%q) = %v, want nil", name, err)
	}
	return st
}

func fmtServiceToken(st pome.ServiceToken) string {
	return fmt.Sprintf("{ID:%s Name:%q Prefix:%s Digest:%x Scopes:%v Created:%s Revoked:%s}",
		st.ID, st.Name, st.Prefix, st.Digest[:4], st.Scopes, fmtTime(&st.CreatedAt), fmtTime(st.RevokedAt))
}

func sameServiceToken(a, b pome.ServiceToken) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Prefix == b.Prefix && a.Digest == b.Digest &&
		slices.Equal(a.Scopes, b.Scopes) && sameTime(a.CreatedAt, b.CreatedAt) && sameTimePtr(a.RevokedAt, b.RevokedAt)
}

// serviceTokenEvents returns the audit events about no team of action.
func serviceTokenEvents(t *testing.T, s pome.Store, action string) []pome.AuditEvent {
	t.Helper()
	evs, err := s.AuditEvents(t.Context(), pome.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatalf("AuditEvents(%s) = %v, want nil", action, err)
	}
	return evs
}

var serviceTokenTests = []test{
	{"create, then find by digest", func(t *testing.T, s pome.Store) {
		sts := s
		want := mustServiceToken(t, sts, "billing", t0)
		got, err := sts.ServiceTokenByDigest(t.Context(), want.Digest)
		if err != nil || !sameServiceToken(got, want) {
			t.Fatalf("ServiceTokenByDigest = %s, %v; want %s", fmtServiceToken(got), err, fmtServiceToken(want))
		}
		evs := serviceTokenEvents(t, s, pome.AuditServiceTokenCreated)
		if len(evs) != 1 || evs[0].TargetID != want.ID || evs[0].ActorType != pome.ActorSystem {
			t.Errorf("audit of a created token = %+v, want one service_token.created by system", evs)
		}
	}},
	{"unknown digest", func(t *testing.T, s pome.Store) {
		_, err := s.ServiceTokenByDigest(t.Context(), pome.DigestOf("nope"))
		wantErr(t, "ServiceTokenByDigest(unknown)", err, pome.ErrServiceTokenNotFound)
	}},
	{"list newest first", func(t *testing.T, s pome.Store) {
		sts := s
		a := mustServiceToken(t, sts, "a", t0)
		b := mustServiceToken(t, sts, "b", at(time.Minute))
		got, err := sts.ListServiceTokens(t.Context())
		if err != nil || len(got) != 2 || !sameServiceToken(got[0], b) || !sameServiceToken(got[1], a) {
			t.Fatalf("ListServiceTokens = %v, %v; want [b a]", got, err)
		}
	}},
	{"list of none is empty", func(t *testing.T, s pome.Store) {
		got, err := s.ListServiceTokens(t.Context())
		if err != nil || len(got) != 0 {
			t.Fatalf("ListServiceTokens = %v, %v; want none", got, err)
		}
	}},
	{"revoke once, idempotent, audited once", func(t *testing.T, s pome.Store) {
		sts := s
		st := mustServiceToken(t, sts, "billing", t0)
		for i, when := range []time.Time{at(time.Hour), at(2 * time.Hour)} {
			ev := sysEvent(pome.AuditServiceTokenRevoked, when).On("", pome.TargetServiceToken, st.ID)
			got, err := sts.RevokeServiceToken(t.Context(), st.ID, when, ev)
			if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(at(time.Hour)) {
				t.Fatalf("RevokeServiceToken #%d = %s, %v; want revoked at the first time", i+1, fmtServiceToken(got), err)
			}
		}
		got, err := sts.ServiceTokenByDigest(t.Context(), st.Digest)
		if err != nil || got.RevokedAt == nil {
			t.Fatalf("ServiceTokenByDigest after revoke = %s, %v; want it revoked", fmtServiceToken(got), err)
		}
		if evs := serviceTokenEvents(t, s, pome.AuditServiceTokenRevoked); len(evs) != 1 {
			t.Errorf("revocation events = %d, want 1", len(evs))
		}
	}},
	{"revoke unknown", func(t *testing.T, s pome.Store) {
		ev := sysEvent(pome.AuditServiceTokenRevoked, t0).On("", pome.TargetServiceToken, "stk_none")
		_, err := s.RevokeServiceToken(t.Context(), "stk_none", t0, ev)
		wantErr(t, "RevokeServiceToken(unknown)", err, pome.ErrServiceTokenNotFound)
		if evs := serviceTokenEvents(t, s, pome.AuditServiceTokenRevoked); len(evs) != 0 {
			t.Errorf("events of a refused revocation = %d, want 0", len(evs))
		}
	}},
	{"a token whose event is refused is not stored", func(t *testing.T, s pome.Store) {
		sts := s
		st := newServiceToken("billing", t0)
		if err := sts.CreateServiceToken(t.Context(), st, pome.AuditEvent{}); err == nil {
			t.Fatalf("CreateServiceToken(incomplete event) = nil, want an error")
		}
		_, err := sts.ServiceTokenByDigest(t.Context(), st.Digest)
		wantErr(t, "ServiceTokenByDigest(not stored)", err, pome.ErrServiceTokenNotFound)
	}},
}
