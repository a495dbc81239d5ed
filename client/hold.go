package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/allot-project/allot/graph"
)

// HoldsPath is allot's hold resource.
const HoldsPath = "/api/holds"

// Holds lists the tenant's holds, released ones too with includeReleased.
func (c *Client) Holds(ctx context.Context, includeReleased bool) ([]graph.HoldInfo, error) {
	var q Query
	if includeReleased {
		q = Query{"includeReleased": "true"}
	}
	var out struct {
		Value []graph.HoldInfo `json:"value"`
	}
	return out.Value, c.Get(ctx, c.URL(HoldsPath, q), nil, &out)
}

// CreateHold places a hold on a user (id or userPrincipalName) and returns
// it.
func (c *Client) CreateHold(ctx context.Context, user, name string) (*graph.HoldInfo, error) {
	var h graph.HoldInfo
	return &h, c.Post(ctx, c.URL(HoldsPath, nil), graph.HoldRequest{User: user, Name: name}, &h)
}

// ReleaseHold releases the hold with the id and returns it.
func (c *Client) ReleaseHold(ctx context.Context, id string) (*graph.HoldInfo, error) {
	var h graph.HoldInfo
	return &h, c.Post(ctx, c.URL(HoldsPath+"/"+url.PathEscape(id)+"/release", nil), struct{}{}, &h)
}

// SearchableMailboxes lists the mailboxes content search reaches now,
// every page of them, in user id order.
func (c *Client) SearchableMailboxes(ctx context.Context) ([]graph.SearchableMailboxInfo, error) {
	raws, err := c.List(ctx, c.URL("/api/discovery/mailboxes", Query{"$top": "999"}), nil, 0)
	if err != nil {
		return nil, err
	}
	return DecodeAll[graph.SearchableMailboxInfo](raws)
}

// UserData returns the state of a user's mailbox and files.
func (c *Client) UserData(ctx context.Context, idOrUPN string) (*graph.UserDataInfo, error) {
	var d graph.UserDataInfo
	return &d, c.Get(ctx, c.URL("/api/users/"+url.PathEscape(idOrUPN)+"/data", nil), nil, &d)
}

// PreviewAssignLicense says what an assignLicense of the user would do to
// its data, changing nothing.
func (c *Client) PreviewAssignLicense(ctx context.Context, idOrUPN string, add []graph.AssignedLicense, remove []string) (*graph.DataImpactInfo, error) {
	if add == nil {
		add = []graph.AssignedLicense{}
	}
	if remove == nil {
		remove = []string{}
	}
	body := map[string]any{"addLicenses": add, "removeLicenses": remove}
	var im graph.DataImpactInfo
	return &im, c.Post(ctx, c.URL("/api/users/"+url.PathEscape(idOrUPN)+"/preview/assignLicense", nil), body, &im)
}

// PreviewDelete says what deleting the user would do to its data,
// changing nothing.
func (c *Client) PreviewDelete(ctx context.Context, idOrUPN string) (*graph.DataImpactInfo, error) {
	var im graph.DataImpactInfo
	return &im, c.Post(ctx, c.URL("/api/users/"+url.PathEscape(idOrUPN)+"/preview/delete", nil), struct{}{}, &im)
}

// FileRetentionDays returns how many days the tenant keeps a deleted
// user's files.
func (c *Client) FileRetentionDays(ctx context.Context) (int, error) {
	var r graph.DataRetention
	return r.FileRetentionDays, c.Get(ctx, c.URL("/api/dataRetention", nil), nil, &r)
}

// SetFileRetentionDays sets it (30 to 3,650 days).
func (c *Client) SetFileRetentionDays(ctx context.Context, days int) error {
	return c.Do(ctx, http.MethodPatch, c.URL("/api/dataRetention", nil), nil, graph.DataRetention{FileRetentionDays: days}, nil)
}

// Offboard offboards a former employee (with DryRun, says what it would
// do) and returns what was done.
func (c *Client) Offboard(ctx context.Context, idOrUPN string, req graph.OffboardRequest) (*graph.OffboardInfo, error) {
	var out graph.OffboardInfo
	return &out, c.Post(ctx, c.URL("/api/users/"+url.PathEscape(idOrUPN)+"/offboard", nil), req, &out)
}
