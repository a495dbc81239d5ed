package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
)

const auditUsage = `Usage: allot audit [--user UPN] [--sku PARTNUMBER|GUID] [--since DURATION|DATE] [--limit N]
                  [--output table|json|csv]

Audit prints the tenant's audit log, newest first (GET
/v1.0/auditLogs/directoryAudits): who changed what, when, and how.

	TIME      when, in UTC
	ACTIVITY  what was done, in Microsoft's words (Change user license, …)
	BY        the user or application who did it
	TARGET    the user or object changed, and the product concerned
	CHANGES   the properties changed: old → new

--user and --sku keep the events about that user or product; --since
keeps the events since a duration ago (90m, 24h, 7d) or since a date
(2026-03-01, or 2026-03-01T09:00:00Z). Global Administrators and Global
Readers read everything, License Administrators the license changes.
-o json prints Graph's directoryAudit objects; -o csv one line per event.
The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).

Examples:

	allot audit --user adele@contoso.example
	allot audit --sku SPB --since 7d
	allot audit --since 2026-03-01 --limit 0 -o csv > audit.csv
`

// auditCommand is "allot audit".
type auditCommand struct {
	remote *remote
	cl     *client.Client
	user   string
	sku    string
	since  time.Time
	limit  int
}

func (m *Main) parseAudit(args []string) (command, error) {
	fs := newFlagSet("audit")
	c := &auditCommand{remote: m.remoteFlags(fs)}
	fs.Lookup("output").Usage = "output `format`: table, json or csv (default table)"
	var since string
	fs.StringVar(&c.user, "user", "", "only the events about this user: its `UPN` or id")
	fs.StringVar(&c.sku, "sku", "", "only the events about this product: its `PARTNUMBER` (e.g. SPB) or skuId GUID")
	fs.StringVar(&since, "since", "", "only the events since this `DURATION` ago (90m, 24h, 7d) or DATE (2026-03-01)")
	fs.IntVar(&c.limit, "limit", 100, "print at most `N` events (0: all)")
	if err := m.parseFlags(fs, auditUsage, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("audit takes no arguments, got %q (run 'allot audit -h' for usage)", fs.Arg(0))}
	case c.limit < 0:
		return nil, &usageError{Msg: fmt.Sprintf("audit: --limit must be 0 or more, not %d", c.limit)}
	}
	if since != "" {
		var err error
		if c.since, err = parseSince(since, m.Now()); err != nil {
			return nil, &usageError{Msg: "audit: --since " + err.Error()}
		}
	}
	if err := c.remote.finishFormats("audit", "table", "json", "csv"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("audit")
	return c, err
}

// parseSince reads --since: a duration before now (Go's, or whole days
// as "7d"), a date (midnight UTC) or an RFC 3339 instant.
func parseSince(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (90m, 24h, 7d) nor a date (2026-03-01 or 2026-03-01T09:00:00Z)", s)
}

func (c *auditCommand) run(ctx context.Context) error {
	filter, err := c.filter(ctx)
	if err != nil {
		return err
	}
	q := client.Query{"$top": "999"}
	if c.limit > 0 && c.limit < 999 {
		q["$top"] = strconv.Itoa(c.limit)
	}
	if filter != "" {
		q["$filter"] = filter
	}
	raws, err := c.cl.List(ctx, c.cl.URL("/v1.0/auditLogs/directoryAudits", q), nil, c.limit)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, rawArray(raws))
	}
	events, err := client.DecodeAll[graph.DirectoryAudit](raws)
	if err != nil {
		return err
	}
	if c.remote.output == "csv" {
		return writeAuditCSV(out, events)
	}
	if len(events) == 0 {
		fmt.Fprintln(c.remote.m.Stderr, "no events match")
		return nil
	}
	t := newTable(out, "TIME", "ACTIVITY", "BY", "TARGET", "CHANGES")
	for _, e := range events {
		t.row(auditTime(e.ActivityDateTime), e.ActivityDisplayName, initiatedBy(e), targets(e), changes(e))
	}
	return t.flush()
}

// filter builds the $filter of the flags, resolving the user and the
// product to their ids.
func (c *auditCommand) filter(ctx context.Context) (string, error) {
	var clauses []string
	if c.user != "" {
		id, err := c.userID(ctx)
		if err != nil {
			return "", err
		}
		clauses = append(clauses, "targetResources/any(t:t/id eq '"+id+"')")
	}
	if c.sku != "" {
		ref, err := newSKUResolver(c.cl).find(ctx, c.sku)
		if err != nil {
			return "", err
		}
		clauses = append(clauses, "targetResources/any(t:t/id eq '"+ref.ID+"')")
	}
	if !c.since.IsZero() {
		clauses = append(clauses, "activityDateTime ge "+c.since.UTC().Format(time.RFC3339))
	}
	return strings.Join(clauses, " and "), nil
}

// userID returns the id of --user: itself if it is one, else the id of
// the user with that userPrincipalName, or of the deleted user with it
// (whose deletion is what one often looks for).
func (c *auditCommand) userID(ctx context.Context) (string, error) {
	if allot.IsGUID(c.user) {
		return strings.ToLower(c.user), nil
	}
	var u struct{ ID string }
	err := c.cl.Get(ctx, c.cl.URL("/v1.0/users/"+url.PathEscape(c.user), client.Query{"$select": "id"}), nil, &u)
	var ge *client.Error
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
		q := client.Query{"$select": "id", "$filter": "userPrincipalName eq '" + strings.ReplaceAll(c.user, "'", "''") + "'"}
		raws, derr := c.cl.List(ctx, c.cl.URL(deletedURL, q), nil, 2)
		if derr == nil && len(raws) == 1 && json.Unmarshal(raws[0], &u) == nil {
			return u.ID, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("--user %s: %w (a user deleted more than once is found by its id)", c.user, err)
	}
	return u.ID, nil
}

// auditTime renders a directoryAudit's time for people.
func auditTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// initiatedBy names who made a change.
func initiatedBy(e graph.DirectoryAudit) string {
	switch {
	case e.InitiatedBy.User != nil:
		return orDash(e.InitiatedBy.User.UserPrincipalName)
	case e.InitiatedBy.App != nil:
		return orDash(e.InitiatedBy.App.DisplayName)
	}
	return "-"
}

// targets names what a change touched: the first user or object, how
// many more, and the product.
func targets(e graph.DirectoryAudit) string {
	var objects, products []string
	for _, t := range e.TargetResources {
		name := cmp.Or(t.UserPrincipalName, t.DisplayName, t.ID)
		if t.Type == "Product" {
			products = append(products, productName(allot.DemoCatalog(), t.ID, t.DisplayName))
		} else {
			objects = append(objects, name)
		}
	}
	total := len(objects)
	for _, d := range e.AdditionalDetails {
		if n, err := strconv.Atoi(d.Value); d.Key == "targetCount" && err == nil {
			total = n
		}
	}
	s := ""
	if len(objects) > 0 {
		s = objects[0]
	}
	if total > 1 {
		s = fmt.Sprintf("%s and %d more", s, total-1)
	}
	if len(products) > 0 {
		s = strings.TrimSpace(s + " (" + strings.Join(products, ", ") + ")")
	}
	return orDash(s)
}

// changes summarises the properties a change modified, of its first
// target.
func changes(e graph.DirectoryAudit) string {
	if len(e.TargetResources) == 0 {
		return "-"
	}
	var parts []string
	for _, p := range e.TargetResources[0].ModifiedProperties {
		old, cur := jsonValue(p.OldValue), jsonValue(p.NewValue)
		if p.DisplayName == "skuId" {
			old, cur = productName(allot.DemoCatalog(), old, old), productName(allot.DemoCatalog(), cur, cur)
		}
		parts = append(parts, p.DisplayName+": "+old+" → "+cur)
	}
	return orDash(strings.Join(parts, "; "))
}

// jsonValue renders a modifiedProperty's JSON-encoded value, "-" for none.
func jsonValue(v *string) string {
	if v == nil {
		return "-"
	}
	var s string
	if json.Unmarshal([]byte(*v), &s) == nil {
		return orDash(s)
	}
	return *v
}

// writeAuditCSV writes one line per event, with a header.
func writeAuditCSV(w io.Writer, events []graph.DirectoryAudit) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "activityDateTime", "category", "activityDisplayName", "operationType", "initiatedBy", "targets", "changes"})
	for _, e := range events {
		cw.Write([]string{e.ID, e.ActivityDateTime, e.Category, e.ActivityDisplayName, e.OperationType, initiatedBy(e), targets(e), changes(e)})
	}
	cw.Flush()
	return cw.Error()
}
