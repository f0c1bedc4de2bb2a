package apikey

import (
	"context"
	"time"

	"github.com/pomehq/pome"
)

// maxUsageDays is the longest history GET /api/keys/{id}/usage shows.
const maxUsageDays = 90

// Usage returns a key's daily request counts for the last days days, today
// included, one entry per day with zeros filled in, oldest first.
func (s *Service) Usage(ctx context.Context, m pome.Member, keyID string, days int) ([]pome.DailyUsage, error) {
	if days < 1 || days > maxUsageDays {
		return nil, pome.InvalidParameter("'days' must be 1 to %d", maxUsageDays)
	}
	if _, err := s.visibleKey(ctx, m, keyID); err != nil {
		return nil, err
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, 1-days)
	stored, err := s.store.DailyUsage(ctx, keyID, since)
	if err != nil {
		return nil, err
	}
	out := make([]pome.DailyUsage, days)
	for i := range out {
		out[i].Day = since.AddDate(0, 0, i)
	}
	for _, d := range stored {
		if i := int(d.Day.Sub(since) / (24 * time.Hour)); i >= 0 && i < days {
			out[i].Count = d.Count
		}
	}
	return out, nil
}
