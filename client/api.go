package client

import (
	"context"
	"net/url"

	"github.com/allot-project/allot/graph"
)

// CheckPath and BulkPath are allot's own endpoints, outside Graph's
// namespace.
const (
	CheckPath = "/api/check"
	BulkPath  = "/api/bulkAssignLicense"
)

// CheckOne asks GET /api/check whether user (an id or userPrincipalName)
// may use plan (a servicePlanId or name).
func (c *Client) CheckOne(ctx context.Context, user, plan string) (graph.CheckResult, error) {
	var res graph.CheckResult
	q := "?user=" + url.QueryEscape(user) + "&servicePlan=" + url.QueryEscape(plan)
	err := c.Get(ctx, c.URL(CheckPath, nil)+q, nil, &res)
	return res, err
}

// Check asks POST /api/check the checks (1 to allot.MaxChecks) and
// returns the answers in their order.
func (c *Client) Check(ctx context.Context, checks []graph.CheckRequest) ([]graph.CheckResult, error) {
	var res graph.CheckResults
	if err := c.Post(ctx, c.URL(CheckPath, nil), graph.CheckBatch{Checks: checks}, &res); err != nil {
		return nil, err
	}
	return res.Results, nil
}

// BulkAssignLicense sends one bulk license change. A refusal of the whole
// change (allOrNothing) is an *Error whose details name the users.
func (c *Client) BulkAssignLicense(ctx context.Context, req graph.BulkRequest) (*graph.BulkResponse, error) {
	var res graph.BulkResponse
	if err := c.Post(ctx, c.URL(BulkPath, nil), req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
