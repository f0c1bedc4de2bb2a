package main

import (
	"net/url"
	"strings"

	"github.com/spf13/pflag"
)

// deployFlags are serve's flags of how people reach it: the URL they use.
type deployFlags struct {
	publicURL string
}

func (d *deployFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.publicURL, "public-url", "", "`URL` people reach this deployment at (https://keys.example.com); https implies --secure-cookies")
}

// check refuses what cannot work and normalizes the public URL to
// scheme://host[:port]. secureCookies is --secure-cookies.
func (d *deployFlags) check(secureCookies bool) error {
	if d.publicURL == "" {
		return nil
	}
	u, err := url.Parse(d.publicURL)
	// Pome serves at the root of its host: its pages and cookies (Path=/)
	// would not work under a path.
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return usagef("--public-url %q must be an absolute http:// or https:// URL of a host, with no path, query or fragment (https://keys.example.com)", d.publicURL)
	}
	if u.Scheme == "http" && secureCookies {
		return usagef("--public-url %q is http://, but --secure-cookies says the deployment is served over HTTPS", d.publicURL)
	}
	d.publicURL = u.Scheme + "://" + u.Host
	return nil
}

// https reports whether people reach the deployment over HTTPS, so that
// the session cookie must be Secure and HSTS sent.
func (d deployFlags) https(secureCookies bool) bool {
	return secureCookies || strings.HasPrefix(d.publicURL, "https://")
}
