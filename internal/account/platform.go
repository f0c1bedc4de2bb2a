package account

import (
	"context"
	"errors"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/pomehq/pome"
)

// maxExternalIDLen bounds the platform's own id of a team.
const maxExternalIDLen = 128

// slugPattern is what a slug given to the platform API must look like:
// what slugify makes.
var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$`)

// NewTeam is a team a platform makes through its API. Only Name is
// required: the slug is made from it when empty, the plan is free.
type NewTeam struct {
	Name       string
	Slug       string
	ExternalID *string // nil: none; else 1 to 128 characters
	PlanTier   string
}

// CreateTeam makes a team with no member for a platform, as the service
// token by (the audit log's actor). A given slug or external id that is
// taken is ErrTeamExists naming it; a slug made from the name gets a
// suffix instead.
func (s *Service) CreateTeam(ctx context.Context, by pome.ServiceToken, p NewTeam) (pome.Team, error) {
	if err := checkTeamName(p.Name); err != nil {
		return pome.Team{}, err
	}
	if p.Slug != "" && !slugPattern.MatchString(p.Slug) {
		return pome.Team{}, pome.InvalidParameter("'slug' must be 2 to 40 lowercase letters, digits and inner hyphens")
	}
	external := ""
	if p.ExternalID != nil {
		external = *p.ExternalID
		if n := utf8.RuneCountInString(external); n < 1 || n > maxExternalIDLen {
			return pome.Team{}, pome.InvalidParameter("'external_id' must be 1 to %d characters", maxExternalIDLen)
		}
		if err := pome.CheckText("external_id", external); err != nil {
			return pome.Team{}, err
		}
	}
	if p.PlanTier == "" {
		p.PlanTier = pome.PlanFree
	}
	if !pome.ValidPlan(p.PlanTier) {
		return pome.Team{}, pome.InvalidParameter("'plan_tier' must be free, pro or enterprise")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	base := p.Slug
	if base == "" {
		base = slugify(p.Name)
	}
	for attempt := 0; ; attempt++ {
		t := pome.Team{ID: pome.NewID("tm_"), Slug: withSuffix(base, attempt), Name: p.Name, PlanTier: p.PlanTier,
			Status: pome.TeamActive, CreatedAt: now, ExternalID: external}
		ev := pome.NewAuditEvent(ctx, pome.AuditTeamCreated, now).ByToken(by.ID).On(t.ID, pome.TargetTeam, t.ID).
			With(map[string]any{"slug": t.Slug, "plan_tier": t.PlanTier, "external_id": t.ExternalID})
		err := s.store.CreateTeam(ctx, t, ev)
		switch {
		case err == nil:
			return t, nil
		case errors.Is(err, pome.ErrSlugTaken) && p.Slug != "":
			return pome.Team{}, pome.ErrTeamExists.WithCause(err)
		case errors.Is(err, pome.ErrSlugTaken) && attempt < 4:
			continue // a slug made from the name: try another suffix
		default:
			return pome.Team{}, err
		}
	}
}

// Team finds a team by id, for the platform API: any team, since a service
// token acts on every team.
func (s *Service) Team(ctx context.Context, id string) (pome.Team, error) {
	if !pome.IsID(id, "tm_") {
		return pome.Team{}, pome.ErrTeamNotFound
	}
	return s.store.TeamByID(ctx, id)
}

// TeamByExternalID finds a team by the platform's own id of it.
func (s *Service) TeamByExternalID(ctx context.Context, externalID string) (pome.Team, error) {
	if err := pome.CheckText("external_id", externalID); err != nil {
		return pome.Team{}, err
	}
	return s.store.TeamByExternalID(ctx, externalID)
}

// TeamChange is a PATCH of a team: nil fields stay as they are.
type TeamChange struct {
	Name     *string
	PlanTier *string
	Status   *string
}

// UpdateTeam applies c to the team id as the service token by. A ban or a
// plan change reaches every node through the change log, as `pome admin
// team ban` does. The audit event is team.banned or team.unbanned when the
// status changed, else team.plan_changed, else team.renamed, with every
// change in its details; a change that changes nothing records nothing.
func (s *Service) UpdateTeam(ctx context.Context, by pome.ServiceToken, id string, c TeamChange) (pome.Team, error) {
	if c.Name != nil {
		if err := checkTeamName(*c.Name); err != nil {
			return pome.Team{}, err
		}
	}
	if c.PlanTier != nil && !pome.ValidPlan(*c.PlanTier) {
		return pome.Team{}, pome.InvalidParameter("'plan_tier' must be free, pro or enterprise")
	}
	if c.Status != nil && *c.Status != pome.TeamActive && *c.Status != pome.TeamBanned {
		return pome.Team{}, pome.InvalidParameter("'status' must be active or banned")
	}
	t, err := s.Team(ctx, id)
	if err != nil {
		return pome.Team{}, err
	}
	was := t
	details := map[string]any{}
	action := ""
	if c.Name != nil && *c.Name != t.Name {
		details["old_name"], details["new_name"] = t.Name, *c.Name
		t.Name, action = *c.Name, pome.AuditTeamRenamed
	}
	if c.PlanTier != nil && *c.PlanTier != t.PlanTier {
		details["old_plan"], details["new_plan"] = t.PlanTier, *c.PlanTier
		t.PlanTier, action = *c.PlanTier, pome.AuditTeamPlanChanged
	}
	if c.Status != nil && *c.Status != t.Status {
		t.Status, action = *c.Status, pome.AuditTeamBanned
		if t.Status == pome.TeamActive {
			action = pome.AuditTeamUnbanned
		}
	}
	if t == was {
		return t, nil
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	ev := pome.NewAuditEvent(ctx, action, now).ByToken(by.ID).On(t.ID, pome.TargetTeam, t.ID).With(details)
	if err := s.store.UpdateTeam(ctx, t, now, ev); err != nil {
		return pome.Team{}, err
	}
	return t, nil
}

// checkTeamName is the rule of every team name.
func checkTeamName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > maxTeamNameLen {
		return pome.InvalidParameter("'name' must be 1 to %d characters", maxTeamNameLen)
	}
	return pome.CheckText("name", name)
}
