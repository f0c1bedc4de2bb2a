package webhook

import (
	"context"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pomehq/pome"
)

// maxURLLen bounds an endpoint's URL.
const maxURLLen = 2048

// Service manages webhook endpoints: who may is the caller's to check.
type Service struct {
	store        pome.Store
	allowPrivate bool
	now          func() time.Time
}

// NewService returns the endpoints' service. allowPrivate is pome serve's
// --webhook-allow-private: without it, a URL whose host is a loopback,
// private or link-local address is refused when it is registered (a name
// is checked when it is dialled).
func NewService(store pome.Store, allowPrivate bool, now func() time.Time) *Service {
	return &Service{store: store, allowPrivate: allowPrivate, now: now}
}

// Actor is who manages an endpoint, for its audit event: a user, a service
// token or the operator (pome.ActorSystem, no id).
type Actor struct {
	Type, ID string
}

// NewEndpoint is a request for an endpoint.
type NewEndpoint struct {
	URL    string
	Events []string
	TeamID string // "" for every team's events
}

// Create checks and stores an endpoint with a new secret, and returns it
// with the secret's whsec_ form, which is shown this once.
func (s *Service) Create(ctx context.Context, by Actor, req NewEndpoint) (pome.WebhookEndpoint, string, error) {
	u, err := s.checkURL(req.URL)
	if err != nil {
		return pome.WebhookEndpoint{}, "", err
	}
	events, err := checkEvents(req.Events)
	if err != nil {
		return pome.WebhookEndpoint{}, "", err
	}
	existing, err := s.store.WebhookEndpoints(ctx, req.TeamID)
	if err != nil {
		return pome.WebhookEndpoint{}, "", err
	}
	if req.TeamID == "" {
		existing = slices.DeleteFunc(existing, func(e pome.WebhookEndpoint) bool { return e.TeamID != "" })
	}
	if len(existing) >= pome.MaxWebhookEndpoints {
		return pome.WebhookEndpoint{}, "", pome.ErrTooManyWebhooks
	}
	key, secret := NewSecret()
	e := pome.WebhookEndpoint{ID: pome.NewID("whk_"), URL: u, TeamID: req.TeamID, Events: events,
		Secret: key, CreatedAt: s.now().UTC()}
	ev := s.event(ctx, by, pome.AuditWebhookCreated, e).With(map[string]any{"url": e.URL, "events": e.Events})
	if err := s.store.CreateWebhookEndpoint(ctx, e, ev); err != nil {
		return pome.WebhookEndpoint{}, "", err
	}
	return e, secret, nil
}

// List lists a team's endpoints, or every endpoint when teamID is "".
func (s *Service) List(ctx context.Context, teamID string) ([]pome.WebhookEndpoint, error) {
	return s.store.WebhookEndpoints(ctx, teamID)
}

// Get finds an endpoint of team teamID, or of any team when teamID is ""
// (the platform's view): another team's is ErrWebhookNotFound.
func (s *Service) Get(ctx context.Context, teamID, id string) (pome.WebhookEndpoint, error) {
	// Any other text is no endpoint's id, and must not reach a store (a
	// path may carry a NUL, which PostgreSQL refuses as text).
	if !pome.IsID(id, "whk_") {
		return pome.WebhookEndpoint{}, pome.ErrWebhookNotFound
	}
	e, err := s.store.WebhookEndpoint(ctx, id)
	if err != nil {
		return pome.WebhookEndpoint{}, err
	}
	if teamID != "" && e.TeamID != teamID {
		return pome.WebhookEndpoint{}, pome.ErrWebhookNotFound
	}
	return e, nil
}

// Delete removes an endpoint of team teamID (of any team when "") with
// its queue and log.
func (s *Service) Delete(ctx context.Context, by Actor, teamID, id string) error {
	e, err := s.Get(ctx, teamID, id)
	if err != nil {
		return err
	}
	return s.store.DeleteWebhookEndpoint(ctx, e.ID, s.event(ctx, by, pome.AuditWebhookDeleted, e).With(map[string]any{"url": e.URL}))
}

// Attempts lists the delivery attempts of an endpoint of team teamID (of
// any team when ""), newest first, before the attempt of seq before (0:
// the newest).
func (s *Service) Attempts(ctx context.Context, teamID, id string, before int64, limit int) ([]pome.WebhookAttempt, error) {
	if _, err := s.Get(ctx, teamID, id); err != nil {
		return nil, err
	}
	return s.store.WebhookAttempts(ctx, id, before, limit)
}

func (s *Service) event(ctx context.Context, by Actor, action string, e pome.WebhookEndpoint) pome.AuditEvent {
	ev := pome.NewAuditEvent(ctx, action, s.now())
	ev.ActorType, ev.ActorID = by.Type, by.ID
	return ev.On(e.TeamID, pome.TargetWebhook, e.ID)
}

// checkURL accepts an absolute http or https URL of at most maxURLLen, with
// a host, and returns it trimmed.
func (s *Service) checkURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", pome.MissingParameter("url")
	}
	if len(raw) > maxURLLen {
		return "", pome.InvalidParameter("'url' must be at most %d characters", maxURLLen)
	}
	if err := pome.CheckText("url", raw); err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "", pome.InvalidParameter("'url' must be an absolute http or https URL")
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && !s.allowPrivate && !public(a) {
		return "", pome.InvalidParameter("'url' is on a loopback, private or link-local address, where Pome does not deliver (start pome serve with --webhook-allow-private to allow it)")
	}
	return raw, nil
}

// checkEvents accepts a non-empty list of known event types and returns
// it sorted, each once.
func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, pome.MissingParameter("events")
	}
	for _, e := range events {
		if !slices.Contains(pome.WebhookEventTypes, e) {
			return nil, pome.InvalidParameter("'events' has %q, which is not an event: use %s", pome.CleanText(e, 64), strings.Join(pome.WebhookEventTypes, ", "))
		}
	}
	out := slices.Clone(events)
	slices.Sort(out)
	return slices.Compact(out), nil
}
