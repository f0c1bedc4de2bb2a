package pome_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pomehq/pome"
)

func TestCheckKeyScopes(t *testing.T) {
	t.Parallel()
	got, err := pome.CheckKeyScopes([]string{"docs:read", "*", "docs:*", "a_b.c-d", "docs:read"})
	if err != nil || !slices.Equal(got, []string{"docs:read", "*", "docs:*", "a_b.c-d"}) {
		t.Fatalf("CheckKeyScopes = %v, %v; want the four distinct scopes in order", got, err)
	}
	tooMany := make([]string, pome.MaxKeyScopes+1)
	for i := range tooMany {
		tooMany[i] = "s" + strings.Repeat("x", i%60)
	}
	for _, bad := range [][]string{
		{"Docs:read"}, {"docs read"}, {""}, {strings.Repeat("a", 65)}, {"docs/read"}, {"é"}, tooMany,
	} {
		if _, err := pome.CheckKeyScopes(bad); !errors.Is(err, &pome.Error{Code: "invalid_parameter"}) ||
			!strings.Contains(err.Error(), "'scopes'") {
			t.Errorf("CheckKeyScopes(%.40q) = %v, want invalid_parameter naming 'scopes'", bad, err)
		}
	}
}

func TestScopesCover(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		granted, required []string
		want              bool
	}{
		{nil, nil, true},
		{nil, []string{"docs:read"}, false},
		{[]string{"docs:read"}, []string{"docs:read"}, true},
		{[]string{"docs:read"}, []string{"docs:write"}, false},
		{[]string{"docs:*"}, []string{"docs:read", "docs:admin:write"}, true},
		{[]string{"docs:*"}, []string{"docsearch:read"}, false},
		{[]string{"docs:*"}, []string{"docs"}, false},
		{[]string{"*"}, []string{"anything:at:all", "x"}, true},
		{[]string{"docs*"}, []string{"docsearch"}, false}, // "*" is a wildcard only after ":"
		{[]string{"a", "b"}, []string{"a", "b", "c"}, false},
	} {
		if got := pome.ScopesCover(c.granted, c.required); got != c.want {
			t.Errorf("ScopesCover(%v, %v) = %v, want %v", c.granted, c.required, got, c.want)
		}
		if got := pome.MissingScope(c.granted, c.required) == ""; got != c.want {
			t.Errorf("MissingScope(%v, %v) disagrees with ScopesCover", c.granted, c.required)
		}
	}
}

func TestScopesCoverAllocs(t *testing.T) {
	granted := []string{"billing:read", "docs:*"}
	required := []string{"docs:read", "billing:read"}
	if n := testing.AllocsPerRun(100, func() { pome.ScopesCover(granted, required) }); n != 0 {
		t.Fatalf("ScopesCover allocates %v times, want 0", n)
	}
}

func TestParseCIDRs(t *testing.T) {
	t.Parallel()
	got, err := pome.ParseCIDRs([]string{"10.1.2.3/8", "192.0.2.7", "2001:db8::1/32", "::ffff:198.51.100.0/120", "10.0.0.0/8"})
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.0/24")}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ParseCIDRs = %v, %v; want %v", got, err, want)
	}
	back, err := pome.SplitCIDRs(pome.JoinCIDRs(got))
	if err != nil || !slices.Equal(back, got) {
		t.Fatalf("SplitCIDRs(JoinCIDRs(x)) = %v, %v; want x", back, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "::1/129", "example.com", "10.0.0.0/-1", "fe80::1%eth0", "", "::ffff:1.2.3.4/90"} {
		if _, err := pome.ParseCIDRs([]string{bad}); err == nil || !strings.Contains(err.Error(), "'allowed_cidrs'") {
			t.Errorf("ParseCIDRs(%q) = %v, want an error naming 'allowed_cidrs'", bad, err)
		}
	}
	if _, err := pome.ParseCIDRs(make([]string, pome.MaxKeyCIDRs+1)); err == nil {
		t.Error("ParseCIDRs accepted more than MaxKeyCIDRs prefixes")
	}
	allowed := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	for addr, want := range map[string]bool{"10.9.9.9": true, "::ffff:10.1.1.1": true, "11.0.0.1": false,
		"2001:db8::5": true, "2001:db9::5": false} {
		if got := pome.CIDRsAllow(allowed, netip.MustParseAddr(addr)); got != want {
			t.Errorf("CIDRsAllow(%s) = %v, want %v", addr, got, want)
		}
	}
	if pome.CIDRsAllow(allowed, netip.Addr{}) {
		t.Error("CIDRsAllow accepted an unknown address")
	}
}

func TestCheckKeyMeta(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{ "plan" : "gold", "n": [1, 2] }`: `{"plan":"gold","n":[1,2]}`,
		`{}`:                               "",
		`null`:                             "",
	} {
		got, err := pome.CheckKeyMeta(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("CheckKeyMeta(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	big := `{"a":"` + strings.Repeat("x", pome.MaxKeyMetaSize) + `"}`
	for _, bad := range []string{`[]`, `"x"`, `1`, `{`, big} {
		if _, err := pome.CheckKeyMeta(json.RawMessage(bad)); err == nil || !strings.Contains(err.Error(), "'meta'") {
			t.Errorf("CheckKeyMeta(%.20s) = %v, want an error naming 'meta'", bad, err)
		}
	}
}
