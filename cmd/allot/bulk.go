package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
)

// bulkChunk is how many users one per-user bulk request carries, so that
// the progress bar advances and no request grows huge.
const bulkChunk = 1000

// bulk changes several users (or checks them, with --dry-run) through the
// bulk endpoint: in chunks of bulkChunk users each succeeding or failing
// alone, or in one request for --atomic and --dry-run. A dry run is one
// request because each request is rolled back: chunks checked apart would
// each see the seats the others would take as still free.
func (c *licenseCommand) bulk(ctx context.Context, users []string) error {
	add, remove := c.changeBody(c.refs)
	req := graph.BulkRequest{AddLicenses: add, RemoveLicenses: remove, Mode: "perUser", SkipUnchanged: true, DryRun: c.dryRun}
	chunk := bulkChunk
	if c.atomic {
		req.Mode = "allOrNothing"
	}
	if c.atomic || c.dryRun {
		if len(users) > graph.MaxBulkUsers {
			return &usageError{Msg: fmt.Sprintf("%s: --atomic and --dry-run send every user in one request, which takes at most %d users, and %d are named: split the list",
				c.name, graph.MaxBulkUsers, len(users))}
		}
		chunk = len(users)
	}
	m := c.remote.m
	bar := newProgress(m.Stderr, c.progressLabel(), len(users))
	defer bar.clear()
	all := graph.BulkResponse{Results: []graph.BulkResult{}, DryRun: c.dryRun}
	for start := 0; start < len(users); start += chunk {
		req.Users = users[start:min(start+chunk, len(users))]
		resp, shown, err := c.send(ctx, req, bar)
		bar.clear()
		if err != nil {
			return c.bulkFailed(err, all, len(users)-start)
		}
		for _, r := range resp.Results {
			if r.Error != nil && !c.remote.json() { // JSON: in the results printed
				fmt.Fprintf(m.Stderr, "allot: %s: %s\n", r.User, nameProducts(r.Error.Message))
			}
		}
		all.Results = append(all.Results, resp.Results...)
		all.Changed, all.Unchanged, all.Failed = all.Changed+resp.Changed, all.Unchanged+resp.Unchanged, all.Failed+resp.Failed
		all.DataSummary = resp.DataSummary // a dry run is one request
		bar.add(len(req.Users) - shown)
	}
	bar.clear()
	err := c.report(all)
	if c.dryRun && !c.remote.json() {
		if derr := c.reportData(all); derr != nil {
			return derr
		}
	}
	return err
}

// asyncUsers is the size of a request from which it runs as an operation
// on the server (Prefer: respond-async), whose progress the bar follows.
const asyncUsers = 5000

// send sends one bulk request, as an operation when it is large or with
// --progress; the bar advances as the server reports the operation's
// percentage (planning, then writing). shown is how many users' worth it
// advanced.
func (c *licenseCommand) send(ctx context.Context, req graph.BulkRequest, bar *progress) (resp *graph.BulkResponse, shown int, err error) {
	if !c.progress && len(req.Users) < asyncUsers {
		resp, err = c.cl.BulkAssignLicense(ctx, req)
		return resp, 0, err
	}
	resp, err = c.cl.BulkAssignLicenseAsync(ctx, req, func(op graph.Operation) {
		bar.follow(&shown, len(req.Users), op.PercentageProgress)
	})
	return resp, shown, err
}

// bulkFailed reports a request that failed as a whole, after the users
// done before it; left users were not processed.
func (c *licenseCommand) bulkFailed(err error, done graph.BulkResponse, left int) error {
	m := c.remote.m
	var ge *client.Error
	if c.atomic && errors.As(err, &ge) && ge.Status == http.StatusBadRequest && len(ge.Details) > 0 && !c.remote.json() {
		for _, d := range ge.Details {
			if d.Target != "" {
				fmt.Fprintf(m.Stderr, "allot: %s: %s\n", d.Target, nameProducts(d.Message))
			} else {
				fmt.Fprintf(m.Stderr, "allot: %s\n", nameProducts(d.Message))
			}
		}
		fmt.Fprintln(m.Stdout, c.refusedSummary())
		return errReported
	}
	// An unknown route is 404 UnknownError; a missing object (a SKU, say)
	// is 404 Request_ResourceNotFound.
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound && ge.Code != "Request_ResourceNotFound" {
		err = fmt.Errorf("%w (is this server older than allot's bulk endpoint %s? change one --user at a time)", err, client.BulkPath)
	}
	if len(done.Results) == 0 {
		return err
	}
	if c.remote.json() {
		writeJSON(m.Stdout, done)
	} else {
		fmt.Fprintln(m.Stdout, c.summary(done))
	}
	return fmt.Errorf("%w; the last %s were not processed", err, plural(left, "user", "users"))
}

// report prints the outcome of a bulk change: the JSON document, or for
// people a line per user of a dry run and the summary. Failures make the
// command fail; their lines are already on stderr.
func (c *licenseCommand) report(all graph.BulkResponse) error {
	m := c.remote.m
	if c.remote.json() {
		if err := writeJSON(m.Stdout, all); err != nil {
			return err
		}
	} else {
		if c.dryRun {
			t := newTable(m.Stdout, "USER", "OUTCOME")
			for _, r := range all.Results {
				t.row(r.User, c.outcome(r))
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
		fmt.Fprintln(m.Stdout, c.summary(all))
	}
	for _, r := range all.Results {
		if r.Error != nil {
			return errReported
		}
	}
	return nil
}

// progressLabel is the label of the progress bar.
func (c *licenseCommand) progressLabel() string {
	parts := make([]string, len(c.refs))
	for i, r := range c.refs {
		parts[i] = r.Part
	}
	label := strings.Join(parts, ",")
	switch {
	case c.dryRun:
		return "checking " + label
	case c.unassign:
		return "unassigning " + label
	}
	return "assigning " + label
}

// outcome says what a dry run found for one user.
func (c *licenseCommand) outcome(r graph.BulkResult) string {
	switch {
	case r.Error != nil:
		return "would fail (" + r.Error.Code + ")"
	case r.Changed && c.unassign:
		return "would unassign"
	case r.Changed:
		return "would assign"
	case c.unassign:
		return "unchanged (does not have it)"
	}
	return "unchanged (already has it)"
}

// summary is the last line of a bulk change, e.g. "assigned Office 365 E3
// to 97 users; 2 already had it; 1 failed".
func (c *licenseCommand) summary(all graph.BulkResponse) string {
	var changed, unchanged, failed int
	for _, r := range all.Results {
		switch {
		case r.Error != nil:
			failed++
		case r.Changed:
			changed++
		default:
			unchanged++
		}
	}
	name := c.names(c.refs)
	users := plural(changed, "user", "users")
	var parts []string
	switch {
	case c.dryRun && c.unassign:
		parts = append(parts, "dry run, nothing changed: would unassign "+name+" from "+users)
	case c.dryRun:
		parts = append(parts, "dry run, nothing changed: would assign "+name+" to "+users)
	case c.unassign:
		parts = append(parts, "unassigned "+name+" from "+users)
	default:
		parts = append(parts, "assigned "+name+" to "+users)
	}
	if unchanged > 0 {
		parts = append(parts, fmt.Sprintf("%d unchanged (%s)", unchanged, c.unchangedPhrase(unchanged)))
	}
	if failed > 0 {
		verb := "failed"
		if c.dryRun {
			verb = "would fail"
		}
		parts = append(parts, fmt.Sprintf("%d %s", failed, verb))
	}
	return strings.Join(parts, "; ")
}

// unchangedPhrase says why n users were left as they were.
func (c *licenseCommand) unchangedPhrase(n int) string {
	switch {
	case c.unassign && c.dryRun && n == 1:
		return "does not have it"
	case c.unassign && c.dryRun:
		return "do not have it"
	case c.unassign:
		return "did not have it"
	case c.dryRun && n == 1:
		return "already has it"
	case c.dryRun:
		return "already have it"
	}
	return "already had it"
}

// refusedSummary is the summary of an --atomic change that was refused.
func (c *licenseCommand) refusedSummary() string {
	verb := "assigned"
	if c.unassign {
		verb = "unassigned"
	}
	if c.dryRun {
		return "dry run, nothing changed: --atomic would refuse the whole change because of the failure above"
	}
	return "nothing " + verb + ": --atomic refused the whole change because of the failure above"
}
