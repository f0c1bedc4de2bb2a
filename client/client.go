// Package client is the Go SDK of Pome: typed calls to the public API
// (authenticated by API key or service token) and the management API
// (authenticated by a session), as docs/api.md describes them, with errors
// decoded into *Error, which wraps a *pome.Error.
//
// A program that holds an API key:
//
//	c := client.New("https://pome.example.com", client.WithAPIKey(os.Getenv("POME_API_KEY")))
//	me, err := c.Me(ctx)
//
// A person's tool signs in first; the client keeps the session token it is
// given, and SessionToken returns it for storing:
//
//	c := client.New("https://pome.example.com")
//	if _, err := c.Login(ctx, email, password); err != nil { ... }
//	keys, err := c.ListKeys(ctx, client.KeyListOptions{})
//
// Management calls act on the user's default team; ForTeam returns a client
// bound to another team of theirs. A Client is safe for concurrent use.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultUserAgent is the User-Agent of a client made without WithUserAgent.
const DefaultUserAgent = "pome-go"

// Session cookie names: a server sets pome_session, or over HTTPS (its
// --secure-cookies setting) __Host-pome_session.
const (
	sessionCookie       = "pome_session"
	secureSessionCookie = "__Host-pome_session"
)

// maxBody caps how much of a response is read: Pome's largest answers (an
// audit page of 200 events) are far smaller.
const maxBody = 8 << 20

// defaultTimeout bounds a call made with the default HTTP client, so that a
// server that accepts and never answers cannot hang a caller without a
// context deadline.
const defaultTimeout = 30 * time.Second

// Client calls one Pome server. Make it with New.
type Client struct {
	base      string // scheme://host[/path], no trailing slash
	http      *http.Client
	apiKey    string
	userAgent string
	team      string   // ?team= of management calls; empty: the default team
	sess      *session // shared by the copies ForTeam makes
}

// session is the session token, set by Signup and Login, cleared by Logout.
type session struct {
	mu    sync.Mutex
	token string
}

func (s *session) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

func (s *session) set(token string) {
	s.mu.Lock()
	s.token = token
	s.mu.Unlock()
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc instead of a default client with a
// 30-second timeout. Its cookie jar, if any, is not relied on: the client
// sends the session cookie itself.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithAPIKey authenticates public API calls (Me) with key, sent as
// Authorization: Bearer. It is never sent to the management API.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = strings.TrimSpace(key) } }

// WithSession authenticates management API calls with a session token, as
// returned by SessionToken after a Login. It is never sent to the public API.
func WithSession(token string) Option { return func(c *Client) { c.sess.set(token) } }

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the Pome server at baseURL (e.g.
// "https://pome.example.com"; a trailing slash is ignored). It does not
// contact the server; a baseURL that is not an absolute http(s) URL makes
// every call fail.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		userAgent: DefaultUserAgent,
		sess:      &session{},
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: defaultTimeout}
	}
	return c
}

// BaseURL returns the server's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// SessionToken returns the session token of the last Signup or Login (or
// WithSession), or "" if there is none. It is a secret: store it like a
// password.
func (c *Client) SessionToken() string { return c.sess.get() }

// ForTeam returns a client whose management calls act on the team with slug
// (?team=slug) instead of the user's default team. It shares c's session:
// a Logout through either signs both out.
func (c *Client) ForTeam(slug string) *Client {
	cp := *c
	cp.team = slug
	return &cp
}

// ErrUnexpectedResponse is wrapped by the error of a call answered by
// something that is not a Pome server (a proxy's error page, another
// service): its body is not the JSON Pome answers.
var ErrUnexpectedResponse = errors.New("response is not Pome's")

// UnreachableError is the error of a call that got no answer: the server is
// down, the name does not resolve, the connection was cut, the call timed
// out. Err is the cause.
type UnreachableError struct {
	BaseURL string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach Pome at %s: %v", e.BaseURL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// request is one call.
type request struct {
	method string
	path   string     // e.g. "/api/keys"
	query  url.Values // nil: none
	body   any        // nil: no body
	public bool       // /v1: API key, never the session
	// want is the status of success; anything else is an error.
	want int
}

// do sends r and decodes the success body into out (if not nil). It returns
// the response for callers that read headers.
func (c *Client) do(ctx context.Context, r request, out any) (*http.Response, error) {
	u, err := url.Parse(c.base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not an absolute http(s) URL", c.base)
	}
	q := r.query
	if !r.public && c.team != "" {
		if q == nil {
			q = url.Values{}
		}
		q.Set("team", c.team)
	}
	target := c.base + r.path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("client: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("client: build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.public {
		if c.apiKey != "" {
			req.Header.Set("Authorization", "Bearer "+c.apiKey)
		}
	} else {
		// The request comes from no web page: say so, as a browser would
		// for a request a user typed. The server's cross-origin protection
		// (http.CrossOriginProtection) lets such requests through.
		req.Header.Set("Sec-Fetch-Site", "none")
		if tok := c.sess.get(); tok != "" {
			// The server reads one of the two names, depending on whether it
			// serves the __Host- cookie (HTTPS); the token is sent under
			// both, so a stored token works whichever the server uses.
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
			req.AddCookie(&http.Cookie{Name: secureSessionCookie, Value: tok})
		}
	}

	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, &UnreachableError{BaseURL: c.base, Err: ctxErr}
		}
		// The *url.Error around the cause would only repeat the URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &UnreachableError{BaseURL: c.base, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &UnreachableError{BaseURL: c.base, Err: fmt.Errorf("read response: %w", err)}
	}
	if resp.StatusCode != r.want {
		return resp, decodeError(resp, raw, r.method+" "+r.path)
	}
	if out != nil {
		if !isJSON(resp) {
			return resp, fmt.Errorf("%s %s answered %s with %q: %w", r.method, r.path, resp.Status,
				resp.Header.Get("Content-Type"), ErrUnexpectedResponse)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return resp, fmt.Errorf("%s %s: decode body: %w (%w)", r.method, r.path, err, ErrUnexpectedResponse)
		}
	}
	return resp, nil
}

func isJSON(resp *http.Response) bool {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// cookieOf returns the session token a response sets, or "".
func cookieOf(resp *http.Response) string {
	for _, ck := range resp.Cookies() {
		if (ck.Name == sessionCookie || ck.Name == secureSessionCookie) && ck.Value != "" {
			return ck.Value
		}
	}
	return ""
}
