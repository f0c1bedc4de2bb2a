package pometest

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/pomehq/pome"
)

// CountingStore is a pome.Store that counts the calls of each method before
// passing them on. It is safe for concurrent use.
//
// It holds the next store in a field rather than embedding it: a method added
// to pome.Store then fails to compile here instead of passing through
// uncounted, which would make "no store call" tests pass for the wrong reason.
type CountingStore struct {
	next pome.Store

	mu    sync.Mutex
	calls map[string]int
}

var _ pome.Store = (*CountingStore)(nil)

// NewCountingStore returns a CountingStore in front of next.
func NewCountingStore(next pome.Store) *CountingStore {
	return &CountingStore{next: next, calls: make(map[string]int)}
}

func (s *CountingStore) count(method string) {
	s.mu.Lock()
	s.calls[method]++
	s.mu.Unlock()
}

// Calls returns the number of calls per method name since the last Reset.
func (s *CountingStore) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Count returns the number of calls of one method since the last Reset.
func (s *CountingStore) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Total returns the number of calls of every method since the last Reset.
func (s *CountingStore) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// Reset sets every count to zero.
func (s *CountingStore) Reset() {
	s.mu.Lock()
	clear(s.calls)
	s.mu.Unlock()
}

func (s *CountingStore) CreateUserWithTeam(ctx context.Context, u pome.User, t pome.Team, ev pome.AuditEvent) error {
	s.count("CreateUserWithTeam")
	return s.next.CreateUserWithTeam(ctx, u, t, ev)
}

func (s *CountingStore) UserByEmail(ctx context.Context, email string) (pome.User, error) {
	s.count("UserByEmail")
	return s.next.UserByEmail(ctx, email)
}

func (s *CountingStore) UserByID(ctx context.Context, id string) (pome.User, error) {
	s.count("UserByID")
	return s.next.UserByID(ctx, id)
}

func (s *CountingStore) Memberships(ctx context.Context, userID string) ([]pome.Membership, error) {
	s.count("Memberships")
	return s.next.Memberships(ctx, userID)
}

func (s *CountingStore) TeamBySlug(ctx context.Context, slug string) (pome.Team, error) {
	s.count("TeamBySlug")
	return s.next.TeamBySlug(ctx, slug)
}

func (s *CountingStore) UpdateTeam(ctx context.Context, t pome.Team, at time.Time, ev pome.AuditEvent) error {
	s.count("UpdateTeam")
	return s.next.UpdateTeam(ctx, t, at, ev)
}

func (s *CountingStore) CreateTeam(ctx context.Context, t pome.Team, ev pome.AuditEvent) error {
	s.count("CreateTeam")
	return s.next.CreateTeam(ctx, t, ev)
}

func (s *CountingStore) TeamByID(ctx context.Context, id string) (pome.Team, error) {
	s.count("TeamByID")
	return s.next.TeamByID(ctx, id)
}

func (s *CountingStore) TeamByExternalID(ctx context.Context, externalID string) (pome.Team, error) {
	s.count("TeamByExternalID")
	return s.next.TeamByExternalID(ctx, externalID)
}

func (s *CountingStore) CreateInvitation(ctx context.Context, inv pome.Invitation, ev pome.AuditEvent) error {
	s.count("CreateInvitation")
	return s.next.CreateInvitation(ctx, inv, ev)
}

func (s *CountingStore) Invitations(ctx context.Context, teamID string) ([]pome.Invitation, error) {
	s.count("Invitations")
	return s.next.Invitations(ctx, teamID)
}

func (s *CountingStore) InvitationByDigest(ctx context.Context, d pome.Digest) (pome.Invitation, error) {
	s.count("InvitationByDigest")
	return s.next.InvitationByDigest(ctx, d)
}

func (s *CountingStore) DeleteInvitation(ctx context.Context, teamID, id string, ev pome.AuditEvent) error {
	s.count("DeleteInvitation")
	return s.next.DeleteInvitation(ctx, teamID, id, ev)
}

func (s *CountingStore) AcceptInvitation(ctx context.Context, d pome.Digest, userID string, at time.Time, ev pome.AuditEvent) (pome.Role, error) {
	s.count("AcceptInvitation")
	return s.next.AcceptInvitation(ctx, d, userID, at, ev)
}

func (s *CountingStore) Members(ctx context.Context, teamID string) ([]pome.TeamMember, error) {
	s.count("Members")
	return s.next.Members(ctx, teamID)
}

func (s *CountingStore) Member(ctx context.Context, teamID, userID string) (pome.TeamMember, error) {
	s.count("Member")
	return s.next.Member(ctx, teamID, userID)
}

func (s *CountingStore) SetMemberRole(ctx context.Context, teamID, userID string, from, to pome.Role, at time.Time, ev pome.AuditEvent) error {
	s.count("SetMemberRole")
	return s.next.SetMemberRole(ctx, teamID, userID, from, to, at, ev)
}

func (s *CountingStore) RemoveMember(ctx context.Context, teamID, userID string, from pome.Role, at time.Time, ev pome.AuditEvent) ([]string, error) {
	s.count("RemoveMember")
	return s.next.RemoveMember(ctx, teamID, userID, from, at, ev)
}

func (s *CountingStore) CreateSession(ctx context.Context, sess pome.Session, ev *pome.AuditEvent) error {
	s.count("CreateSession")
	return s.next.CreateSession(ctx, sess, ev)
}

func (s *CountingStore) SessionByDigest(ctx context.Context, d pome.Digest) (pome.Session, error) {
	s.count("SessionByDigest")
	return s.next.SessionByDigest(ctx, d)
}

func (s *CountingStore) TouchSession(ctx context.Context, d pome.Digest, lastSeen time.Time) error {
	s.count("TouchSession")
	return s.next.TouchSession(ctx, d, lastSeen)
}

func (s *CountingStore) DeleteSession(ctx context.Context, d pome.Digest, ev *pome.AuditEvent) error {
	s.count("DeleteSession")
	return s.next.DeleteSession(ctx, d, ev)
}

func (s *CountingStore) Sessions(ctx context.Context, userID string) ([]pome.Session, error) {
	s.count("Sessions")
	return s.next.Sessions(ctx, userID)
}

func (s *CountingStore) DeleteUserSession(ctx context.Context, userID, id string, ev pome.AuditEvent) error {
	s.count("DeleteUserSession")
	return s.next.DeleteUserSession(ctx, userID, id, ev)
}

func (s *CountingStore) SetPassword(ctx context.Context, userID, hash string, keep *pome.Digest, ev pome.AuditEvent) error {
	s.count("SetPassword")
	return s.next.SetPassword(ctx, userID, hash, keep, ev)
}

func (s *CountingStore) CreatePasswordReset(ctx context.Context, r pome.PasswordReset, ev pome.AuditEvent) error {
	s.count("CreatePasswordReset")
	return s.next.CreatePasswordReset(ctx, r, ev)
}

func (s *CountingStore) PasswordResetByDigest(ctx context.Context, d pome.Digest) (pome.PasswordReset, error) {
	s.count("PasswordResetByDigest")
	return s.next.PasswordResetByDigest(ctx, d)
}

func (s *CountingStore) ResetPassword(ctx context.Context, d pome.Digest, userID, hash string, at time.Time, ev pome.AuditEvent) error {
	s.count("ResetPassword")
	return s.next.ResetPassword(ctx, d, userID, hash, at, ev)
}

func (s *CountingStore) CreateKey(ctx context.Context, k pome.Key, ev pome.AuditEvent) error {
	s.count("CreateKey")
	return s.next.CreateKey(ctx, k, ev)
}

func (s *CountingStore) KeyByDigest(ctx context.Context, d pome.Digest) (pome.KeyOwner, error) {
	s.count("KeyByDigest")
	return s.next.KeyByDigest(ctx, d)
}

func (s *CountingStore) KeyByID(ctx context.Context, teamID, keyID string) (pome.Key, error) {
	s.count("KeyByID")
	return s.next.KeyByID(ctx, teamID, keyID)
}

func (s *CountingStore) KeyByIDAnyTeam(ctx context.Context, keyID string) (pome.Key, error) {
	s.count("KeyByIDAnyTeam")
	return s.next.KeyByIDAnyTeam(ctx, keyID)
}

func (s *CountingStore) UpdateKey(ctx context.Context, teamID, keyID string, change func(*pome.Key) error, at time.Time, ev pome.AuditEvent) (pome.Key, error) {
	s.count("UpdateKey")
	return s.next.UpdateKey(ctx, teamID, keyID, change, at, ev)
}

func (s *CountingStore) ListKeys(ctx context.Context, f pome.KeyFilter) ([]pome.Key, error) {
	s.count("ListKeys")
	return s.next.ListKeys(ctx, f)
}

func (s *CountingStore) CountKeys(ctx context.Context, f pome.KeyFilter) (int, error) {
	s.count("CountKeys")
	return s.next.CountKeys(ctx, f)
}

func (s *CountingStore) RevokeKey(ctx context.Context, teamID, keyID string, at time.Time, ev pome.AuditEvent) (pome.Key, error) {
	s.count("RevokeKey")
	return s.next.RevokeKey(ctx, teamID, keyID, at, ev)
}

func (s *CountingStore) RollKey(ctx context.Context, r pome.KeyRoll, ev pome.AuditEvent) (pome.Key, error) {
	s.count("RollKey")
	return s.next.RollKey(ctx, r, ev)
}

func (s *CountingStore) AddUsage(ctx context.Context, deltas []pome.UsageDelta) error {
	s.count("AddUsage")
	return s.next.AddUsage(ctx, deltas)
}

// SettleCredits counts the call, and each key it settles under
// "SettleCredits.keys": the writes of credit state a node makes.
func (s *CountingStore) SettleCredits(ctx context.Context, keyIDs []string, now time.Time, settle func(*pome.CreditState) error) error {
	s.count("SettleCredits")
	return s.next.SettleCredits(ctx, keyIDs, now, func(st *pome.CreditState) error {
		s.count("SettleCredits.keys")
		return settle(st)
	})
}

func (s *CountingStore) CompactUsage(ctx context.Context, now time.Time) error {
	s.count("CompactUsage")
	return s.next.CompactUsage(ctx, now)
}

func (s *CountingStore) DailyUsage(ctx context.Context, keyID string, since time.Time) ([]pome.DailyUsage, error) {
	s.count("DailyUsage")
	return s.next.DailyUsage(ctx, keyID, since)
}

func (s *CountingStore) TeamDailyUsage(ctx context.Context, teamID, createdBy string, since time.Time) ([]pome.DailyUsage, error) {
	s.count("TeamDailyUsage")
	return s.next.TeamDailyUsage(ctx, teamID, createdBy, since)
}

func (s *CountingStore) TopKeys(ctx context.Context, teamID, createdBy string, since time.Time, limit int) ([]pome.KeyUsage, error) {
	s.count("TopKeys")
	return s.next.TopKeys(ctx, teamID, createdBy, since, limit)
}

func (s *CountingStore) Changes(ctx context.Context, after int64, limit int) ([]pome.Change, error) {
	s.count("Changes")
	return s.next.Changes(ctx, after, limit)
}

func (s *CountingStore) LastChange(ctx context.Context) (int64, error) {
	s.count("LastChange")
	return s.next.LastChange(ctx)
}

func (s *CountingStore) AppendAudit(ctx context.Context, ev pome.AuditEvent) error {
	s.count("AppendAudit")
	return s.next.AppendAudit(ctx, ev)
}

func (s *CountingStore) AuditEvents(ctx context.Context, f pome.AuditFilter) ([]pome.AuditEvent, error) {
	s.count("AuditEvents")
	return s.next.AuditEvents(ctx, f)
}

func (s *CountingStore) Ping(ctx context.Context) error {
	s.count("Ping")
	return s.next.Ping(ctx)
}

func (s *CountingStore) Close() error {
	s.count("Close")
	return s.next.Close()
}

func (s *CountingStore) ChangeSignal() <-chan struct{} {
	s.count("ChangeSignal")
	return s.next.ChangeSignal()
}

func (s *CountingStore) CreateServiceToken(ctx context.Context, t pome.ServiceToken, ev pome.AuditEvent) error {
	s.count("CreateServiceToken")
	return s.next.CreateServiceToken(ctx, t, ev)
}

func (s *CountingStore) ServiceTokenByDigest(ctx context.Context, d pome.Digest) (pome.ServiceToken, error) {
	s.count("ServiceTokenByDigest")
	return s.next.ServiceTokenByDigest(ctx, d)
}

func (s *CountingStore) ListServiceTokens(ctx context.Context) ([]pome.ServiceToken, error) {
	s.count("ListServiceTokens")
	return s.next.ListServiceTokens(ctx)
}

func (s *CountingStore) RevokeServiceToken(ctx context.Context, id string, at time.Time, ev pome.AuditEvent) (pome.ServiceToken, error) {
	s.count("RevokeServiceToken")
	return s.next.RevokeServiceToken(ctx, id, at, ev)
}

func (s *CountingStore) CreatePortalLink(ctx context.Context, l pome.PortalLink, ev pome.AuditEvent) error {
	s.count("CreatePortalLink")
	return s.next.CreatePortalLink(ctx, l, ev)
}

func (s *CountingStore) OpenPortalLink(ctx context.Context, d pome.Digest, newUser pome.User, sess pome.Session, events func(pome.PortalOpened) []pome.AuditEvent) (pome.PortalOpened, error) {
	s.count("OpenPortalLink")
	return s.next.OpenPortalLink(ctx, d, newUser, sess, events)
}

func (s *CountingStore) CreateWebhookEndpoint(ctx context.Context, e pome.WebhookEndpoint, ev pome.AuditEvent) error {
	s.count("CreateWebhookEndpoint")
	return s.next.CreateWebhookEndpoint(ctx, e, ev)
}

func (s *CountingStore) WebhookEndpoints(ctx context.Context, teamID string) ([]pome.WebhookEndpoint, error) {
	s.count("WebhookEndpoints")
	return s.next.WebhookEndpoints(ctx, teamID)
}

func (s *CountingStore) WebhookEndpoint(ctx context.Context, id string) (pome.WebhookEndpoint, error) {
	s.count("WebhookEndpoint")
	return s.next.WebhookEndpoint(ctx, id)
}

func (s *CountingStore) DeleteWebhookEndpoint(ctx context.Context, id string, ev pome.AuditEvent) error {
	s.count("DeleteWebhookEndpoint")
	return s.next.DeleteWebhookEndpoint(ctx, id, ev)
}

func (s *CountingStore) WebhookAttempts(ctx context.Context, endpointID string, before int64, limit int) ([]pome.WebhookAttempt, error) {
	s.count("WebhookAttempts")
	return s.next.WebhookAttempts(ctx, endpointID, before, limit)
}

func (s *CountingStore) ClaimWebhooks(ctx context.Context, node string, now, until time.Time, limit, perEndpoint int) ([]pome.WebhookBatch, error) {
	s.count("ClaimWebhooks")
	return s.next.ClaimWebhooks(ctx, node, now, until, limit, perEndpoint)
}

func (s *CountingStore) RecordWebhookAttempt(ctx context.Context, a pome.WebhookAttempt, next time.Time) error {
	s.count("RecordWebhookAttempt")
	return s.next.RecordWebhookAttempt(ctx, a, next)
}

func (s *CountingStore) ReleaseWebhooks(ctx context.Context, node string, ids []string) error {
	s.count("ReleaseWebhooks")
	return s.next.ReleaseWebhooks(ctx, node, ids)
}

func (s *CountingStore) PruneWebhooks(ctx context.Context, before time.Time) error {
	s.count("PruneWebhooks")
	return s.next.PruneWebhooks(ctx, before)
}
