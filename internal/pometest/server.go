package pometest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/client"
	"github.com/pomehq/pome/internal/account"
	"github.com/pomehq/pome/internal/apikey"
	"github.com/pomehq/pome/internal/authz"
	"github.com/pomehq/pome/internal/credits"
	"github.com/pomehq/pome/internal/httpapi"
	"github.com/pomehq/pome/internal/httpserver"
	"github.com/pomehq/pome/internal/meter"
	"github.com/pomehq/pome/internal/node"
	"github.com/pomehq/pome/internal/ratelimit"
	"github.com/pomehq/pome/internal/secretscan"
	"github.com/pomehq/pome/internal/servicetoken"
	"github.com/pomehq/pome/internal/sqlite"
	"github.com/pomehq/pome/internal/webhook"
)

// Password is the password of every user Signup creates.
const Password = "correct horse battery staple"

// Server is Pome's real handler on a real SQLite file (or the store of
// WithStore), served over loopback HTTP, with every part reachable for a
// test to drive or inspect.
type Server struct {
	URL     string // base URL, e.g. http://127.0.0.1:PORT
	HTTP    *httptest.Server
	Handler http.Handler

	DB       *sqlite.DB     // the store on disk; nil with WithStore
	Store    *CountingStore // what every service uses: counts calls into the store
	Clock    *Clock         // the fake clock; nil if WithNow was given
	Now      func() time.Time
	Accounts *account.Service
	Keys     *apikey.Service
	Gate     *authz.Gate
	Verifier *apikey.Verifier
	Meter    *meter.Meter
	// Credits spends keys' credits; its Flush settles them with the
	// store, as a running node does every second.
	Credits *credits.Ledger
	Metrics *prometheus.Registry
	// Limiter counts the rate limits of Rules on the fake clock; nil if
	// WithoutRateLimits was given.
	Limiter *ratelimit.Memory
	Rules   ratelimit.Rules
	// ServiceTokens issues and authenticates the service tokens of
	// POST /v1/keys/verify, on DB.
	ServiceTokens *servicetoken.Service
	// Webhooks manages webhook endpoints; Deliverer sends their messages
	// to receivers on loopback (allowed) when a test calls its Pass.
	Webhooks  *webhook.Service
	Deliverer *webhook.Deliverer

	// contract checks every exchange over HTTP against the OpenAPI
	// document (exchanges.go); nil for a benchmark.
	contract *exchanges
	// backend is the store under Store: DB, or the one of WithStore.
	backend pome.Store
}

type config struct {
	db         *sqlite.DB
	store      pome.Store
	clock      *Clock
	now        func() time.Time
	signupOpen bool
	secure     bool
	log        *slog.Logger
	accessLog  io.Writer
	wrap       func(pome.Store) pome.Store
	ttl        time.Duration
	noLimits   bool
	rules      []func(*ratelimit.Rules)
	negTTL     time.Duration
	negSize    int
	negSet     bool
	gateway    httpserver.Gateway
	proxies    httpapi.TrustedProxies
	follow     bool
	publicURL  string
	origins    account.ReturnOrigins
	githubKeys string
}

// Option changes how NewServer builds a Server.
type Option func(*config)

// WithDB serves from db instead of a fresh store: two servers on one DB
// behave like a restart, or like two nodes.
func WithDB(db *sqlite.DB) Option { return func(c *config) { c.db = db } }

// WithStore serves from store (a PostgreSQL store of NewPostgresStore, say)
// instead of a SQLite file; Server.DB is then nil.
func WithStore(store pome.Store) Option { return func(c *config) { c.store = store } }

// WithClock uses clock as the time of every part.
func WithClock(clock *Clock) Option { return func(c *config) { c.clock = clock } }

// WithNow uses now as the time of every part (Server.Clock is then nil).
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithSignupClosed turns open signup off.
func WithSignupClosed() Option { return func(c *config) { c.signupOpen = false } }

// WithPublicURL sets the deployment's --public-url, the base of the links
// the server hands out.
func WithPublicURL(u string) Option { return func(c *config) { c.publicURL = u } }

// WithSecureCookies serves the __Host- session cookie with Secure.
func WithSecureCookies() Option { return func(c *config) { c.secure = true } }

// WithLogger logs to log instead of discarding.
func WithLogger(log *slog.Logger) Option { return func(c *config) { c.log = log } }

// WithAccessLog writes the access log, a line a request, to w.
func WithAccessLog(w io.Writer) Option { return func(c *config) { c.accessLog = w } }

// WithStoreWrapper puts wrap's store between the services and the counting
// store, e.g. to fake a member's role.
func WithStoreWrapper(wrap func(pome.Store) pome.Store) Option {
	return func(c *config) { c.wrap = wrap }
}

// WithVerifierTTL sets how long the verifier caches a key (default 1 minute).
func WithVerifierTTL(ttl time.Duration) Option { return func(c *config) { c.ttl = ttl } }

// WithRules changes the rate limits, which start as ratelimit.DefaultRules
// (docs/api.md, "Rate limits"), as production starts.
func WithRules(change func(*ratelimit.Rules)) Option {
	return func(c *config) { c.rules = append(c.rules, change) }
}

// WithoutRateLimits turns every rate limit off.
func WithoutRateLimits() Option { return func(c *config) { c.noLimits = true } }

// WithNegativeCache sets the verifier's negative cache (0 turns it off).
func WithNegativeCache(ttl time.Duration, size int) Option {
	return func(c *config) { c.negTTL, c.negSize, c.negSet = ttl, size, true }
}

// WithGateway turns gateway mode on with g's upstreams.
func WithGateway(g httpserver.Gateway) Option { return func(c *config) { c.gateway = g } }

// WithFollower starts the node's loops, the change-log follower among
// them, as `pome serve` does: changes made through the store alone (`pome
// admin`, another node) reach the server within the follower's poll. They
// stop when the test ends.
func WithFollower() Option { return func(c *config) { c.follow = true } }

// WithPortal serves portal sessions: links under publicURL (--public-url),
// return URLs on origins (--portal-return-origins). A test opens a link's
// path on the server itself.
func WithPortal(publicURL string, origins ...string) Option {
	return func(c *config) {
		c.publicURL = publicURL
		o, err := account.ParseReturnOrigins(origins)
		if err != nil {
			panic(err)
		}
		c.origins = o
	}
}

// WithGitHubKeys serves GitHub's secret scanning alerts, checked against
// the keys served at url (--github-keys-url).
func WithGitHubKeys(url string) Option { return func(c *config) { c.githubKeys = url } }

// WithTrustedProxies believes the forwarding headers of connections from
// p (loopback, for the test's own client to play the proxy).
func WithTrustedProxies(p httpapi.TrustedProxies) Option { return func(c *config) { c.proxies = p } }

// NewServer starts the real handler, wired by internal/node as `pome serve`
// wires it, on a loopback httptest server that stops when the test ends.
// The node is not started (no change-log follower, no meter loop) unless
// WithFollower: tests call Verifier.Forget and Meter.Flush where they need
// them.
//
// Every request the server answers over HTTP, and its response, is checked
// against the OpenAPI document (openapi/openapi.yaml): a route, status,
// header or body the document does not allow fails the test that got the
// response through Do, or else the test t when it ends. Benchmarks are not
// checked.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{signupOpen: true, ttl: time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	backend := cfg.store
	if backend == nil {
		if cfg.db == nil {
			cfg.db = NewStore(t)
		}
		backend = cfg.db
	}
	s := &Server{DB: cfg.db, Store: NewCountingStore(backend), Now: cfg.now, backend: backend}
	if s.Now == nil {
		s.Clock = cfg.clock
		if s.Clock == nil {
			s.Clock = NewClock(Epoch)
		}
		s.Now = s.Clock.Now
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	var store pome.Store = s.Store
	if cfg.wrap != nil {
		store = cfg.wrap(store)
	}
	s.Rules = ratelimit.DefaultRules()
	for _, change := range cfg.rules {
		change(&s.Rules)
	}
	var limiter ratelimit.Limiter
	if !cfg.noLimits {
		s.Limiter = ratelimit.NewMemory(s.Now, 0)
		limiter = s.Limiter
	}
	ncfg := node.Config{Rules: s.Rules, Limiter: limiter, SignupOpen: cfg.signupOpen, PasswordCost: PasswordCost, CacheTTL: cfg.ttl, Now: s.Now, Log: cfg.log,
		WebhookAllowPrivate: true} // receivers of tests are on loopback
	if cfg.negSet {
		ncfg.Negative = &node.NegativeCache{TTL: cfg.negTTL, Size: cfg.negSize}
	}
	n := node.New(store, ncfg)
	if cfg.follow {
		n.Start(context.Background())
		t.Cleanup(func() { n.Close() })
	}
	s.Verifier, s.Keys, s.Accounts, s.Meter, s.Gate, s.ServiceTokens = n.Verifier, n.Keys, n.Accounts, n.Meter, n.Gate, n.ServiceTokens
	s.Credits, s.Webhooks, s.Deliverer = n.Credits, n.Webhooks, n.Deliverer
	s.Metrics = prometheus.NewRegistry()
	var githubKeys *secretscan.Keys
	if cfg.githubKeys != "" {
		githubKeys = secretscan.New(cfg.githubKeys, secretscan.FetchTimeout, s.Now)
	}
	s.Handler = httpserver.New(httpserver.Config{
		Accounts:      s.Accounts,
		Keys:          s.Keys,
		Webhooks:      s.Webhooks,
		Gate:          s.Gate,
		Verifier:      s.Verifier,
		Meter:         s.Meter,
		Ready:         store.Ping,
		Pools:         backend.(interface{ PoolStats() []pome.PoolStats }).PoolStats,
		Log:           cfg.log,
		AccessLog:     cfg.accessLog,
		Metrics:       s.Metrics,
		SecureCookies: cfg.secure,
		Now:           s.Now,
		Limiter:       n.Limiter, // counting refusals (pome_ratelimit_refusals_total)
		Rules:         s.Rules,
		RateLimited:   s.Accounts.RecordRateLimited,
		Gateway:       cfg.gateway,
		Proxies:       cfg.proxies,

		PublicURL:           cfg.publicURL,
		PortalReturnOrigins: cfg.origins,
		GitHubKeys:          githubKeys,
	})
	// Every exchange over HTTP is checked against openapi/openapi.yaml
	// (contract.go); Handler itself stays unchecked, for benchmarks.
	s.contract = newExchanges(t, cfg.gateway)
	s.HTTP = httptest.NewUnstartedServer(s.contract.wrap(s.Handler))
	s.HTTP.Listener = httpserver.GuardFraming(s.HTTP.Config, httpserver.CoarseDeadlines(s.HTTP.Listener)) // as `pome serve` listens
	s.HTTP.Start()
	t.Cleanup(s.contract.reportUnclaimed) // after Close: every check is over
	t.Cleanup(s.HTTP.Close)
	s.URL = s.HTTP.URL
	return s
}

// Client returns a new HTTP client of the server with its own cookie jar:
// one browser.
func (s *Server) Client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err) // cookiejar.New fails only on a bad public suffix list
	}
	return &http.Client{Jar: jar, Transport: s.HTTP.Client().Transport}
}

// Signup signs up email with Password and returns a client holding the
// session cookie.
func (s *Server) Signup(t testing.TB, email string) *http.Client {
	t.Helper()
	c := s.Client()
	body := `{"email":` + quote(email) + `,"password":` + quote(Password) + `}`
	if r := s.Do(t, c, "POST", "/api/auth/signup", nil, body); r.Status != http.StatusCreated {
		t.Fatalf("POST /api/auth/signup status = %d, want %d; body %s", r.Status, http.StatusCreated, r.Body)
	}
	return c
}

// Login signs email in with Password and returns a client holding the
// session cookie.
func (s *Server) Login(t testing.TB, email string) *http.Client {
	t.Helper()
	c := s.Client()
	body := `{"email":` + quote(email) + `,"password":` + quote(Password) + `}`
	if r := s.Do(t, c, "POST", "/api/auth/login", nil, body); r.Status != http.StatusOK {
		t.Fatalf("POST /api/auth/login status = %d, want %d; body %s", r.Status, http.StatusOK, r.Body)
	}
	return c
}

// CreatedKey is the body of a 201 from POST /api/keys.
type CreatedKey = client.CreatedKey

// CreateKey creates a key named name in the default team of c's user and
// returns its plaintext.
func (s *Server) CreateKey(t testing.TB, c *http.Client, name string) string {
	t.Helper()
	return s.CreateKeyWith(t, c, `{"name":`+quote(name)+`}`).Key
}

// CreateKeyWith posts body (JSON) to /api/keys and returns the created key.
func (s *Server) CreateKeyWith(t testing.TB, c *http.Client, body string) CreatedKey {
	t.Helper()
	r := s.Do(t, c, "POST", "/api/keys", nil, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/keys status = %d, want %d; body %s", r.Status, http.StatusCreated, r.Body)
	}
	var k CreatedKey
	r.DecodeJSON(t, &k)
	return k
}

// Response is a whole HTTP response, read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// DecodeJSON decodes the body into v, failing the test if it cannot.
func (r *Response) DecodeJSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode response body %s: %v", r.Body, err)
	}
}

// Do sends a request to the server with c (a plain client if nil) and
// reads the whole response. If the exchange does not conform to the OpenAPI
// document, the test fails (with t.Errorf, so that its own checks still run). A body is sent as application/json unless header
// has a Content-Type entry (a nil one sends none).
func (s *Server) Do(t testing.TB, c *http.Client, method, path string, header http.Header, body string) *Response {
	t.Helper()
	if c == nil {
		c = s.HTTP.Client()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if _, set := header["Content-Type"]; body != "" && !set {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	// The exchange was checked against the OpenAPI document as the server
	// answered it: a failure is this test's.
	if msg := s.contract.claim(resp.Header.Get("X-Request-Id")); msg != "" {
		t.Errorf("pometest: %s", msg)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
