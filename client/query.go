package client

import (
	"net/url"
	"sort"
	"strings"
)

// Query holds query options; names are sent as written ($filter, not
// %24filter) and values percent-encoded with %20 for spaces, as Graph
// SDKs send them.
type Query map[string]string

// Encode returns the query string, its names sorted.
func (q Query) Encode() string {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(n))
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(q[n]), "+", "%20"))
	}
	return strings.NewReplacer("%24", "$", "%2C", ",").Replace(b.String())
}
