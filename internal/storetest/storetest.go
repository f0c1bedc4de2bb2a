// Package storetest is the conformance suite of pome.Store: every storage
// backend runs storetest.Run against fresh stores of its own and must pass it,
// so that backends agree on results, ordering and error translation.
package storetest

import (
	"testing"

	"github.com/pomehq/pome"
)

type test struct {
	name string
	fn   func(t *testing.T, s pome.Store)
}

// Run runs every conformance test, each as a named subtest on a store of its
// own. open must return a fresh, empty store and close it with t.Cleanup;
// the groups run in parallel, so open is called concurrently. The suite
// seeds through the Store only.
func Run(t *testing.T, open func(t *testing.T) pome.Store) {
	groups := []struct {
		name  string
		tests []test
		wrap  func(pome.Store) pome.Store // nil: the store as opened
	}{
		{"Users", userTests, nil},
		{"Teams", teamTests, nil},
		{"PlatformTeams", platformTeamTests, nil},
		{"Sessions", sessionTests, nil},
		{"UserSessions", userSessionTests, nil},
		{"PasswordResets", passwordResetTests, nil},
		{"PortalLinks", portalTests, nil},
		{"Keys", keyTests, nil},
		{"ListKeys", listKeyTests, nil},
		{"KeyPages", keyPageTests, nil},
		{"RevokeKey", revokeTests, nil},
		{"KeyPolicies", policyTests, nil},
		{"Credits", creditTests, nil},
		{"Usage", usageTests, nil},
		// Every answer about usage is the same whether or not
		// CompactUsage ran since AddUsage.
		{"UsageCompactedEachFlush", usageTests, compactEachFlush},
		{"UsageOutcomes", outcomeTests, nil},
		{"UsageOutcomesCompactedEachFlush", outcomeTests, compactEachFlush},
		{"CompactUsage", compactionTests, nil},
		{"Changes", changeTests, nil},
		{"Members", memberTests, nil},
		{"Invitations", invitationTests, nil},
		{"Webhooks", webhookTests, nil},
		{"RollKey", rollTests, nil},
		{"Audit", auditTests, nil},
		{"ServiceTokens", serviceTokenTests, nil},
		{"Errors", errorTests, nil},
		{"Concurrency", concurrencyTests, nil},
		{"ConcurrentOutcomes", outcomeConcurrencyTests, nil},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := open(t)
					if g.wrap != nil {
						s = g.wrap(s)
					}
					tc.fn(t, s)
				})
			}
		})
	}
}
