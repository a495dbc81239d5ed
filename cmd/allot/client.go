package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Environment variables of the client commands.
const (
	envURL   = "ALLOT_URL"
	envToken = "ALLOT_TOKEN"
)

const (
	// requestTimeout bounds one HTTP request, a bulk chunk included.
	requestTimeout = 2 * time.Minute
	// maxRetries is how many times a throttled (429) request is retried.
	maxRetries = 3
	// maxRetryAfter caps the wait a 429's Retry-After asks for.
	maxRetryAfter = 30 * time.Second
	// maxResponseBytes bounds what is read of one response.
	maxResponseBytes = 64 << 20
)

// remote holds what the commands that talk to a server share: the server's
// URL, the token and the output format, each from a flag of the command,
// else a flag given before the command, else the environment.
type remote struct {
	m      *Main
	url    string
	token  string
	output string
}

// remoteFlags defines --url, --token and --output (-o) on a command's flag
// set; finish resolves them after parsing.
func (m *Main) remoteFlags(fs *flag.FlagSet) *remote {
	r := &remote{m: m}
	fs.StringVar(&r.url, "url", "", "the allot server's `URL` (default $"+envURL+")")
	fs.StringVar(&r.token, "token", "", "the access `token` (default $"+envToken+")")
	fs.StringVar(&r.output, "output", "", "output `format`: table or json (default table)")
	fs.StringVar(&r.output, "o", "", "shorthand for --output `format`")
	return r
}

// globalFlags are the flags given before the command name.
type globalFlags struct {
	url, token, output string
}

// defineGlobalFlags defines the flags allowed before the command name.
func (g *globalFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&g.url, "url", "", "the allot server's `URL` (default $"+envURL+")")
	fs.StringVar(&g.token, "token", "", "the access `token` (default $"+envToken+")")
	fs.StringVar(&g.output, "output", "", "output `format` of client commands: table or json")
	fs.StringVar(&g.output, "o", "", "shorthand for --output `format`")
}

// finish applies the defaults and checks the output format; name is the
// command, for messages.
func (r *remote) finish(name string) error {
	g := r.m.global
	if r.output == "" {
		r.output = g.output
	}
	switch r.output {
	case "":
		r.output = "table"
	case "table", "json":
	default:
		return &usageError{Msg: fmt.Sprintf("%s: --output must be table or json, not %q", name, r.output)}
	}
	return nil
}

// json reports whether the command prints JSON.
func (r *remote) json() bool { return r.output == "json" }

// client returns an HTTP client for the server, or a usage error naming
// what is missing.
func (r *remote) client(name string) (*client, error) {
	getenv := r.m.getenv
	rawURL, urlFrom := pick(r.url, "--url", r.m.global.url, "--url", getenv(envURL), envURL)
	token, tokenFrom := pick(r.token, "--token", r.m.global.token, "--token", getenv(envToken), envToken)
	if rawURL == "" {
		return nil, &usageError{Msg: fmt.Sprintf("%s needs the server's URL: set %s (allot serve prints it) or pass --url", name, envURL)}
	}
	base, err := parseBaseURL(rawURL)
	if err != nil {
		return nil, &usageError{Msg: fmt.Sprintf("%s %q is not a server URL such as http://127.0.0.1:8080: %v", urlFrom, rawURL, err)}
	}
	if token == "" {
		return nil, &usageError{Msg: fmt.Sprintf("%s needs an access token: set %s (allot serve --demo prints one; 'allot token create --user UPN' issues one) or pass --token", name, envToken)}
	}
	return &client{base: base, token: strings.TrimSpace(token), urlFrom: urlFrom, tokenFrom: tokenFrom,
		http: &http.Client{Timeout: requestTimeout}, sleep: sleepCtx}, nil
}

// pick returns the first non-empty value with the name of its source.
func pick(pairs ...string) (value, from string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != "" {
			return pairs[i], pairs[i+1]
		}
	}
	return "", ""
}

// parseBaseURL checks a server URL and drops a trailing /v1.0, which people
// copy from Graph's base URL.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New("it does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("it needs http:// or https:// and a host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("it has a query or a fragment")
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1.0")
	u.RawPath = ""
	return u, nil
}

// client calls an allot server's API with a bearer token.
type client struct {
	base      *url.URL
	token     string
	urlFrom   string // where the URL came from: ALLOT_URL or --url
	tokenFrom string // where the token came from: ALLOT_TOKEN or --token
	http      *http.Client
	sleep     func(ctx context.Context, d time.Duration) error
}

// query holds query options; names are sent as written ($filter, not
// %24filter) and values percent-encoded with %20 for spaces, as Graph
// SDKs send them.
type query map[string]string

func (q query) encode() string {
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

// url returns the absolute URL of an API path (already escaped) with q.
func (c *client) url(path string, q query) string {
	u := c.base.String() + path
	if len(q) > 0 {
		u += "?" + q.encode()
	}
	return u
}

// sameOrigin reports whether an absolute URL (a nextLink) points at the
// server, so that the token is never sent elsewhere.
func (c *client) sameOrigin(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, c.base.Scheme) && strings.EqualFold(u.Host, c.base.Host)
}

// get decodes the JSON answer to GET rawURL into out.
func (c *client) get(ctx context.Context, rawURL string, hdr http.Header, out any) error {
	return c.do(ctx, http.MethodGet, rawURL, hdr, nil, out)
}

// post sends body as JSON and decodes the answer into out (if not nil).
func (c *client) post(ctx context.Context, rawURL string, body, out any) error {
	return c.do(ctx, http.MethodPost, rawURL, nil, body, out)
}

// do sends one request, retrying it when it is throttled, and decodes a
// JSON answer into out. An error answer becomes a *graphError, an
// *authError for 401, or a plain error when the server did not answer in
// Graph's envelope.
func (c *client) do(ctx context.Context, method, rawURL string, hdr http.Header, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, rawURL, hdr, payload)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		if err != nil {
			return c.netError(method, rawURL, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < maxRetries {
			if err := c.sleep(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return err
			}
			continue
		}
		return c.decode(method, rawURL, resp, data, out)
	}
}

func (c *client) send(ctx context.Context, method, rawURL string, hdr http.Header, payload []byte) (*http.Response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "allot-cli")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.netError(method, rawURL, err)
	}
	return resp, nil
}

// decode turns a response into out or an error.
func (c *client) decode(method, rawURL string, resp *http.Response, data []byte, out any) error {
	if resp.StatusCode >= 400 {
		var env struct {
			Error *graphError `json:"error"`
		}
		if json.Unmarshal(data, &env) != nil || env.Error == nil || env.Error.Message == "" {
			return fmt.Errorf("%s %s: the server answered %s, not a Graph error (is %s=%s an allot server?)",
				method, c.path(rawURL), resp.Status, c.urlFrom, c.base)
		}
		env.Error.status = resp.StatusCode
		if resp.StatusCode == http.StatusUnauthorized {
			return &authError{graph: env.Error, tokenFrom: c.tokenFrom}
		}
		return env.Error
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected (is %s=%s an allot server?): %v",
			method, c.path(rawURL), c.urlFrom, c.base, err)
	}
	return nil
}

// path returns the path of an API URL, for messages.
func (c *client) path(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Path
	}
	return rawURL
}

// netError explains a request that got no answer, naming where the URL
// came from.
func (c *client) netError(method, rawURL string, err error) error {
	var dnsErr *net.DNSError
	var why string
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "connection refused; is 'allot serve' running there?"
	case errors.As(err, &dnsErr):
		why = "no such host"
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		why = fmt.Sprintf("no answer within %s", requestTimeout)
	default:
		why = err.Error()
	}
	return fmt.Errorf("cannot reach the allot server at %s (%s): %s", c.base, c.urlFrom, why)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// retryAfter reads a Retry-After in seconds; 1s when absent or bad.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n < 1 {
		return time.Second
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// graphError is an error the server answered in Graph's envelope.
type graphError struct {
	status  int
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Details []errorDetail `json:"details"`
}

// errorDetail is one item of a Graph error's details.
type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}

func (e *graphError) Error() string { return e.Message }

// rule returns the licensing rule a refusal names (CountViolation, …), or
// "".
func (e *graphError) rule() string {
	if len(e.Details) > 0 {
		return e.Details[0].Code
	}
	return ""
}

// authError is a 401: the token was missing, unknown, expired or revoked.
type authError struct {
	graph     *graphError
	tokenFrom string
}

func (e *authError) Error() string {
	return fmt.Sprintf("the token was refused (%s): set %s to a valid token; 'allot token create --user UPN' issues one (the server said: %s)",
		e.graph.Code, e.tokenFrom, e.graph.Message)
}

// page is one page of a Graph collection.
type page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
}

// list reads a collection from rawURL, following @odata.nextLink until the
// end or until limit items (0: no limit).
func (c *client) list(ctx context.Context, rawURL string, hdr http.Header, limit int) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for rawURL != "" {
		var p page
		if err := c.get(ctx, rawURL, hdr, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Value...)
		if limit > 0 && len(all) >= limit {
			return all[:limit], nil
		}
		if p.NextLink != "" && !c.sameOrigin(p.NextLink) {
			return nil, fmt.Errorf("the server's next page link %q leaves %s; refusing to send the token there", p.NextLink, c.base)
		}
		rawURL = p.NextLink
	}
	return all, nil
}

// decodeAll decodes raw JSON items into values of type T.
func decodeAll[T any](raws []json.RawMessage) ([]T, error) {
	out := make([]T, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("item %d of the answer is not the JSON expected: %v", i, err)
		}
	}
	return out, nil
}
