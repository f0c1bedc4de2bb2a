package apikey

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// Leak is where reported keys were found, for their audit events.
type Leak struct {
	// Source is who found them: "report" (POST /v1/keys/report-leak) or
	// "github:" and GitHub's own source (content, commit, issue, ...).
	Source string
	URL    string
}

// ReportLeak acts on a token someone found published, with no credential
// but the token itself (docs/security.md, "Leaked keys"): an active key is
// revoked with a key.leaked event, by nobody known, and every node drops
// it (the revocation's change-log entry); a canary stays armed and the
// report is recorded as its use (key.canary_used); anything else changes
// nothing. found reports whether the token was one of the deployment's
// keys, whatever its status. A token that is not well-formed costs no
// store read.
func (s *Service) ReportLeak(ctx context.Context, token string, l Leak) (found bool, err error) {
	d, err := s.format.Parse(token)
	if err != nil {
		return false, nil
	}
	o, err := s.store.KeyByDigest(ctx, d)
	switch {
	case err == nil:
	case pome.AsError(err).Kind == pome.NotFound:
		return false, nil
	default:
		return false, err
	}
	k, now := &o.Key, s.now().UTC()
	details := map[string]any{"source": l.Source, "url": l.URL}
	switch {
	case k.Canary:
		ev := leakEvent(ctx, pome.AuditKeyCanaryUsed, k, now).With(details)
		ev.Result = pome.ResultFailure
		return true, s.store.AppendAudit(ctx, ev)
	case k.Status(now) != pome.KeyActive:
		return true, nil
	}
	revoked, err := s.store.RevokeKey(ctx, k.TeamID, k.ID, now, leakEvent(ctx, pome.AuditKeyLeaked, k, now).With(details))
	if err != nil {
		return true, err
	}
	s.verifier.Revoked(revoked)
	return true, nil
}

// leakEvent is an event of a report about k: the reporter is nobody known.
func leakEvent(ctx context.Context, action string, k *pome.Key, now time.Time) pome.AuditEvent {
	ev := pome.NewAuditEvent(ctx, action, now).On(k.TeamID, pome.TargetKey, k.ID)
	ev.ActorType = pome.ActorAnonymous
	return ev
}
