package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/crypto/acme/autocert"

	"github.com/pomehq/pome/internal/account"
)

// deployFlags are serve's flags of how people reach it: the URL they use,
// and TLS of its own, from files or from an ACME CA (Let's Encrypt).
type deployFlags struct {
	publicURL    string
	tlsCert      string
	tlsKey       string
	tlsDomains   []string
	acmeHTTPAddr string
	// returnOrigins is --portal-return-origins, checked by check.
	returnOrigins []string
	portalReturn  account.ReturnOrigins
}

func (d *deployFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.publicURL, "public-url", "", "`URL` people reach this deployment at (https://keys.example.com); https implies --secure-cookies")
	fs.StringVar(&d.tlsCert, "tls-cert", "", "serve HTTPS on --addr with the certificate chain in this PEM `FILE` (with --tls-key)")
	fs.StringVar(&d.tlsKey, "tls-key", "", "the PEM `FILE` of --tls-cert's private key")
	fs.StringSliceVar(&d.tlsDomains, "tls-domain", nil, "serve HTTPS on --addr with certificates for these `DOMAINS` from Let's Encrypt (ACME), cached in <data-dir>/acme (comma-separated)")
	fs.StringSliceVar(&d.returnOrigins, "portal-return-origins", nil, "`ORIGINS` (https://app.example.com, comma-separated) a portal session's return_url may be on, for the dashboard's \"Back to …\" link; needs --public-url")
	fs.StringVar(&d.acmeHTTPAddr, "acme-http-addr", ":80", "with --tls-domain: `HOST:PORT` that answers ACME HTTP-01 challenges and redirects the rest to https://; empty: none (TLS-ALPN-01 on --addr :443 still works)")
}

// check refuses what cannot work and normalizes the public URL to
// scheme://host[:port]. secureCookies is --secure-cookies.
func (d *deployFlags) check(secureCookies bool) error {
	if (d.tlsCert == "") != (d.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together: give both or neither")
	}
	if d.tlsCert != "" && len(d.tlsDomains) > 0 {
		return usagef("--tls-domain and --tls-cert exclude each other: the certificate comes from Let's Encrypt or from files")
	}
	for _, domain := range d.tlsDomains {
		// A CA validates a name by connecting to it: no wildcard, and
		// neither a scheme nor a port belongs there.
		if domain == "" || strings.ContainsAny(domain, "*:/ ") || net.ParseIP(domain) != nil {
			return usagef("--tls-domain %q must be a host name (keys.example.com), without a scheme, port or wildcard", domain)
		}
	}
	if len(d.tlsDomains) > 0 && d.acmeHTTPAddr != "" {
		if _, _, err := net.SplitHostPort(d.acmeHTTPAddr); err != nil {
			return usagef("--acme-http-addr %q must be HOST:PORT (:80), or empty for none", d.acmeHTTPAddr)
		}
	}
	origins, err := account.ParseReturnOrigins(d.returnOrigins)
	if err != nil {
		return usagef("--portal-return-origins: %v", err)
	}
	d.portalReturn = origins
	if d.publicURL == "" {
		if len(origins) > 0 {
			return usagef("--portal-return-origins needs --public-url: portal sessions hand out links under it")
		}
		return nil
	}
	public, err := parsePublicURL(d.publicURL)
	if err != nil {
		return err
	}
	if strings.HasPrefix(public, "http://") && secureCookies {
		return usagef("--public-url %q is http://, but --secure-cookies says the deployment is served over HTTPS", d.publicURL)
	}
	if strings.HasPrefix(public, "http://") && d.tls() {
		return usagef("--public-url %q is http://, but Pome serves HTTPS itself (--tls-cert or --tls-domain)", d.publicURL)
	}
	d.publicURL = public
	return nil
}

// parsePublicURL checks a --public-url and returns it as scheme://host.
// Pome serves at the root of its host: its pages and cookies (Path=/)
// would not work under a path.
func parsePublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return "", usagef("--public-url %q must be an absolute http:// or https:// URL of a host, with no path, query or fragment (https://keys.example.com)", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

// tls reports whether Pome serves HTTPS itself.
func (d deployFlags) tls() bool {
	return d.tlsCert != "" || len(d.tlsDomains) > 0
}

// https reports whether people reach the deployment over HTTPS, so that
// the session cookie must be Secure and HSTS sent.
func (d deployFlags) https(secureCookies bool) bool {
	return secureCookies || d.tls() || strings.HasPrefix(d.publicURL, "https://")
}

// tlsConfig returns the TLS configuration of --addr (nil without TLS),
// and with --tls-domain the handler of --acme-http-addr (nil when none).
// dataDir holds the ACME cache.
func (d deployFlags) tlsConfig(dataDir string) (*tls.Config, http.Handler, error) {
	switch {
	case d.tlsCert != "":
		// Read here rather than by tls.LoadX509KeyPair, so that an error
		// names the file it is about.
		certPEM, err := os.ReadFile(d.tlsCert)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-cert: %w", err)
		}
		keyPEM, err := os.ReadFile(d.tlsKey)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-key: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", d.tlsCert, d.tlsKey, err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil, nil
	case len(d.tlsDomains) > 0:
		m, err := acmeManager(dataDir, d.tlsDomains)
		if err != nil {
			return nil, nil, err
		}
		// autocert's configuration offers acme-tls/1 in ALPN beside h2 and
		// http/1.1: TLS-ALPN-01 challenges are answered on --addr.
		cfg := m.TLSConfig()
		cfg.MinVersion = tls.VersionTLS12
		var challenges http.Handler
		if d.acmeHTTPAddr != "" {
			challenges = m.HTTPHandler(nil)
		}
		return cfg, challenges, nil
	}
	return nil, nil, nil
}

// acmeManager returns the ACME client of --tls-domain: it asks Let's
// Encrypt for certificates for domains only, when a client first asks for
// one, renews them, and caches them and its account key in dataDir/acme.
func acmeManager(dataDir string, domains []string) (*autocert.Manager, error) {
	dir := filepath.Join(dataDir, "acme")
	// 0700: the cache holds private keys.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("--tls-domain: certificate cache: %w", err)
	}
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: autocert.HostWhitelist(domains...),
	}, nil
}
