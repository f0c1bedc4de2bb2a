package main

import (
	"strings"

	"github.com/pomehq/pome"
	"github.com/pomehq/pome/internal/httpserver"
)

// upstreamFlags is --upstream, repeatable: each value is URL (every path Pome
// does not serve itself) or /prefix/=URL. POME_UPSTREAM holds a
// comma-separated list; its values and the flags' add up.
type upstreamFlags struct {
	list []httpserver.Upstream
}

func (u *upstreamFlags) String() string {
	var parts []string
	for _, up := range u.list {
		parts = append(parts, up.Prefix+"="+up.Target.String())
	}
	return strings.Join(parts, ",")
}

// Type names the value in --help.
func (u *upstreamFlags) Type() string { return "upstream" }

func (u *upstreamFlags) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		up, err := httpserver.ParseUpstream(strings.TrimSpace(item))
		if err != nil {
			return err
		}
		for _, have := range u.list {
			if have.Prefix == up.Prefix {
				return usagef("--upstream: prefix %s given twice", up.Prefix)
			}
		}
		u.list = append(u.list, up)
	}
	return nil
}

// upstreamScopeFlags is --upstream-scope, repeatable: each value is
// /PREFIX/=SCOPE, a scope every key must have for the upstream of that
// prefix (docs/protect.md); values of one prefix add up.
// POME_UPSTREAM_SCOPE holds a comma-separated list.
type upstreamScopeFlags struct {
	byPrefix map[string][]string
	order    []string
}

func (u *upstreamScopeFlags) String() string {
	var parts []string
	for _, p := range u.order {
		for _, s := range u.byPrefix[p] {
			parts = append(parts, p+"="+s)
		}
	}
	return strings.Join(parts, ",")
}

// Type names the value in --help.
func (u *upstreamScopeFlags) Type() string { return "upstream-scope" }

func (u *upstreamScopeFlags) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		prefix, scope, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
			return usagef("--upstream-scope %q: want /PREFIX/=SCOPE", item)
		}
		if _, err := pome.CheckKeyScopes([]string{scope}); err != nil {
			return usagef("--upstream-scope %q: a scope is 1 to 64 characters of a-z, 0-9, _ . : * -", item)
		}
		if u.byPrefix == nil {
			u.byPrefix = make(map[string][]string)
		}
		if _, seen := u.byPrefix[prefix]; !seen {
			u.order = append(u.order, prefix)
		}
		u.byPrefix[prefix] = append(u.byPrefix[prefix], scope)
	}
	return nil
}

// apply gives each upstream the scopes of its prefix; a prefix no
// --upstream has is a usage error.
func (u *upstreamScopeFlags) apply(ups []httpserver.Upstream) error {
	for _, p := range u.order {
		found := false
		for i := range ups {
			if ups[i].Prefix == p {
				ups[i].Scopes, found = u.byPrefix[p], true
			}
		}
		if !found {
			return usagef("--upstream-scope %s: no --upstream has the prefix %s", p, p)
		}
	}
	return nil
}
