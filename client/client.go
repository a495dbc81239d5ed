// Package client is the HTTP client of an allot server's API: Graph's
// endpoints under /v1.0/ and allot's own (/api/check,
// /api/bulkAssignLicense), with a bearer token. It retries throttled
// requests after their Retry-After, turns Graph's error envelope into an
// *Error that carries the error's code and details, follows
// @odata.nextLink only on the server's own origin, and bounds every
// request in time and size. The allot CLI and the benchmark use it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environment variables that name the server and the token of the allot
// CLI; they are also the default sources a Client names in its messages.
const (
	EnvURL   = "ALLOT_URL"
	EnvToken = "ALLOT_TOKEN"
)

const (
	// RequestTimeout bounds one HTTP request, a bulk chunk included.
	RequestTimeout = 2 * time.Minute
	// MaxRetries is how many times a throttled (429) request is retried.
	MaxRetries = 3
	// maxRetryAfter caps the wait a 429's Retry-After asks for.
	maxRetryAfter = 30 * time.Second
	// maxResponseBytes bounds what is read of one response.
	maxResponseBytes = 64 << 20
)

// Client calls an allot server's API with a bearer token. Make one with
// New; its fields may be changed before the first request.
type Client struct {
	// Base is the server's URL, without /v1.0.
	Base *url.URL
	// Token is the access token sent as "Authorization: Bearer".
	Token string
	// URLFrom and TokenFrom name where the URL and the token came from
	// (EnvURL, "--url", …), so that error messages say what to fix.
	URLFrom, TokenFrom string
	// HTTP sends the requests; New gives it a timeout of RequestTimeout.
	HTTP *http.Client
	// UserAgent is sent with every request.
	UserAgent string
	// Sleep waits before a retry; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// New returns a client of the server at rawURL (see ParseBaseURL) using
// token. Its messages name EnvURL and EnvToken as the sources.
func New(rawURL, token string) (*Client, error) {
	base, err := ParseBaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return &Client{Base: base, Token: strings.TrimSpace(token), URLFrom: EnvURL, TokenFrom: EnvToken,
		HTTP: &http.Client{Timeout: RequestTimeout}, UserAgent: "allot-cli", Sleep: sleepCtx}, nil
}

// ParseBaseURL checks a server URL and drops a trailing /v1.0, which
// people copy from Graph's base URL. Its errors say what is wrong in a
// few words ("it needs http:// or https:// and a host").
func ParseBaseURL(raw string) (*url.URL, error) {
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

// URL returns the absolute URL of an API path (already escaped) with q.
func (c *Client) URL(path string, q Query) string {
	u := c.Base.String() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// SameOrigin reports whether an absolute URL (a nextLink) points at the
// server, so that the token is never sent elsewhere.
func (c *Client) SameOrigin(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, c.Base.Scheme) && strings.EqualFold(u.Host, c.Base.Host)
}

// Get decodes the JSON answer to GET rawURL into out, sending the extra
// headers hdr (nil for none).
func (c *Client) Get(ctx context.Context, rawURL string, hdr http.Header, out any) error {
	return c.Do(ctx, http.MethodGet, rawURL, hdr, nil, out)
}

// Post sends body as JSON and decodes the answer into out (if not nil).
func (c *Client) Post(ctx context.Context, rawURL string, body, out any) error {
	return c.Do(ctx, http.MethodPost, rawURL, nil, body, out)
}

// Do sends one request with body as JSON (if not nil), retrying it up to
// MaxRetries times when it is throttled, and decodes a JSON answer into
// out (if not nil). An error answer becomes an *Error, an *AuthError for
// 401, or a plain error when the server did not answer in Graph's
// envelope; an unreachable server, an error that says so.
func (c *Client) Do(ctx context.Context, method, rawURL string, hdr http.Header, body, out any) error {
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
			return c.netError(err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < MaxRetries {
			if err := c.Sleep(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return err
			}
			continue
		}
		return c.decode(method, rawURL, resp, data, out)
	}
}

// send sends one request and returns its response.
func (c *Client) send(ctx context.Context, method, rawURL string, hdr http.Header, payload []byte) (*http.Response, error) {
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
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.netError(err)
	}
	return resp, nil
}

// decode turns a response into out or an error.
func (c *Client) decode(method, rawURL string, resp *http.Response, data []byte, out any) error {
	if resp.StatusCode >= 400 {
		return c.errorAnswer(method, rawURL, resp, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected (is %s=%s an allot server?): %v",
			method, urlPath(rawURL), c.URLFrom, c.Base, err)
	}
	return nil
}

// errorAnswer turns an error answer into an *Error or an *AuthError, or
// a plain error when it is not in Graph's envelope.
func (c *Client) errorAnswer(method, rawURL string, resp *http.Response, data []byte) error {
	var env struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(data, &env) != nil || env.Error == nil || env.Error.Message == "" {
		return fmt.Errorf("%s %s: the server answered %s, not a Graph error (is %s=%s an allot server?)",
			method, urlPath(rawURL), resp.Status, c.URLFrom, c.Base)
	}
	env.Error.Status = resp.StatusCode
	if resp.StatusCode == http.StatusUnauthorized {
		return &AuthError{Err: env.Error, TokenFrom: c.TokenFrom}
	}
	return env.Error
}

// urlPath returns the path of an API URL, for messages.
func urlPath(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Path
	}
	return rawURL
}

// retryAfter reads a Retry-After in seconds; 1s when absent or bad.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n < 1 {
		return time.Second
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

// sleepCtx waits for d or until ctx ends.
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
