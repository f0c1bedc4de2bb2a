package main

import (
	"strings"

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
