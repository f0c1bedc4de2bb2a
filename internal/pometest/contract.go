package pometest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vconfig "github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/pomehq/pome/openapi"
)

// The contract check: every request a test sends to a Server, and the
// response it gets, is checked against openapi/openapi.yaml, so that the
// document cannot drift from the code. What it checks:
//
//   - the route: a path and method the document lists; anything else must
//     be answered as the document's x-pome-routing says (404
//     route_not_found, or 405 method_not_allowed with the path's methods in
//     Allow), and, in gateway mode, a path under an upstream's prefix must
//     be the upstream's answer or one of the errors x-pome-gateway lists;
//   - the response: a status the operation lists (or one of x-pome-routing's
//     checks before routing), its content type, body schema and headers;
//   - the request, when the server accepted it (2xx): its parameters,
//     credentials and body, since a request the server accepts must be one
//     the document allows.
//
// The document is parsed once per test process.

// contractDocPath is the document's path in the repository, for messages.
const contractDocPath = "openapi/openapi.yaml"

// Body sizes the check reads at most; a larger body is not checked.
const (
	maxCheckedRequestBody  = 1 << 20
	maxCheckedResponseBody = 4 << 20
)

var loaded struct {
	once sync.Once
	c    *contract
	err  error
}

// loadContract returns the parsed document, parsing it on first use.
func loadContract() (*contract, error) {
	loaded.once.Do(func() { loaded.c, loaded.err = parseContract(openapi.YAML) })
	return loaded.c, loaded.err
}

// contract is the parsed document and its validator.
type contract struct {
	// mu serializes validations: the validator does not document itself
	// as safe for concurrent use.
	mu        sync.Mutex
	validator validator.Validator
	model     *v3.Document
	templates []pathTemplate
	routing   routingRules
	gateway   gatewayRules
	// types maps an error's status to its type (the ErrorType schema's
	// description is prose; this is the same table, for the check).
	types map[int]string
}

// pathTemplate is a documented path, split into segments.
type pathTemplate struct {
	path     string
	segments []string // "{name}" for a parameter
	literals int
	item     *v3.PathItem
}

// routingRules is the document's x-pome-routing.
type routingRules struct {
	UnknownPath struct {
		Status int    `yaml:"status"`
		Code   string `yaml:"code"`
	} `yaml:"unknownPath"`
	// UnknownPage is UnknownPath for a browser: a request of one of
	// Methods that accepts Accept's type, outside the Outside prefixes, is
	// a page of ContentType, not the Error envelope.
	UnknownPage struct {
		Status      int      `yaml:"status"`
		ContentType string   `yaml:"contentType"`
		Methods     []string `yaml:"methods"`
		Accept      string   `yaml:"accept"`
		Outside     []string `yaml:"outside"`
	} `yaml:"unknownPage"`
	UnknownMethod struct {
		Status int    `yaml:"status"`
		Code   string `yaml:"code"`
		Header string `yaml:"header"`
	} `yaml:"unknownMethod"`
	// UncleanPath answers a path with a "." or ".." segment or a doubled
	// slash, but on CONNECT: a redirect to the clean path (ServeMux's).
	UncleanPath struct {
		Status int `yaml:"status"`
	} `yaml:"uncleanPath"`
	BeforeRouting []struct {
		Status           int      `yaml:"status"`
		Code             string   `yaml:"code"`
		Methods          []string `yaml:"methods"`
		Outside          string   `yaml:"outside"`
		MinContentLength int64    `yaml:"minContentLength"`
	} `yaml:"beforeRouting"`
	HeadFollowsGet bool `yaml:"headFollowsGet"`
}

// gatewayRules is the document's x-pome-gateway.
type gatewayRules struct {
	Errors map[string][]string `yaml:"errors"`
	// Namespaces are Pome's own path prefixes: an upstream takes a path
	// there only with a prefix inside the namespace.
	Namespaces []string `yaml:"namespaces"`
}

// forwards reports whether an upstream of one of the prefixes takes path:
// its longest prefix is at least as long as any of Pome's namespaces that hold it.
func (g *gatewayRules) forwards(prefixes []string, path string) bool {
	longest := func(ps []string) int {
		n := -1
		for _, p := range ps {
			if strings.HasPrefix(path, p) {
				n = max(n, len(p))
			}
		}
		return n
	}
	up := longest(prefixes)
	return up >= 0 && up >= longest(g.Namespaces)
}

func parseContract(doc []byte) (*contract, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", contractDocPath, err)
	}
	m, err := d.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build the model of %s: %w", contractDocPath, err)
	}
	c := &contract{model: &m.Model, types: map[int]string{
		400: "invalid_request_error", 405: "invalid_request_error", 409: "invalid_request_error",
		413: "invalid_request_error", 415: "invalid_request_error", 401: "authentication_error",
		403: "permission_error", 404: "not_found_error", 429: "rate_limit_error",
		500: "api_error", 502: "api_error", 504: "api_error", 503: "unavailable_error",
	}}
	c.validator = validator.NewValidatorFromV3Model(c.model, vconfig.WithFormatAssertions())
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		t := pathTemplate{path: path, item: item, segments: strings.Split(strings.TrimPrefix(path, "/"), "/")}
		for _, s := range t.segments {
			if !strings.HasPrefix(s, "{") {
				t.literals++
			}
		}
		c.templates = append(c.templates, t)
	}
	for name, dst := range map[string]any{"x-pome-routing": &c.routing, "x-pome-gateway": &c.gateway} {
		n, ok := c.model.Extensions.Get(name)
		if !ok {
			return nil, fmt.Errorf("%s has no %s", contractDocPath, name)
		}
		if err := n.Decode(dst); err != nil {
			return nil, fmt.Errorf("%s: decode %s: %w", contractDocPath, name, err)
		}
	}
	if c.routing.UnknownPath.Status == 0 || c.routing.UnknownPage.Status == 0 || c.routing.UnknownMethod.Status == 0 || c.routing.UncleanPath.Status == 0 || len(c.gateway.Errors) == 0 {
		return nil, fmt.Errorf("%s: x-pome-routing or x-pome-gateway is incomplete", contractDocPath)
	}
	return c, nil
}

// match returns the documented path that routes escapedPath, as ServeMux
// would: the template with the most literal segments among those that match.
func (c *contract) match(escapedPath string) *pathTemplate {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	var best *pathTemplate
	for i := range c.templates {
		t := &c.templates[i]
		if len(t.segments) != len(segs) {
			continue
		}
		ok := true
		for j, s := range t.segments {
			if strings.HasPrefix(s, "{") {
				ok = segs[j] != ""
			} else {
				ok = s == segs[j]
			}
			if !ok {
				break
			}
		}
		if ok && (best == nil || t.literals > best.literals) {
			best = t
		}
	}
	return best
}

// exchange is one request and the response the server gave it, as the
// server saw them.
type exchange struct {
	method      string
	uri         string // the request URI, escaped, with the query
	path        string // the escaped path
	reqHeader   http.Header
	reqBody     []byte
	reqBodyLong bool // larger than maxCheckedRequestBody: not checked
	status      int
	header      http.Header
	body        []byte
	bodyLong    bool
}

// check returns what in x the document does not allow, as sentences; none if
// x conforms. gateway lists the prefixes of the server's upstreams.
func (c *contract) check(x *exchange, gateway []string) []string {
	if clean := cleanPath(x.path); clean != x.path && x.method != http.MethodConnect {
		_, query, _ := strings.Cut(x.uri, "?")
		want := (&url.URL{Path: clean, RawQuery: query}).String()
		if x.status != c.routing.UncleanPath.Status || x.header.Get("Location") != want {
			return []string{fmt.Sprintf("status %d to %q, want %d to %q (x-pome-routing: uncleanPath)", x.status, x.header.Get("Location"), c.routing.UncleanPath.Status, want)}
		}
		return nil
	}
	t := c.match(x.path)
	method := x.method
	head := method == http.MethodHead && c.routing.HeadFollowsGet
	if head {
		method = http.MethodGet
	}
	var op *v3.Operation
	if t != nil {
		op = t.item.GetOperations().GetOrZero(strings.ToLower(method))
	}
	if op == nil && c.gateway.forwards(gateway, x.path) && t == nil {
		return c.checkGateway(x)
	}
	if probs, ok := c.checkBeforeRouting(x); ok {
		return probs
	}
	switch {
	case t == nil && c.isPageVisit(x):
		r := c.routing.UnknownPage
		if ct := x.header.Get("Content-Type"); x.status != r.Status || !strings.HasPrefix(ct, r.ContentType) {
			return []string{fmt.Sprintf("status %d %q, want %d %s (x-pome-routing: unknownPage)", x.status, ct, r.Status, r.ContentType)}
		}
		return nil
	case t == nil:
		r := c.routing.UnknownPath
		return c.checkError(x, r.Status, []string{r.Code}, "no documented path matches "+x.path)
	case op == nil:
		r := c.routing.UnknownMethod
		probs := c.checkError(x, r.Status, []string{r.Code}, fmt.Sprintf("%s documents no %s", t.path, x.method))
		if x.status == r.Status {
			want := c.methods(t)
			if got := x.header.Get(r.Header); got != strings.Join(want, ", ") {
				probs = append(probs, fmt.Sprintf("%s: %q, want %q (the methods %s documents)", r.Header, got, strings.Join(want, ", "), t.path))
			}
		}
		return probs
	}

	code := strconv.Itoa(x.status)
	if op.Responses == nil || op.Responses.Codes.GetOrZero(code) == nil {
		return []string{fmt.Sprintf("status %d is not documented for %s %s", x.status, strings.ToLower(method), t.path)}
	}
	req, err := x.request(method)
	if err != nil {
		return []string{err.Error()}
	}
	var probs []string
	if head {
		// No body to check: the status is documented, and the id is there.
		if x.header.Get("X-Request-Id") == "" {
			probs = append(probs, "no X-Request-Id")
		}
		return probs
	}
	resp := &http.Response{StatusCode: x.status, Header: x.header, Body: io.NopCloser(bytes.NewReader(x.body)), Request: req}
	if !x.bodyLong {
		c.mu.Lock()
		ok, errs := c.validator.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(req, resp, t.item, t.path)
		c.mu.Unlock()
		if !ok {
			probs = append(probs, describe("response", errs)...)
		}
	}
	if x.status >= 200 && x.status < 300 && !x.reqBodyLong {
		// A request the server accepted must be one the document allows.
		req, _ = x.request(method)
		c.mu.Lock()
		ok, errs := c.validator.ValidateHttpRequestSyncWithPathItem(req, t.item, t.path)
		c.mu.Unlock()
		if !ok {
			probs = append(probs, describe("request (accepted with "+code+")", errs)...)
		}
	}
	return probs
}

// methods lists the methods the document gives t, in the order of Allow.
func (c *contract) methods(t *pathTemplate) []string {
	var out []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		lookup := m
		if m == http.MethodHead && c.routing.HeadFollowsGet {
			lookup = http.MethodGet
		}
		if t.item.GetOperations().GetOrZero(strings.ToLower(lookup)) != nil {
			out = append(out, m)
		}
	}
	return out
}

// cleanPath is p with "." and ".." segments resolved and doubled slashes
// removed, a trailing slash kept: what ServeMux redirects to.
func cleanPath(p string) string {
	clean := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean
}

// checkBeforeRouting reports whether x was answered by one of the checks the
// document makes before routing, and what in that answer is wrong.
func (c *contract) checkBeforeRouting(x *exchange) ([]string, bool) {
	for _, r := range c.routing.BeforeRouting {
		if x.status != r.Status {
			continue
		}
		if len(r.Methods) > 0 && !slices.Contains(r.Methods, x.method) {
			continue
		}
		if r.Outside != "" && strings.HasPrefix(x.path, r.Outside) {
			continue
		}
		if r.MinContentLength > 0 {
			n, err := strconv.ParseInt(x.reqHeader.Get("Content-Length"), 10, 64)
			if err != nil || n < r.MinContentLength {
				continue
			}
		}
		if e, ok := x.envelope(); !ok || e.Code != r.Code {
			continue
		}
		return c.checkError(x, r.Status, []string{r.Code}, ""), true
	}
	return nil, false
}

// checkGateway checks an exchange with an upstream's prefix: the upstream's
// own answer passes; Pome's own must be one of the gateway's errors.
func (c *contract) checkGateway(x *exchange) []string {
	// Pome's answers carry its API policy; a forwarded response has it
	// removed (docs: x-pome-gateway).
	if x.header.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
		return nil
	}
	codes := c.gateway.Errors[strconv.Itoa(x.status)]
	if len(codes) == 0 {
		return []string{fmt.Sprintf("status %d is not one of the gateway's errors (x-pome-gateway)", x.status)}
	}
	return c.checkError(x, x.status, codes, "a gateway path")
}

// isPageVisit reports whether x is a browser's visit to a page, as
// x-pome-routing's unknownPage defines it.
func (c *contract) isPageVisit(x *exchange) bool {
	r := &c.routing.UnknownPage
	if !slices.Contains(r.Methods, x.method) || !strings.Contains(x.reqHeader.Get("Accept"), r.Accept) {
		return false
	}
	return !slices.ContainsFunc(r.Outside, func(prefix string) bool { return strings.HasPrefix(x.path, prefix) })
}

// checkError checks that x is the error envelope with status and one of
// codes, in the document's Error schema. why says why that answer was due.
func (c *contract) checkError(x *exchange, status int, codes []string, why string) []string {
	if why != "" {
		why = " (" + why + ")"
	}
	if x.status != status {
		return []string{fmt.Sprintf("status %d, want %d%s", x.status, status, why)}
	}
	var probs []string
	if ct := x.header.Get("Content-Type"); ct != "application/json" {
		probs = append(probs, fmt.Sprintf("Content-Type %q, want application/json", ct))
	}
	e, ok := x.envelope()
	if !ok {
		return append(probs, "body is not the Error envelope")
	}
	if !slices.Contains(codes, e.Code) {
		probs = append(probs, fmt.Sprintf("code %q, want one of %q%s", e.Code, codes, why))
	}
	if want := c.types[status]; e.Type != want {
		probs = append(probs, fmt.Sprintf("type %q, want %q", e.Type, want))
	}
	if id := x.header.Get("X-Request-Id"); id == "" || e.RequestID != id {
		probs = append(probs, fmt.Sprintf("request_id %q, X-Request-Id %q: want both, equal", e.RequestID, id))
	}
	if e.Message == "" {
		probs = append(probs, "empty message")
	}
	if status == http.StatusUnauthorized && x.header.Get("WWW-Authenticate") != `Bearer realm="pome"` {
		probs = append(probs, "a 401 without WWW-Authenticate: Bearer realm=\"pome\"")
	}
	return probs
}

type envelopeBody struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// envelope decodes x's body as exactly the Error envelope.
func (x *exchange) envelope() (envelopeBody, bool) {
	var env struct {
		Error *envelopeBody `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(x.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil || env.Error == nil {
		return envelopeBody{}, false
	}
	return *env.Error, true
}

// request rebuilds the request of x for the validator, as method.
func (x *exchange) request(method string) (*http.Request, error) {
	req, err := http.NewRequest(method, "http://pome.test"+x.uri, bytes.NewReader(x.reqBody))
	if err != nil {
		return nil, fmt.Errorf("rebuild the request: %v", err)
	}
	req.Header = x.reqHeader.Clone()
	return req, nil
}

// printableBody is the response body for a failure message: text, cut short.
func (x *exchange) printableBody() string {
	body := bytes.TrimSpace(x.body)
	switch {
	case x.bodyLong:
		return "(over " + strconv.Itoa(maxCheckedResponseBody) + " bytes)"
	case x.header.Get("Content-Encoding") != "" || !utf8.Valid(body):
		return fmt.Sprintf("(%d bytes, not text)", len(body))
	case len(body) > 600:
		return string(body[:600]) + "…"
	}
	return string(body)
}

// describe turns the validator's errors into sentences.
func describe(what string, errs []*verrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		s := what + ": " + e.Message
		if e.Reason != "" && e.Reason != e.Message {
			s += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			where := f.FieldPath
			if where == "" {
				where = f.KeywordLocation
			}
			s += fmt.Sprintf("\n      %s: %s", where, f.Reason)
		}
		out = append(out, s)
	}
	return out
}

// report is the failure message of x's problems.
func (x *exchange) report(probs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s answered %d, which %s does not allow:", x.method, x.uri, x.status, contractDocPath)
	for _, p := range probs {
		b.WriteString("\n  - " + p)
	}
	fmt.Fprintf(&b, "\n  X-Request-Id %s; Content-Type %q; body %s", x.header.Get("X-Request-Id"), x.header.Get("Content-Type"), x.printableBody())
	b.WriteString("\n  (if the server is right, change the document; if the document is right, the server has drifted)")
	return b.String()
}
