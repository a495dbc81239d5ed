package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/allot-project/allot/graph"
)

// PollInterval is how often a long-running operation's progress is read.
const PollInterval = 500 * time.Millisecond

// BulkAssignLicenseAsync sends a bulk license change to run as a
// long-running operation (Prefer: respond-async), tells progress (if not
// nil) each state it polls, and returns the result the synchronous
// BulkAssignLicense would have, errors included. A server that answers at
// once (it ignores Prefer) is taken at its word.
func (c *Client) BulkAssignLicenseAsync(ctx context.Context, req graph.BulkRequest, progress func(graph.Operation)) (*graph.BulkResponse, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var res graph.BulkResponse
	if err := c.runAsync(ctx, c.URL(BulkPath, nil), "application/json", payload, progress, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ImportUsersAsync is ImportUsers run as a long-running operation, as
// BulkAssignLicenseAsync.
func (c *Client) ImportUsersAsync(ctx context.Context, body []byte, o ImportOptions, progress func(graph.Operation)) (*graph.ImportResponse, error) {
	rawURL := c.URL(ImportPath, Query{"dryRun": strconv.FormatBool(o.DryRun), "atomic": strconv.FormatBool(o.Atomic),
		"lineOffset": strconv.Itoa(o.LineOffset)})
	var res graph.ImportResponse
	if err := c.runAsync(ctx, rawURL, "text/csv; charset=utf-8", body, progress, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Operation reads the state of the long-running operation id.
func (c *Client) Operation(ctx context.Context, id string) (*graph.Operation, error) {
	var op graph.Operation
	if err := c.Get(ctx, c.URL(graph.OperationsPath+"/"+url.PathEscape(id), nil), nil, &op); err != nil {
		return nil, err
	}
	return &op, nil
}

// OperationResult decodes the result of the ended operation id into out,
// or returns the error the synchronous request would have.
func (c *Client) OperationResult(ctx context.Context, id string, out any) error {
	return c.Get(ctx, c.URL(graph.OperationsPath+"/"+url.PathEscape(id)+"/result", nil), nil, out)
}

// AwaitOperation polls op every PollInterval until it ends, telling
// progress (if not nil) each state read, and returns the last.
func (c *Client) AwaitOperation(ctx context.Context, op *graph.Operation, progress func(graph.Operation)) (*graph.Operation, error) {
	for {
		if progress != nil {
			progress(*op)
		}
		if op.Status == graph.OperationSucceeded || op.Status == graph.OperationFailed {
			return op, nil
		}
		if err := c.Sleep(ctx, PollInterval); err != nil {
			return nil, err
		}
		next, err := c.Operation(ctx, op.ID)
		if err != nil {
			return nil, err
		}
		op = next
	}
}

// runAsync posts payload with Prefer: respond-async, awaits the operation
// and decodes its result into out.
func (c *Client) runAsync(ctx context.Context, rawURL, contentType string, payload []byte, progress func(graph.Operation), out any) error {
	op, err := c.startAsync(ctx, rawURL, contentType, payload, out)
	if err != nil || op == nil {
		return err
	}
	if op, err = c.AwaitOperation(ctx, op, progress); err != nil {
		return err
	}
	return c.OperationResult(ctx, op.ID, out)
}

// startAsync posts payload asking for an operation, retrying a throttled
// request as Do does. It returns the operation, or nil when the server
// answered at once (out then holds the answer).
func (c *Client) startAsync(ctx context.Context, rawURL, contentType string, payload []byte, out any) (*graph.Operation, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.postAsync(ctx, rawURL, contentType, payload)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		if err != nil {
			return nil, c.netError(err)
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests && attempt < MaxRetries:
			if err := c.Sleep(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return nil, err
			}
			continue
		case resp.StatusCode != http.StatusAccepted:
			return nil, c.decode(http.MethodPost, rawURL, resp, data, out)
		}
		var op graph.Operation
		if err := c.decode(http.MethodPost, rawURL, resp, data, &op); err != nil {
			return nil, err
		}
		return &op, nil
	}
}

// postAsync sends one POST with Prefer: respond-async.
func (c *Client) postAsync(ctx context.Context, rawURL, contentType string, payload []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Prefer", "respond-async")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.netError(err)
	}
	return resp, nil
}
