package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Client sends the requests of a load over keep-alive connections, with
// the same headers on every request (typically Authorization).
type Client struct {
	HTTP   *http.Client
	Header http.Header
}

// NewClient returns a client keeping up to conns connections per host
// open, without a proxy or compression, and with a 30 s timeout per
// request.
func NewClient(conns int, header http.Header) *Client {
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 4,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &Client{HTTP: &http.Client{Transport: t, Timeout: 30 * time.Second}, Header: header}
}

// Close closes the idle connections.
func (c *Client) Close() { c.HTTP.CloseIdleConnections() }

// Do sends one request and returns the status and the whole body. A body
// that is not nil is sent as JSON.
func (c *Client) Do(ctx context.Context, method, url string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := readBody(resp)
	return resp.StatusCode, b, err
}

// maxSized is the largest Content-Length readBody allocates up front.
const maxSized = 64 << 20

// readBody reads a whole answer into one buffer of its Content-Length
// when the server sent one, so that a large answer costs the generator,
// which shares the machine with the server, one allocation and one copy
// rather than io.ReadAll's doubling (about three times the body's size in
// garbage): the generator's own cost must not weigh on a large answer
// more than on the baseline's small one.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxSized {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(resp.Body)
}

// StatusError is an answer with an unexpected status.
type StatusError struct {
	Status int
	Body   []byte
}

func (e *StatusError) Error() string {
	b := e.Body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, bytes.TrimSpace(b))
}

// Expect returns a *StatusError unless status is want.
func Expect(status int, body []byte, want int) error {
	if status != want {
		return &StatusError{Status: status, Body: body}
	}
	return nil
}
