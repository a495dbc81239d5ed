package graph

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// optionSet says which system query options an endpoint supports.
type optionSet uint8

const (
	optSelect optionSet = 1 << iota
	optFilter
	optTop
	optCount
	optSkipToken
	optExpand
)

// knownOptions are the system query options allot understands somewhere.
var knownOptions = map[string]optionSet{
	"$select": optSelect, "$filter": optFilter, "$top": optTop, "$count": optCount, "$skiptoken": optSkipToken,
	"$expand": optExpand,
}

// Page sizes of user listings.
const (
	defaultTop = 100
	maxTop     = 999
)

// queryOptions are the parsed system query options of a request.
type queryOptions struct {
	sel       []string // $select as given, nil when absent
	filter    string
	hasFilter bool
	top       int    // page size
	count     bool   // $count=true
	after     string // the user id decoded from $skiptoken
	expand    string // $expand as given (roleAssignments expand principal)
}

// parseQueryOptions reads the query string's system query options ("$"
// names, compared case-insensitively), refusing those the endpoint does
// not support with Request_UnsupportedQuery. Parameters without "$" are
// ignored, as Graph ignores them; "top=5" is not "$top=5".
func parseQueryOptions(r *http.Request, allowed optionSet) (*queryOptions, error) {
	if r.URL.RawQuery == "" {
		return &queryOptions{top: defaultTop}, nil // most reads: nothing to parse
	}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("The query string is malformed: " + truncate(err.Error(), 100) + ".")
	}
	names := slices.Sorted(maps.Keys(values))
	seen := map[string]bool{}
	for _, name := range names {
		lname := strings.ToLower(name)
		if !strings.HasPrefix(name, "$") {
			continue
		}
		if _, known := knownOptions[lname]; known && (seen[lname] || len(values[name]) > 1) {
			return nil, badRequest(fmt.Sprintf("Query option '%s' was specified more than once, but it must be specified at most once.", lname))
		}
		seen[lname] = true
	}
	q := &queryOptions{top: defaultTop}
	for _, name := range names {
		if !strings.HasPrefix(name, "$") {
			continue
		}
		lname := strings.ToLower(name)
		if opt, known := knownOptions[lname]; !known || allowed&opt == 0 {
			return nil, unsupportedQuery(fmt.Sprintf("The query option '%s' is not supported by this resource.", truncate(name, 40)))
		}
		if err := q.set(lname, values[name][0]); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func (q *queryOptions) set(name, v string) error {
	switch name {
	case "$select":
		q.sel = strings.Split(v, ",")
	case "$filter":
		q.filter, q.hasFilter = v, true
	case "$top":
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > maxTop {
			return badRequest(fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", truncate(v, 20), maxTop))
		}
		q.top = n
	case "$count":
		switch strings.ToLower(v) {
		case "true":
			q.count = true
		case "false":
		default:
			return badRequest(fmt.Sprintf("Invalid value '%s' for $count: use true or false.", truncate(v, 20)))
		}
	case "$expand":
		q.expand = v
	case "$skiptoken":
		id, ok := decodeSkipToken(v)
		if !ok {
			return badRequest("The $skiptoken is invalid: follow the @odata.nextLink of the previous page unchanged.")
		}
		q.after = id
	}
	return nil
}

// eventual reports whether the request asks for advanced queries with
// "ConsistencyLevel: eventual".
func eventual(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("ConsistencyLevel")), "eventual")
}

// errNeedsEventual is the error for $count without ConsistencyLevel.
//
// Decision (Graph's wording unconfirmed): $count=true and /users/$count
// need the header "ConsistencyLevel: eventual", as Graph's advanced
// queries do; without it they are 400 Request_BadRequest.
var errNeedsEventual = badRequest("$count is an advanced query: send the header 'ConsistencyLevel: eventual' with it.")

// skipTokenPrefix versions the $skiptoken format.
const skipTokenPrefix = "u1:"

// encodeSkipToken makes the opaque $skiptoken of the page after the user
// with id last.
//
// Decision: the token is base64url("u1:" + last user id), not signed. It
// is only a keyset cursor within the caller's own tenant (every query is
// scoped by the principal), so forging one merely skips ahead, and any
// allot process sharing the database can continue a listing started by
// another. A token that does not decode to a GUID is 400 Request_BadRequest.
func encodeSkipToken(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(skipTokenPrefix + last))
}

func decodeSkipToken(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok, "="))
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(b), skipTokenPrefix)
	if !ok {
		return "", false
	}
	return canonicalGUID(id)
}

// baseURL returns the scheme and host of the request's absolute links, as
// the middleware decided them (see linkBase); outside the middleware, the
// listener's address.
func baseURL(r *http.Request) string {
	if l := infoFrom(r.Context()).links; l != nil {
		return l.of(r)
	}
	return localBase(r)
}

// nextLink returns the absolute URL of the next page of users: the
// request's URL with its query options as the client wrote them and a new
// $skiptoken.
func nextLink(r *http.Request, last string) string {
	return nextLinkToken(r, encodeSkipToken(last))
}

// nextLinkToken returns the request's URL with the $skiptoken tok.
func nextLinkToken(r *http.Request, tok string) string {
	var parts []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); part == "" || err == nil && strings.EqualFold(n, "$skiptoken") {
			continue
		}
		parts = append(parts, part)
	}
	parts = append(parts, "$skiptoken="+tok)
	return baseURL(r) + r.URL.EscapedPath() + "?" + strings.Join(parts, "&")
}

// contextURL returns an @odata.context value: the service's $metadata with
// fragment frag.
func contextURL(r *http.Request, frag string) string {
	return baseURL(r) + "/v1.0/$metadata#" + frag
}
