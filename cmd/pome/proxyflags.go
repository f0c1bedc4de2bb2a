package main

import "github.com/pomehq/pome/internal/httpapi"

// proxyFlags is --trusted-proxies, repeatable: each value a comma-separated
// list of CIDR prefixes or addresses, IPv4 or IPv6. POME_TRUSTED_PROXIES
// holds such a list.
type proxyFlags struct {
	list httpapi.TrustedProxies
}

func (p *proxyFlags) String() string { return p.list.String() }

// Type names the value in --help.
func (p *proxyFlags) Type() string { return "CIDR,..." }

func (p *proxyFlags) Set(v string) error {
	more, err := httpapi.ParseTrustedProxies(v)
	if err != nil {
		return err
	}
	p.list = append(p.list, more...)
	return nil
}
