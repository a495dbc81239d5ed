package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/allot-project/allot/graph"
)

// UserFields are the properties of a user that CreateUser and UpdateUser
// send (Graph's user); nil fields are left out, so an update changes only
// what is set.
type UserFields struct {
	UserPrincipalName *string `json:"userPrincipalName,omitempty"`
	DisplayName       *string `json:"displayName,omitempty"`
	GivenName         *string `json:"givenName,omitempty"`
	Surname           *string `json:"surname,omitempty"`
	JobTitle          *string `json:"jobTitle,omitempty"`
	UsageLocation     *string `json:"usageLocation,omitempty"`
	AccountEnabled    *bool   `json:"accountEnabled,omitempty"`
}

// userSelect is the $select of the user objects the calls below return.
const userSelect = "id,displayName,userPrincipalName,givenName,surname,jobTitle,usageLocation,accountEnabled,createdDateTime,assignedLicenses"

// userURL is the URL of one user, by id or userPrincipalName.
func (c *Client) userURL(idOrUPN string, q Query) string {
	return c.URL("/v1.0/users/"+url.PathEscape(idOrUPN), q)
}

// CreateUser creates a user (POST /v1.0/users) and returns it with the
// properties User returns (Graph's answer to the POST has only the
// default ones).
func (c *Client) CreateUser(ctx context.Context, f UserFields) (json.RawMessage, error) {
	var u struct {
		ID string `json:"id"`
	}
	if err := c.Post(ctx, c.URL("/v1.0/users", nil), f, &u); err != nil {
		return nil, err
	}
	return c.User(ctx, u.ID)
}

// UpdateUser changes the set fields of a user (PATCH /v1.0/users/{id}) and
// returns the user as it is afterwards.
func (c *Client) UpdateUser(ctx context.Context, idOrUPN string, f UserFields) (json.RawMessage, error) {
	if err := c.Do(ctx, http.MethodPatch, c.userURL(idOrUPN, nil), nil, f, nil); err != nil {
		return nil, err
	}
	return c.User(ctx, idOrUPN)
}

// User returns one active user with the properties the CLI shows.
func (c *Client) User(ctx context.Context, idOrUPN string) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.Get(ctx, c.userURL(idOrUPN, Query{"$select": userSelect}), nil, &raw)
	return raw, err
}

// DeleteUser deletes a user (DELETE /v1.0/users/{id}) and returns it as
// the deleted items list it (GET /v1.0/directory/deletedItems/{id}), with
// its deletedDateTime.
func (c *Client) DeleteUser(ctx context.Context, idOrUPN string) (json.RawMessage, error) {
	var u struct {
		ID string `json:"id"`
	}
	if err := c.Get(ctx, c.userURL(idOrUPN, Query{"$select": "id"}), nil, &u); err != nil {
		return nil, err
	}
	if err := c.Do(ctx, http.MethodDelete, c.userURL(u.ID, nil), nil, nil, nil); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	err := c.Get(ctx, c.URL("/v1.0/directory/deletedItems/"+url.PathEscape(u.ID), nil), nil, &raw)
	return raw, err
}

// The paths of allot's CSV import and export of users.
const (
	ImportPath = "/api/users/import"
	ExportPath = "/api/users/export"
)

// ImportOptions are the query of an import: see graph's ImportResponse.
type ImportOptions struct {
	DryRun, Atomic bool
	// LineOffset is added to the lines of body, a chunk of a larger file,
	// so that results name the file's lines.
	LineOffset int
}

// ImportUsers sends one CSV body (a header and at most
// allot.MaxImportRows rows) to POST /api/users/import and returns the
// per-line results.
func (c *Client) ImportUsers(ctx context.Context, body []byte, o ImportOptions) (*graph.ImportResponse, error) {
	rawURL := c.URL(ImportPath, Query{"dryRun": strconv.FormatBool(o.DryRun), "atomic": strconv.FormatBool(o.Atomic),
		"lineOffset": strconv.Itoa(o.LineOffset)})
	for attempt := 0; ; attempt++ {
		resp, err := c.sendCSV(ctx, rawURL, body)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		if err != nil {
			return nil, c.netError(err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < MaxRetries {
			if err := c.Sleep(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return nil, err
			}
			continue
		}
		var out graph.ImportResponse
		return &out, c.decode(http.MethodPost, rawURL, resp, data, &out)
	}
}

// sendCSV posts a CSV body.
func (c *Client) sendCSV(ctx context.Context, rawURL string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	req.Header.Set("Content-Type", "text/csv; charset=utf-8")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.netError(err)
	}
	return resp, nil
}

// ExportUsers copies the CSV of every active user (GET /api/users/export)
// to w as the server streams it.
func (c *Client) ExportUsers(ctx context.Context, w io.Writer) error {
	rawURL := c.URL(ExportPath, nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "text/csv")
	req.Header.Set("User-Agent", c.UserAgent)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.netError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		return c.errorAnswer(http.MethodGet, rawURL, resp, data)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("the export was cut short: %v", err)
	}
	return nil
}
