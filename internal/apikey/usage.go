package apikey

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// maxUsageDays is the longest history GET /api/keys/{id}/usage and
// GET /api/usage show.
const maxUsageDays = 90

// Usage returns a key's daily verifications by outcome for the last days
// days, today included, one entry per day with zeros filled in, oldest
// first.
func (s *Service) Usage(ctx context.Context, m pome.Member, keyID string, days int) ([]pome.DailyUsage, error) {
	since, err := s.usageSince(days)
	if err != nil {
		return nil, err
	}
	if _, err := s.visibleKey(ctx, memberActor(m), keyID); err != nil {
		return nil, err
	}
	return s.keyUsage(ctx, keyID, since, days)
}

// keyUsage is the daily usage of a key the caller may see.
func (s *Service) keyUsage(ctx context.Context, keyID string, since time.Time, days int) ([]pome.DailyUsage, error) {
	stored, err := s.store.DailyUsage(ctx, keyID, since)
	if err != nil {
		return nil, err
	}
	return fillDays(since, days, stored), nil
}

// TeamUsage returns the daily verifications of the team's keys, summed,
// as Usage does for one key: every key of the team, revoked and expired
// ones included, for owners and admins, and only their own for developers,
// whom the team's total would tell the usage of keys they may not see. A
// viewer, who may list no keys, is ErrInsufficientPermissions.
func (s *Service) TeamUsage(ctx context.Context, m pome.Member, days int) ([]pome.DailyUsage, error) {
	since, err := s.usageSince(days)
	if err != nil {
		return nil, err
	}
	return s.teamUsage(ctx, memberActor(m), since, days)
}

// teamUsage is the daily usage of the keys of a's team that a may see.
func (s *Service) teamUsage(ctx context.Context, a actor, since time.Time, days int) ([]pome.DailyUsage, error) {
	by, err := a.listedCreator()
	if err != nil {
		return nil, err
	}
	stored, err := s.store.TeamDailyUsage(ctx, a.teamID, by, since)
	if err != nil {
		return nil, err
	}
	return fillDays(since, days, stored), nil
}

// TopKeys returns, of the keys TeamUsage counts for m, the n with the most
// verifications of any outcome over the last days UTC days, most first.
func (s *Service) TopKeys(ctx context.Context, m pome.Member, days, n int) ([]pome.KeyUsage, error) {
	since, err := s.usageSince(days)
	if err != nil {
		return nil, err
	}
	by, err := memberActor(m).listedCreator()
	if err != nil {
		return nil, err
	}
	return s.store.TopKeys(ctx, m.Team.ID, by, since, n)
}

// usageSince checks days and returns the first of the last days UTC days,
// today included.
func (s *Service) usageSince(days int) (time.Time, error) {
	if days < 1 || days > maxUsageDays {
		return time.Time{}, pome.InvalidParameter("'days' must be 1 to %d", maxUsageDays)
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	return today.AddDate(0, 0, 1-days), nil
}

// fillDays spreads the non-empty days a store returned over one entry per
// day from since on, days of them, zeros filled in.
func fillDays(since time.Time, days int, stored []pome.DailyUsage) []pome.DailyUsage {
	out := make([]pome.DailyUsage, days)
	for i := range out {
		out[i].Day = since.AddDate(0, 0, i)
	}
	for _, d := range stored {
		if i := int(d.Day.Sub(since) / (24 * time.Hour)); i >= 0 && i < days {
			out[i].Outcomes = d.Outcomes
		}
	}
	return out
}
