package httpserver_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/pometest"
)

// attack is one hostile request and the answer it must get. raw, if set, is
// sent as is over TCP, for what net/http's client refuses to send.
type attack struct {
	name   string
	client *http.Client
	method string
	path   string
	header http.Header
	body   string
	raw    string

	status int
	code   string // "" when net/http answers before Pome (its own 400)
}

// writeMethods are the store methods that change state. TouchSession is left
// out: it moves a session's last-seen time, nothing an attacker gains.
var writeMethods = []string{"CreateUserWithTeam", "UpdateTeam", "CreateSession", "DeleteSession",
	"CreateKey", "UpdateKey", "RevokeKey", "RollKey", "AddUsage", "CreateInvitation", "DeleteInvitation", "AcceptInvitation",
	"SetMemberRole", "RemoveMember", "AppendAudit", "SetPassword", "CreatePasswordReset", "ResetPassword", "DeleteUserSession",
	"CreatePortalLink", "OpenPortalLink"}

// The attacker's suite: each hostile request gets exactly its status and
// code, and changes nothing (no store write, no usage counted).
func TestAttacks(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	bob := s.Signup(t, "bob@example.com")
	aliceKey := s.CreateKeyWith(t, alice, `{"name":"alice-ci"}`)
	bobKey := s.CreateKeyWith(t, bob, `{"name":"bob-ci"}`)
	K, KB := aliceKey.Key, bobKey.Key
	forged := mustForge(t)
	plusOne := K + "a"
	minusOne := K[:len(K)-1]
	changed := K[:10] + string(K[10]^1) + K[11:] // bad checksum
	lookalike := strings.Replace(K, K[4:5], "\u0430", 1)
	big := strings.Repeat("A", 8<<10)
	addr := s.HTTP.Listener.Addr().String()
	rawGet := func(headers ...string) string {
		return "GET /v1/me HTTP/1.1\r\nHost: " + addr + "\r\n" + strings.Join(headers, "") + "Connection: close\r\n\r\n"
	}
	me := func(name string, h http.Header, status int, code string) attack {
		return attack{name: name, method: "GET", path: "/v1/me", header: h, status: status, code: code}
	}
	const missing, invalid, conflicting = "missing_api_key", "invalid_api_key", "conflicting_credentials"
	auth := func(v string) http.Header { return hdr("Authorization", v) }
	crossSite := func(name string, h http.Header, method, path, body string) attack {
		return attack{name: name, client: alice, method: method, path: path, header: h, body: body, status: 403, code: "cross_origin_request"}
	}
	mgmt := func(name, method, path, body string, status int, code string) attack {
		return attack{name: name, client: alice, method: method, path: path, body: body, status: status, code: code}
	}

	attacks := []attack{
		// Credential headers.
		me("missing", nil, 401, missing),
		me("empty X-API-KEY", apiKey(""), 401, missing),
		me("empty Authorization", auth(""), 401, missing),
		me("Bearer without token", auth("Bearer"), 401, missing),
		me("Bearer and spaces only", auth("Bearer    "), 401, missing),
		me("X-API-KEY repeated", hdr("X-API-KEY", K, "X-API-KEY", K), 400, conflicting),
		me("X-API-KEY repeated, one empty", hdr("X-API-KEY", K, "X-API-KEY", ""), 400, conflicting),
		me("Authorization repeated", hdr("Authorization", "Bearer "+K, "Authorization", "Bearer "+K), 400, conflicting),
		me("conflicting keys", hdr("X-API-KEY", K, "Authorization", "Bearer "+KB), 400, conflicting),
		me("X-API-KEY and Basic", hdr("X-API-KEY", K, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(K+":"))), 400, conflicting),
		// Schemes.
		me("Basic", auth("Basic "+base64.StdEncoding.EncodeToString([]byte(K+":x"))), 401, missing),
		me("Token", auth("Token "+K), 401, missing),
		me("Bearer:", auth("Bearer:"+K), 401, missing),
		me("Bearer: and space", auth("Bearer: "+K), 401, missing),
		me("Bearer tab", auth("Bearer\t"+K), 401, missing),
		me("Bearerx", auth("Bearerx "+K), 401, missing),
		me("bare key in Authorization", auth(K), 401, missing),
		me("Bearer twice", auth("Bearer Bearer "+K), 401, invalid),
		me("Bearer with trailing words", auth("Bearer "+K+" extra"), 401, invalid),
		// Whitespace, control characters, look-alikes, encodings.
		me("inner space", apiKey(K[:10]+" "+K[11:]), 401, invalid),
		me("inner tab", apiKey(K[:10]+"\t"+K[11:]), 401, invalid),
		me("Cyrillic look-alike", apiKey(lookalike), 401, invalid),
		me("fullwidth prefix", apiKey("ｐｍｅ"+K[3:]), 401, invalid),
		me("zero-width space appended", apiKey(K+"\u200b"), 401, invalid),
		me("percent-encoded underscore", apiKey("pme%5F"+K[4:]), 401, invalid),
		me("percent-encoded whole key", apiKey(url.QueryEscape(K+"/")), 401, invalid),
		{name: "CR in the value", raw: rawGet("X-API-KEY: " + K[:10] + "\r" + K[10:] + "\r\n"), status: 400},
		{name: "NUL in the value", raw: rawGet("X-API-KEY: " + K[:10] + "\x00" + K[10:] + "\r\n"), status: 400},
		// net/http unfolds the line with a space: a malformed key.
		{name: "obsolete line folding", raw: rawGet("X-API-KEY: " + K[:10] + "\r\n " + K[10:] + "\r\n"), status: 401, code: invalid},
		{name: "LF-injected second key", raw: rawGet("X-API-KEY: " + K + "\nX-API-KEY: " + KB + "\r\n"), status: 400},
		{name: "CRLF-injected header", raw: rawGet("X-API-KEY: " + forged + "\r\nAuthorization: Bearer " + K + "\r\n"), status: 400, code: conflicting},
		{name: "non-ASCII bytes", raw: rawGet("X-API-KEY: " + K[:10] + "\xff\xfe" + K[12:] + "\r\n"), status: 401, code: invalid},
		// Shape of the key.
		me("wrong prefix", apiKey("xyz"+K[3:]), 401, invalid),
		me("upper-case prefix", apiKey("PME"+K[3:]), 401, invalid),
		me("upper-cased key", apiKey(strings.ToUpper(K)), 401, invalid),
		me("one character more", apiKey(plusOne), 401, invalid),
		me("one character less", apiKey(minusOne), 401, invalid),
		me("bad alphabet", apiKey(K[:10]+"-"+K[11:]), 401, invalid),
		me("bad checksum", apiKey(changed), 401, invalid),
		me("forged well-formed key", apiKey(forged), 401, invalid),
		me("forged, by Bearer", auth("Bearer "+forged), 401, invalid),
		me("8 KiB X-API-KEY", apiKey(big), 401, invalid),
		me("8 KiB bearer token", auth("Bearer "+big), 401, invalid),
		me("session token as key", apiKey(pome.NewSessionToken()), 401, invalid),
		// Where a key is never read.
		me("key in query", hdr(), 401, missing),
		me("key in cookie", hdr("Cookie", "api_key="+K+"; X-API-KEY="+K), 401, missing),
		{name: "key in body", method: "GET", path: "/v1/me", body: `{"api_key":"` + K + `"}`, status: 401, code: missing},

		// Another team's key id on every /api/keys/{id} route, and malformed ids.
		mgmt("get another team's key", "GET", "/api/keys/"+bobKey.ID, "", 404, "key_not_found"),
		mgmt("revoke another team's key", "DELETE", "/api/keys/"+bobKey.ID, "", 404, "key_not_found"),
		mgmt("change another team's key", "PATCH", "/api/keys/"+bobKey.ID, `{"enabled":false}`, 404, "key_not_found"),
		mgmt("usage of another team's key", "GET", "/api/keys/"+bobKey.ID+"/usage", "", 404, "key_not_found"),
		mgmt("roll another team's key", "POST", "/api/keys/"+bobKey.ID+"/roll", `{}`, 404, "key_not_found"),
		mgmt("another team by slug", "GET", "/api/keys?team=bob", "", 404, "team_not_found"),
		mgmt("unknown id", "DELETE", "/api/keys/key_0000000000000000", "", 404, "key_not_found"),
		mgmt("plaintext key as id", "DELETE", "/api/keys/"+KB, "", 404, "key_not_found"),
		mgmt("NUL in id", "DELETE", "/api/keys/key_%00", "", 404, "key_not_found"),
		mgmt("SQL in id", "DELETE", "/api/keys/"+url.PathEscape("' OR 1=1;--"), "", 404, "key_not_found"),
		mgmt("2,000-character id", "GET", "/api/keys/"+strings.Repeat("k", 2000)+"/usage", "", 404, "key_not_found"),
		mgmt("unicode id", "POST", "/api/keys/"+url.PathEscape("kéy_ü")+"/roll", `{}`, 404, "key_not_found"),
		{name: "forged session cookie", method: "GET", path: "/api/keys", header: hdr("Cookie", "pome_session="+pome.NewSessionToken()), status: 401, code: "unauthorized"},

		// Cross-site state changes with alice's cookie.
		crossSite("Sec-Fetch-Site cross-site POST", hdr("Sec-Fetch-Site", "cross-site"), "POST", "/api/keys", `{"name":"csrf"}`),
		crossSite("Sec-Fetch-Site same-site POST", hdr("Sec-Fetch-Site", "same-site"), "POST", "/api/keys", `{"name":"csrf"}`),
		crossSite("foreign Origin POST", hdr("Origin", "https://evil.example"), "POST", "/api/keys", `{"name":"csrf"}`),
		crossSite("Origin null POST", hdr("Origin", "null"), "POST", "/api/keys", `{"name":"csrf"}`),
		crossSite("cross-site DELETE", hdr("Sec-Fetch-Site", "cross-site"), "DELETE", "/api/keys/"+aliceKey.ID, ""),
		crossSite("foreign Origin DELETE", hdr("Origin", "https://evil.example"), "DELETE", "/api/keys/"+aliceKey.ID, ""),
		crossSite("cross-site PATCH", hdr("Sec-Fetch-Site", "cross-site"), "PATCH", "/api/keys/"+aliceKey.ID, `{"enabled":false}`),
		crossSite("foreign Origin PATCH", hdr("Origin", "https://evil.example"), "PATCH", "/api/keys/"+aliceKey.ID, `{"enabled":false}`),
		crossSite("cross-site roll", hdr("Sec-Fetch-Site", "cross-site"), "POST", "/api/keys/"+aliceKey.ID+"/roll", `{}`),
		crossSite("cross-site logout", hdr("Sec-Fetch-Site", "cross-site"), "POST", "/api/auth/logout", ""),
		crossSite("login CSRF", hdr("Origin", "https://evil.example"), "POST", "/api/auth/login", `{"email":"alice@example.com","password":"`+pometest.Password+`"}`),
		crossSite("cross-site signup", hdr("Sec-Fetch-Site", "cross-site"), "POST", "/api/auth/signup", `{"email":"eve@example.com","password":"correct horse battery"}`),
		crossSite("cross-site invitation", hdr("Sec-Fetch-Site", "cross-site"), "POST", "/api/team/invitations", `{"email":"bob@example.com","role":"owner"}`),

		// Bodies.
		mgmt("oversize JSON", "POST", "/api/keys", `{"name":"x","description":"`+strings.Repeat("x", 65<<10)+`"}`, 413, "body_too_large"),
		mgmt("malformed JSON", "POST", "/api/keys", `{"name":`, 400, "invalid_json"),
		mgmt("JSON array", "POST", "/api/keys", `[{"name":"x"}]`, 400, "invalid_json"),
		mgmt("two JSON objects", "POST", "/api/keys", `{"name":"a"}{"name":"b"}`, 400, "invalid_json"),
		mgmt("wrong-typed name", "POST", "/api/keys", `{"name":5}`, 400, "invalid_parameter"),
		mgmt("wrong-typed expiry", "POST", "/api/keys", `{"name":"x","expires_in_days":"7"}`, 400, "invalid_parameter"),
		mgmt("unknown field", "POST", "/api/keys", `{"name":"x","team_id":"tm_x"}`, 400, "invalid_parameter"),
		mgmt("role above own", "POST", "/api/keys", `{"name":"x","role":"superuser"}`, 400, "invalid_parameter"),
		mgmt("name with NUL", "POST", "/api/keys", `{"name":"ci\u0000"}`, 400, "invalid_parameter"),
		mgmt("name with newline", "POST", "/api/keys", `{"name":"ci\nprod"}`, 400, "invalid_parameter"),
		mgmt("name with ANSI escape", "POST", "/api/keys", `{"name":"\u001b[31mci"}`, 400, "invalid_parameter"),
		mgmt("name with bidi override", "POST", "/api/keys", `{"name":"ci\u202eexe.gnp"}`, 400, "invalid_parameter"),
		mgmt("description with escape", "POST", "/api/keys", `{"name":"ci","description":"\u001b[2J"}`, 400, "invalid_parameter"),
	}
	// The query-string case needs its path.
	for i := range attacks {
		if attacks[i].name == "key in query" {
			attacks[i].path = "/v1/me?api_key=" + K + "&key=" + url.QueryEscape(K) + "&X-API-KEY=" + K
		}
	}

	before := snapshot(t, s, alice, bob)
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			s.Clock.Advance(time.Minute) // every case with fresh rate-limit quotas
			s.Store.Reset()
			var status int
			var body []byte
			var header http.Header
			if a.raw != "" {
				status, header, body = sendRaw(t, addr, a.raw)
			} else {
				r := s.Do(t, a.client, a.method, a.path, a.header, a.body)
				status, header, body = r.Status, r.Header, r.Body
			}
			if status != a.status {
				t.Fatalf("status = %d, want %d; body %s", status, a.status, body)
			}
			if a.code != "" {
				e := checkErrorBody(t, a.name, &pometest.Response{Status: status, Header: header, Body: body})
				if e.Code != a.code {
					t.Errorf("code = %s, want %s (%s)", e.Code, a.code, e.Message)
				}
			}
			if err := s.Meter.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			for m, n := range s.Store.Calls() {
				if slices.Contains(writeMethods, m) {
					t.Errorf("store %s called %d times: state changed", m, n)
				}
			}
		})
	}
	if after := snapshot(t, s, alice, bob); after != before {
		t.Errorf("keys changed during the attacks:\nbefore %s\nafter  %s", before, after)
	}

	// Accepted, not attacks: RFC 9110 lets a header value carry optional
	// whitespace around it (net/http trims it) and RFC 7235 lets one or
	// more spaces follow the scheme.
	for _, h := range []http.Header{apiKey("  " + K + "\t"), auth("Bearer  " + K), auth("bEaReR " + K)} {
		if r := s.Do(t, nil, "GET", "/v1/me", h, ""); r.Status != 200 {
			t.Errorf("GET /v1/me with %q status = %d, want 200", h, r.Status)
		}
	}
}

// snapshot is every key of the users' teams, with what an attack could
// change.
func snapshot(t *testing.T, s *pometest.Server, users ...*http.Client) string {
	t.Helper()
	var b strings.Builder
	for _, c := range users {
		r := s.Do(t, c, "GET", "/api/keys?status=all", nil, "")
		var l struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(r.Body, &l); err != nil {
			t.Fatalf("GET /api/keys: %s", r.Body)
		}
		for _, k := range l.Keys {
			fmt.Fprintf(&b, "%v %v %v %v %v %v %v;", k["id"], k["name"], k["status"], k["role"], k["expires_at"], k["usage_count"], k["enabled"])
		}
	}
	return b.String()
}

// sendRaw writes raw to addr over a new TCP connection and reads one response.
func sendRaw(t *testing.T, addr, raw string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(writeRaw(t, addr, raw), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}
