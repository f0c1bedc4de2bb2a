package httpserver_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pomehq/pome/internal/pometest"
)

// The verify call's scopes and ip are checked as the key's own fields are:
// a bad one is a 400 naming it, never an answer about the key.
func TestVerifyPolicyParameters(t *testing.T) {
	t.Parallel()
	s := pometest.NewServer(t)
	alice := s.Signup(t, "alice@example.com")
	key := s.CreateKey(t, alice, "ci")
	token := mustServiceToken(t, s, "backend").Plaintext
	for _, c := range []struct{ body, field string }{
		{`{"key":"` + key + `","ip":"example.com"}`, "'ip'"},
		{`{"key":"` + key + `","ip":"10.0.0.0/8"}`, "'ip'"},
		{`{"key":"` + key + `","ip":"fe80::1%eth0"}`, "'ip'"},
		{`{"key":"` + key + `","scopes":["Docs:read"]}`, "'scopes'"},
		{`{"key":"` + key + `","scopes":["` + strings.Repeat("a", 65) + `"]}`, "'scopes'"},
	} {
		r := s.Do(t, nil, "POST", "/v1/keys/verify", bearer(token), c.body)
		e := checkErrorBody(t, "verify "+c.body, r)
		if r.Status != http.StatusBadRequest || e.Code != "invalid_parameter" || !strings.Contains(e.Message, c.field) {
			t.Errorf("verify %s = %d %+v, want 400 invalid_parameter naming %s", c.body, r.Status, e, c.field)
		}
	}
	// An IPv6 address is read as one; the key has no CIDRs, so any passes.
	r := s.Do(t, nil, "POST", "/v1/keys/verify", bearer(token), `{"key":"`+key+`","ip":"2001:db8::7","scopes":[]}`)
	if v := decode[verifyBody](t, r); r.Status != http.StatusOK || v.Code != "VALID" {
		t.Errorf("verify with an IPv6 ip = %d %s, want 200 VALID", r.Status, r.Body)
	}
}

// The upstream learns the key's policies from the identity headers: its
// environment, scopes, meta (base64url of the compact JSON) and nothing a
// client sent under those names in any spelling.
func TestGatewayForwardsPolicies(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := gatewayServer(t, up)
	alice := s.Signup(t, "alice@example.com")
	created := s.CreateKeyWith(t, alice, `{"name":"ci","environment":"test","scopes":["docs:*","billing:read"],
		"meta":{ "customer" : "cus_42", "seats": 3 }}`)
	if !strings.HasPrefix(created.Key, "pme_test_") {
		t.Fatalf("a test key reads %q, want pme_test_…", created.Key[:9])
	}
	h := hdr("X-API-KEY", created.Key, "pome_key_scopes", "*", "POME-KEY-META", "e30", "Pome_Key_Environment", "live",
		"pome-team-external-id", "forged")
	r := s.Do(t, nil, "GET", "/orders", h, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /orders = %d %s, want 200", r.Status, r.Body)
	}
	got := decode[seen](t, r).Header
	for k, want := range map[string][]string{
		"Pome-Key-Environment": {"test"},
		"Pome-Key-Scopes":      {"docs:*,billing:read"},
		"Pome-Key-Meta":        {base64.RawURLEncoding.EncodeToString([]byte(`{"customer":"cus_42","seats":3}`))},
	} {
		if vs := got[k]; len(vs) != 1 || vs[0] != want[0] {
			t.Errorf("upstream header %s = %q, want %q", k, vs, want)
		}
	}
	if vs, ok := got["Pome-Team-External-Id"]; ok {
		t.Errorf("upstream got Pome-Team-External-Id = %q for a team without one, want none", vs)
	}
	for k := range got {
		if strings.Contains(k, "_") {
			t.Errorf("upstream got %s: a client's header in Pome's namespace passed", k)
		}
	}
	meta, err := base64.RawURLEncoding.DecodeString(got.Get("Pome-Key-Meta"))
	if err != nil || !json.Valid(meta) {
		t.Errorf("Pome-Key-Meta decodes to %q, %v; want the key's JSON", meta, err)
	}
}
