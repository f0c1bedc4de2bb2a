package pome_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pomehq/pome"
)

// ParseScopes keeps the known names, each once, in order; no name is
// keys:verify alone (what every token made before scopes has); an unknown
// one is a 400 that names it.
func TestParseScopes(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want []pome.Scope
		bad  bool
	}{
		{nil, []pome.Scope{pome.ScopeKeysVerify}, false},
		{[]string{"keys:read", "keys:write", "keys:read"}, []pome.Scope{pome.ScopeKeysRead, pome.ScopeKeysWrite}, false},
		{[]string{" teams:read "}, []pome.Scope{pome.ScopeTeamsRead}, false},
		{[]string{"all"}, []pome.Scope{pome.ScopeAll}, false},
		{[]string{"keys:delete"}, nil, true},
		{[]string{"KEYS:READ"}, nil, true},
		{[]string{""}, nil, true},
	} {
		got, err := pome.ParseScopes(c.in)
		if c.bad {
			if e := pome.AsError(err); e.Code != "invalid_parameter" || !strings.Contains(e.Message, fmt.Sprintf("%q", c.in[0])) {
				t.Errorf("ParseScopes(%q) = %v, %v; want invalid_parameter naming it", c.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseScopes(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// A token allows its own scopes; "all" allows every scope.
func TestServiceTokenAllows(t *testing.T) {
	read := pome.ServiceToken{Scopes: []pome.Scope{pome.ScopeKeysRead}}
	root := pome.ServiceToken{Scopes: []pome.Scope{pome.ScopeAll}}
	for _, s := range pome.Scopes {
		if got, want := read.Allows(s), s == pome.ScopeKeysRead; got != want {
			t.Errorf("keys:read token Allows(%s) = %v, want %v", s, got, want)
		}
		if !root.Allows(s) {
			t.Errorf("all token Allows(%s) = false", s)
		}
	}
	err := pome.InsufficientScope(pome.ScopeKeysWrite)
	if !errors.Is(err, pome.ErrInsufficientScope) || err.Kind != pome.Forbidden || !strings.Contains(err.Message, "'keys:write'") {
		t.Errorf("InsufficientScope(keys:write) = %+v, want a 403 insufficient_scope naming the scope", err)
	}
}
