package graph

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// linkBase decides the scheme and host of the absolute URLs the server
// writes (@odata.nextLink, @odata.context, Location), never from the
// request's Host header, which any client sets at will:
//
//  1. Options.PublicURL when set;
//  2. else X-Forwarded-Host (and X-Forwarded-Proto) when the peer is in
//     Options.TrustedProxies;
//  3. else the address of the listener the request came in on.
type linkBase struct {
	public  string
	proxies []netip.Prefix
}

// of returns the base URL (scheme://host, no trailing slash) of r's links.
func (b linkBase) of(r *http.Request) string {
	if b.public != "" {
		return b.public
	}
	if base, ok := b.forwarded(r); ok {
		return base
	}
	return localBase(r)
}

// forwarded returns the base named by a trusted proxy's X-Forwarded-Host
// and X-Forwarded-Proto. Of several values the last is taken: the one the
// trusted proxy itself added, as a proxy that appends passes the client's
// own values on before it.
func (b linkBase) forwarded(r *http.Request) (string, bool) {
	if len(b.proxies) == 0 || !b.trusted(r.RemoteAddr) {
		return "", false
	}
	host := lastValue(r.Header.Values("X-Forwarded-Host"))
	if !validHost(host) {
		return "", false
	}
	scheme := schemeOf(r)
	if p := strings.ToLower(lastValue(r.Header.Values("X-Forwarded-Proto"))); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + host, true
}

// trusted reports whether the peer address is in a trusted proxy's range.
func (b linkBase) trusted(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	for _, p := range b.proxies {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// lastValue returns the last comma-separated value of a header's lines.
func lastValue(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	v := lines[len(lines)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// validHost reports whether h is a bare host[:port], nothing that could
// change the meaning of a URL it is put in.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_:[]", c)) {
			return false
		}
	}
	u, err := url.Parse("http://" + h)
	return err == nil && u.Host == h && u.Hostname() != "" && u.Path == ""
}

// localBase is the address of the listener as the client reached it: the
// local address of the connection.
func localBase(r *http.Request) string {
	host := "localhost"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		host = a.String()
	}
	return schemeOf(r) + "://" + host
}

func schemeOf(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
