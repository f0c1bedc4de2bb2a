package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
)

// t0 is the suite's clock: whole milliseconds, UTC, so that every backend
// must return exactly what was stored.
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

// account is a seeded user and their personal team.
type account struct {
	User pome.User
	Team pome.Team
}

// mustAccount creates a user and a team named after slug.
func mustAccount(t *testing.T, s pome.Store, slug string) account {
	t.Helper()
	a := account{
		User: pome.User{
			ID:           pome.NewID("usr_"),
			Email:        slug + "@example.com",
			PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
			CreatedAt:    t0,
		},
		Team: pome.Team{
			ID:        pome.NewID("tm_"),
			Slug:      slug,
			Name:      "Team " + slug,
			PlanTier:  pome.PlanFree,
			Status:    pome.TeamActive,
			CreatedAt: t0,
		},
	}
	if err := s.CreateUserWithTeam(t.Context(), a.User, a.Team, sysEvent(pome.AuditSignup, t0).On(a.Team.ID, pome.TargetUser, a.User.ID)); err != nil {
		t.Fatalf("CreateUserWithTeam(%q, %q) = %v, want nil", a.User.Email, a.Team.Slug, err)
	}
	return a
}

// newKey returns an unsaved key of a's team, created by a's user at created.
func newKey(a account, name string, created time.Time) pome.Key {
	secret, err := pome.DefaultKeyFormat.Generate()
	if err != nil {
		panic(err)
	}
	return pome.Key{
		ID:          pome.NewID("key_"),
		TeamID:      a.Team.ID,
		CreatedBy:   a.User.ID,
		Name:        name,
		Description: "description of " + name,
		Prefix:      pome.DefaultKeyFormat.DisplayPrefix(secret),
		Digest:      pome.DigestOf(secret),
		Role:        pome.RoleDeveloper,
		CreatedAt:   created,
	}
}

// mustCreateKey stores k.
func mustCreateKey(t *testing.T, s pome.Store, k pome.Key) pome.Key {
	t.Helper()
	if err := s.CreateKey(t.Context(), k, sysEvent(pome.AuditKeyCreated, k.CreatedAt).On(k.TeamID, pome.TargetKey, k.ID)); err != nil {
		t.Fatalf("CreateKey(%q) = %v, want nil", k.ID, err)
	}
	return k
}

// mustKey creates and stores a key of a.
func mustKey(t *testing.T, s pome.Store, a account, name string, created time.Time) pome.Key {
	t.Helper()
	return mustCreateKey(t, s, newKey(a, name, created))
}

func mustKeyByID(t *testing.T, s pome.Store, teamID, keyID string) pome.Key {
	t.Helper()
	k, err := s.KeyByID(t.Context(), teamID, keyID)
	if err != nil {
		t.Fatalf("KeyByID(%q, %q) = %v, want nil", teamID, keyID, err)
	}
	return k
}

func mustChanges(t *testing.T, s pome.Store, after int64, limit int) []pome.Change {
	t.Helper()
	cs, err := s.Changes(t.Context(), after, limit)
	if err != nil {
		t.Fatalf("Changes(%d, %d) = %v, want nil", after, limit, err)
	}
	return cs
}

// wantErr fails t unless err is want (by errors.Is) and of want's kind.
func wantErr(t *testing.T, call string, err error, want *pome.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v, want %v", call, err, want)
	}
	if got := pome.AsError(err).Kind; got != want.Kind {
		t.Fatalf("%s: kind = %v, want %v", call, got, want.Kind)
	}
}

// Formatting that prints times rather than pointers.

func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339Nano)
}

func fmtKey(k pome.Key) string {
	return fmt.Sprintf("{ID:%s Team:%s By:%s Name:%q Desc:%q Prefix:%s Digest:%x Role:%s Created:%s Expires:%s Revoked:%s LastUsed:%s Usage:%d IssuedTo:%s Lifetime:%v ReplacedBy:%s Canary:%v}",
		k.ID, k.TeamID, k.CreatedBy, k.Name, k.Description, k.Prefix, k.Digest[:4], k.Role,
		fmtTime(&k.CreatedAt), fmtTime(k.ExpiresAt), fmtTime(k.RevokedAt), fmtTime(k.LastUsed), k.UsageCount, k.IssuedTo, k.Lifetime, k.ReplacedBy, k.Canary)
}

func fmtKeyIDs(ks []pome.Key) string {
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID
	}
	return "[" + strings.Join(ids, " ") + "]"
}

func sameTime(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() }

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameTime(*a, *b)
}

func sameKey(a, b pome.Key) bool {
	return a.ID == b.ID && a.TeamID == b.TeamID && a.CreatedBy == b.CreatedBy &&
		a.Name == b.Name && a.Description == b.Description && a.Prefix == b.Prefix &&
		a.Digest == b.Digest && a.Role == b.Role && sameTime(a.CreatedAt, b.CreatedAt) &&
		sameTimePtr(a.ExpiresAt, b.ExpiresAt) && sameTimePtr(a.RevokedAt, b.RevokedAt) &&
		sameTimePtr(a.LastUsed, b.LastUsed) && a.UsageCount == b.UsageCount && a.IssuedTo == b.IssuedTo &&
		a.Lifetime == b.Lifetime && a.ReplacedBy == b.ReplacedBy && a.Canary == b.Canary && samePolicies(a, b)
}

// samePolicies compares the policies of two keys; an empty list and none
// are the same.
func samePolicies(a, b pome.Key) bool {
	return a.TestMode == b.TestMode && a.Disabled == b.Disabled && slices.Equal(a.Scopes, b.Scopes) &&
		a.Meta == b.Meta && (a.RateLimit == nil) == (b.RateLimit == nil) &&
		(a.RateLimit == nil || *a.RateLimit == *b.RateLimit) && slices.Equal(a.AllowedCIDRs, b.AllowedCIDRs)
}

func sameUser(a, b pome.User) bool {
	return a.ID == b.ID && a.Email == b.Email && a.PasswordHash == b.PasswordHash &&
		sameTime(a.CreatedAt, b.CreatedAt)
}

func sameTeam(a, b pome.Team) bool {
	return a.ID == b.ID && a.Slug == b.Slug && a.Name == b.Name && a.PlanTier == b.PlanTier &&
		a.Status == b.Status && sameTime(a.CreatedAt, b.CreatedAt) && a.ExternalID == b.ExternalID
}

func sameChange(a, b pome.Change) bool {
	return a.Kind == b.Kind && a.TeamID == b.TeamID && a.KeyID == b.KeyID && sameTime(a.At, b.At)
}

func isErr(err error, target *pome.Error) bool { return errors.Is(err, target) }

// sysEvent is an audit event of action at at, by the system actor: the
// record a state-changing Store method takes.
func sysEvent(action string, at time.Time) pome.AuditEvent {
	ev := pome.NewAuditEvent(context.Background(), action, at)
	ev.ActorType = pome.ActorSystem
	return ev
}

// userEvent is an audit event of action at at by a user on a target of a
// team, with request metadata.
func userEvent(action string, at time.Time, userID, teamID, targetType, targetID string) pome.AuditEvent {
	ctx := pome.WithRequestInfo(context.Background(), pome.RequestInfo{RequestID: "req_test", IP: "192.0.2.1", UserAgent: "storetest"})
	return pome.NewAuditEvent(ctx, action, at).ByUser(userID).On(teamID, targetType, targetID)
}

// sameDetails compares details as the JSON they are stored as: a []string
// comes back as a []any.
func sameDetails(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// sameEvent compares every field but Seq, which the store assigns.
func sameEvent(a, b pome.AuditEvent) bool {
	return a.ID == b.ID && sameTime(a.At, b.At) && a.TeamID == b.TeamID &&
		a.ActorType == b.ActorType && a.ActorID == b.ActorID && a.Action == b.Action &&
		a.TargetType == b.TargetType && a.TargetID == b.TargetID && a.Result == b.Result &&
		a.RequestID == b.RequestID && a.IP == b.IP && a.UserAgent == b.UserAgent &&
		sameDetails(a.Details, b.Details)
}
