package httpserver

import (
	"net/http"
	"net/url"
	"strings"
)

// An upstream's response is the client's, but for what would point the
// client at the upstream itself or reach into Pome's own session.

// clientResponse makes res, from the upstream at target, fit for the
// client: Pome's session cookie is never set by an upstream, and a Location
// into the upstream is rewritten to the address the client used.
func (fw *forwarded) clientResponse(res *http.Response, target *url.URL) {
	dropSessionSetCookies(res.Header)
	if loc := res.Header["Location"]; len(loc) == 1 {
		loc[0] = clientLocation(loc[0], target, fw.proto, fw.host)
	}
}

// dropSessionSetCookies removes every Set-Cookie of h that sets Pome's
// session cookie: an upstream on Pome's host could otherwise sign a browser
// into the dashboard as someone else, or out of it.
func dropSessionSetCookies(h http.Header) {
	lines := h["Set-Cookie"]
	kept := lines[:0]
	for _, line := range lines {
		name, _, _ := strings.Cut(line, "=")
		if !isSessionCookie(strings.TrimSpace(name)) {
			kept = append(kept, line)
		}
	}
	switch {
	case len(kept) == 0 && len(lines) > 0:
		delete(h, "Set-Cookie")
	case len(kept) < len(lines):
		h["Set-Cookie"] = kept
	}
}

// clientLocation maps loc, a Location of the upstream at target, to the
// client's view: a URL of the upstream's own origin (scheme and host, or
// host alone for "//host/...") under its base path becomes the same path
// on the client's scheme and host, the base path removed, as the client
// would have asked for it; a path-absolute one loses the base path. Any
// other Location (another site, a path outside the base) is the upstream's
// business and passes as it is.
func clientLocation(loc string, target *url.URL, proto, host string) string {
	u, err := url.Parse(loc)
	if err != nil || u.Opaque != "" || u.User != nil {
		return loc
	}
	switch {
	case u.Host == "" && u.Scheme == "":
		if !strings.HasPrefix(u.Path, "/") {
			return loc // relative: the client resolves it against its own URL
		}
	case strings.EqualFold(u.Host, target.Host) && (u.Scheme == "" || strings.EqualFold(u.Scheme, target.Scheme)):
	default:
		return loc
	}
	path := u.EscapedPath()
	base := strings.TrimSuffix(target.EscapedPath(), "/")
	if base != "" {
		if path != base && !strings.HasPrefix(path, base+"/") {
			return loc
		}
		path = strings.TrimPrefix(path, base)
	}
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	switch {
	case u.Scheme != "":
		b.WriteString(proto + "://" + host)
	case u.Host != "":
		b.WriteString("//" + host)
	}
	b.WriteString(path)
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + u.RawQuery)
	}
	if u.Fragment != "" {
		b.WriteString("#" + u.EscapedFragment())
	}
	return b.String()
}
