package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
)

// proxyFlag is --trusted-proxy: address ranges, repeatable; a bare address
// is a range of one.
type proxyFlag []netip.Prefix

// String returns the ranges separated by commas.
func (f *proxyFlag) String() string {
	s := make([]string, len(*f))
	for i, p := range *f {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Set adds one range, as a CIDR or an address.
func (f *proxyFlag) Set(v string) error {
	if p, err := netip.ParsePrefix(v); err == nil {
		*f = append(*f, p.Masked())
		return nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return fmt.Errorf("%q is not a CIDR (10.0.0.0/8) or an address", v)
	}
	*f = append(*f, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	return nil
}

// Repeatable lets --trusted-proxy be given once per range (cli.Repeatable).
func (f *proxyFlag) Repeatable() {}

// checkPublicURL refuses a --public-url that is not a bare http or https
// origin: links are that origin followed by the API's own paths.
func checkPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with http:// or https://", s)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return fmt.Errorf("%q must be a scheme and a host, like https://allot.example.com", s)
	case u.Path != "" && u.Path != "/":
		return fmt.Errorf("%q must not have a path: the API is served at the root", s)
	}
	return nil
}

// minMetricsToken is the shortest metrics token accepted.
const minMetricsToken = 16

// readMetricsToken reads the token of --metrics-token-file: the file's
// content without surrounding white space.
func readMetricsToken(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--metrics-token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minMetricsToken || strings.ContainsAny(tok, " \t\r\n") {
		return "", errors.New("--metrics-token-file: the file must hold one token of at least 16 characters, without spaces (openssl rand -hex 32 makes one)")
	}
	return tok, nil
}

// The default rate limits of allot serve: generous for people and scripts,
// low enough that one token, tenant or address cannot monopolise the
// server. License-check applications doing more than defaultRateLimit
// checks a second batch them (POST /api/check) or raise --rate-limit.
const (
	defaultRateLimit       = 1000 // requests a second per access token
	defaultTenantRateLimit = 5000 // requests a second per tenant, all its tokens together
	defaultAddrRateLimit   = 10   // requests a second per client address without a valid token
	defaultAddrRateBurst   = 100
)

// rateFlags are the per-tenant and per-address limits of allot serve.
type rateFlags struct {
	tenant, addr           float64
	tenantBurst, addrBurst int
}

// register adds the flags to fs.
func (f *rateFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&f.tenant, "tenant-rate-limit", defaultTenantRateLimit, "allow each tenant, all its tokens together, this many `requests` per second (0: no limit)")
	fs.IntVar(&f.tenantBurst, "tenant-rate-burst", 0, "let a tenant send this many `requests` at once (0: its rate limit, rounded up)")
	fs.Float64Var(&f.addr, "addr-rate-limit", defaultAddrRateLimit, "allow each client address this many `requests` per second without a valid token (0: no limit)")
	fs.IntVar(&f.addrBurst, "addr-rate-burst", defaultAddrRateBurst, "let a client address send this many `requests` without a valid token at once")
}

// negative reports whether any of the flags is negative.
func (f *rateFlags) negative() bool {
	return f.tenant < 0 || f.addr < 0 || f.tenantBurst < 0 || f.addrBurst < 0
}
