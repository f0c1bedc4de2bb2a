package pome_test

import (
	"errors"
	"testing"

	"github.com/pomehq/pome"
)

// Each refusal of a known key has its outcome, and nothing else has one.
func TestOutcomeOf(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]pome.Outcome{
		nil:                                    pome.OutcomeValid,
		pome.ErrKeyRevoked:                     pome.OutcomeRevoked,
		pome.ErrKeyExpired:                     pome.OutcomeExpired,
		pome.ErrTeamBanned:                     pome.OutcomeTeamBanned,
		pome.ErrKeyDisabled:                    pome.OutcomeDisabled,
		pome.ErrIPNotAllowed:                   pome.OutcomeIPNotAllowed,
		pome.ErrInsufficientPermissions:        pome.OutcomeInsufficientPermissions,
		pome.KeyInsufficientScope("docs:read"): pome.OutcomeInsufficientScope,
		pome.ErrRateLimited:                    pome.OutcomeRateLimited,
	} {
		if got, ok := pome.OutcomeOf(err); !ok || got != want {
			t.Errorf("OutcomeOf(%v) = %q, %v; want %q", err, got, ok, want)
		}
	}
	for _, err := range []error{pome.ErrInvalidAPIKey, pome.ErrMissingAPIKey, pome.ErrUnavailable, errors.New("boom")} {
		if got, ok := pome.OutcomeOf(err); ok {
			t.Errorf("OutcomeOf(%v) = %q, want none", err, got)
		}
	}
	if len(pome.Outcomes) != 10 {
		t.Errorf("Outcomes has %d, want the 10 of the table", len(pome.Outcomes))
	}
}
