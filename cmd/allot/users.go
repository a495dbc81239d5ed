package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/graph"
)

const usersUsage = `Usage: allot users <list|show|create|update|delete|restore|import|export|set-password> [flags] [arguments]

Users lists and inspects the tenant's users, creates, changes, deletes and
restores them, and imports and exports them as CSV.

	list     list users, all or those holding a product or none, or the deleted ones
	show     show one user and its licenses
	create   create a user
	update   change a user's name, usage location or sign-in
	delete   delete a user: its licenses are freed at once
	restore  restore a user deleted less than 30 days ago, with its licenses
	import   create and update users and their licenses from a CSV file
	export   write every user and its licenses as CSV
	set-password  set the password a user signs in to the admin center with (--db)

The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).
Run "allot help users list" for the flags of one.
`

const usersListUsage = `Usage: allot users list [--sku PARTNUMBER|GUID | --unlicensed | --deleted] [--limit N] [--output table|json]

List lists the tenant's users (GET /v1.0/users), all pages of them, or
with --deleted the users deleted less than 30 days ago, which "allot users
restore" brings back (GET /v1.0/directory/deletedItems/microsoft.graph.user):

	UPN       the userPrincipalName
	NAME      the display name
	LOCATION  the usage location, needed before any license is assigned
	SIGN-IN   allowed, or blocked
	LICENSES  the part numbers of the products the user holds

--limit N lists the first N users in the API's order, by user id, so the
same N every time; -o json keeps that order, the table sorts them by UPN.

Examples:

	allot users list --sku SPB
	allot users list --unlicensed
	allot users list --limit 10 -o json
	allot users list --deleted
`

const usersShowUsage = `Usage: allot users show [--output table|json] UPN

Show shows one user, given its userPrincipalName or id, and the licenses it
holds with the service plans switched off for it.

Example:

	allot users show adele@contoso.example
`

const usersDeleteUsage = `Usage: allot users delete [--dry-run] [--output table|json] UPN

Delete deletes a user, given its userPrincipalName or id. Its licenses are
freed at once; the user can be restored, with them, for 30 days. With
-o json it prints the deleted user as the deleted items list it.
--dry-run says what the deletion would do to the user's mailbox and files
(the dates they would be purged), changing nothing.

Example:

	allot users delete adele@contoso.example
`

const usersRestoreUsage = `Usage: allot users restore UPN

Restore brings back a user deleted less than 30 days ago, given its
userPrincipalName or its id, with the licenses it held. It fails, changing
nothing, if one of them has no seat left.

Example:

	allot users restore adele@contoso.example
`

// parseUsers dispatches to the users subcommands.
func (m *Main) parseUsers(args []string) (command, error) {
	g := &cli.Group[command]{Name: "users", Usage: usersUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "list", Parse: m.parseUsersList},
		{Name: "show", Parse: m.userCommand("show", usersShowUsage, (*userCommand).show)},
		{Name: "create", Parse: m.parseUsersCreate},
		{Name: "update", Parse: m.parseUsersUpdate},
		{Name: "delete", Parse: m.userCommand("delete", usersDeleteUsage, (*userCommand).delete)},
		{Name: "data", Parse: m.userCommand("data", usersDataUsage, (*userCommand).data)},
		{Name: "offboard", Parse: m.parseUsersOffboard},
		{Name: "restore", Parse: m.userCommand("restore", usersRestoreUsage, (*userCommand).restore)},
		{Name: "import", Parse: m.parseUsersImport},
		{Name: "export", Parse: m.parseUsersExport},
		{Name: "set-password", Parse: m.parseUsersSetPassword},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// graphUser is the part of Graph's user the CLI reads.
type graphUser struct {
	ID               string                  `json:"id"`
	DisplayName      string                  `json:"displayName"`
	UPN              string                  `json:"userPrincipalName"`
	UsageLocation    string                  `json:"usageLocation"`
	AccountEnabled   *bool                   `json:"accountEnabled"`
	JobTitle         string                  `json:"jobTitle"`
	CreatedDateTime  string                  `json:"createdDateTime"`
	DeletedDateTime  string                  `json:"deletedDateTime"`
	AssignedLicenses []graph.AssignedLicense `json:"assignedLicenses"`
}

// signIn says whether the user may sign in.
func (u graphUser) signIn() string {
	switch {
	case u.AccountEnabled == nil:
		return "-"
	case *u.AccountEnabled:
		return "allowed"
	}
	return "blocked"
}

// userListSelect is the $select of user listings.
const userListSelect = "id,displayName,userPrincipalName,usageLocation,accountEnabled,assignedLicenses"

// usersListCommand is "allot users list".
type usersListCommand struct {
	remote     *remote
	cl         *client.Client
	sku        string
	unlicensed bool
	deleted    bool
	limit      int
}

func (m *Main) parseUsersList(args []string) (command, error) {
	fs := newFlagSet("users list")
	c := &usersListCommand{remote: m.remoteFlags(fs)}
	fs.StringVar(&c.sku, "sku", "", "only users holding this product: its `PARTNUMBER` (e.g. SPB) or skuId GUID")
	fs.BoolVar(&c.unlicensed, "unlicensed", false, "only users holding no license")
	fs.BoolVar(&c.deleted, "deleted", false, "the deleted users, restorable for 30 days, instead of the active ones")
	fs.IntVar(&c.limit, "limit", 0, "list the first `N` users by id, the API's order (0: all)")
	if err := m.parseFlags(fs, usersListUsage, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("users list takes no arguments, got %q (run 'allot users list -h' for usage)", fs.Arg(0))}
	case c.sku != "" && c.unlicensed:
		return nil, &usageError{Msg: "users list: --sku and --unlicensed exclude each other"}
	case c.deleted && (c.sku != "" || c.unlicensed):
		return nil, &usageError{Msg: "users list: --deleted lists every deleted user; it excludes --sku and --unlicensed"}
	case c.limit < 0:
		return nil, &usageError{Msg: fmt.Sprintf("users list: --limit must be positive, not %d", c.limit)}
	}
	if err := c.remote.finish("users list"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("users list")
	return c, err
}

func (c *usersListCommand) run(ctx context.Context) error {
	skus := newSKUResolver(c.cl)
	q := client.Query{"$select": userListSelect, "$top": "999"}
	if c.limit > 0 && c.limit < 999 {
		q["$top"] = fmt.Sprint(c.limit)
	}
	var hdr http.Header
	switch {
	case c.sku != "":
		ref, err := skus.find(ctx, c.sku)
		if err != nil {
			return err
		}
		q["$filter"] = "assignedLicenses/any(x:x/skuId eq " + ref.ID + ")"
	case c.unlicensed:
		// An advanced query: Graph wants $count and ConsistencyLevel.
		q["$filter"], q["$count"] = "assignedLicenses/$count eq 0", "true"
		hdr = http.Header{"Consistencylevel": {"eventual"}}
	}
	path := "/v1.0/users"
	if c.deleted {
		path, q["$select"] = deletedURL, userListSelect+",deletedDateTime"
	}
	raws, err := c.cl.List(ctx, c.cl.URL(path, q), hdr, c.limit)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, rawArray(raws))
	}
	users, err := client.DecodeAll[graphUser](raws)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(c.remote.m.Stderr, "no users match")
		return nil
	}
	slices.SortFunc(users, func(a, b graphUser) int { return strings.Compare(strings.ToLower(a.UPN), strings.ToLower(b.UPN)) })
	header := []string{"UPN", "NAME", "LOCATION", "SIGN-IN", "LICENSES"}
	if c.deleted {
		header = append(header, "DELETED")
	}
	t := newTable(out, header...)
	for _, u := range users {
		var parts []string
		for _, l := range u.AssignedLicenses {
			parts = append(parts, skus.partNumber(ctx, l.SKUID))
		}
		cells := []string{u.UPN, u.DisplayName, orDash(u.UsageLocation), u.signIn(), orDash(strings.Join(parts, ","))}
		if c.deleted {
			cells = append(cells, date(u.DeletedDateTime))
		}
		t.row(cells...)
	}
	return t.flush()
}

// userCommand is "allot users show|delete|restore UPN".
type userCommand struct {
	remote *remote
	cl     *client.Client
	user   string
	dryRun bool // delete: say what it would do to the user's data
	do     func(c *userCommand, ctx context.Context) error
}

// userCommand returns the parser of "users NAME UPN", which runs do.
func (m *Main) userCommand(name, usage string, do func(*userCommand, context.Context) error) func([]string) (command, error) {
	return func(args []string) (command, error) { return m.parseUserCommand(name, usage, args, do) }
}

func (m *Main) parseUserCommand(name, usage string, args []string, do func(*userCommand, context.Context) error) (command, error) {
	fs := newFlagSet("users " + name)
	c := &userCommand{remote: m.remoteFlags(fs), do: do}
	if name == "delete" {
		fs.BoolVar(&c.dryRun, "dry-run", false, "say what deleting the user would do to its mailbox and files, changing nothing")
	}
	if err := m.parseFlags(fs, usage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("users %s takes one UPN after the flags, got %d arguments (run 'allot users %s -h' for usage)", name, fs.NArg(), name)}
	}
	c.user = strings.TrimSpace(fs.Arg(0))
	if err := c.remote.finish("users " + name); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("users " + name)
	return c, err
}

func (c *userCommand) run(ctx context.Context) error { return c.do(c, ctx) }

// userURL returns the URL of the user's resource, with a suffix path.
func (c *userCommand) userURL(suffix string, q client.Query) string {
	return c.cl.URL("/v1.0/users/"+url.PathEscape(c.user)+suffix, q)
}

// licenseDetails is the part of Graph's licenseDetails the CLI reads.
type licenseDetails struct {
	SKUID         string                   `json:"skuId"`
	SKUPartNumber string                   `json:"skuPartNumber"`
	ServicePlans  []client.ServicePlanInfo `json:"servicePlans"`
}

func (c *userCommand) show(ctx context.Context) error {
	var raw json.RawMessage
	sel := client.Query{"$select": "id,displayName,userPrincipalName,jobTitle,usageLocation,accountEnabled,createdDateTime,assignedLicenses"}
	if err := c.cl.Get(ctx, c.userURL("", sel), nil, &raw); err != nil {
		return err
	}
	details, err := c.cl.List(ctx, c.userURL("/licenseDetails", nil), nil, 0)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		// One document: the user with its licenseDetails expanded, as
		// Graph's $expand=licenseDetails would render it.
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		obj["licenseDetails"], _ = json.Marshal(rawArray(details))
		return writeJSON(out, obj)
	}
	var u graphUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	lds, err := client.DecodeAll[licenseDetails](details)
	if err != nil {
		return err
	}
	return writeUser(out, u, lds)
}

// writeUser writes a user and its licenses for people.
func writeUser(w io.Writer, u graphUser, lds []licenseDetails) error {
	t := newTable(w, "Name:", u.DisplayName)
	t.row("UPN:", u.UPN)
	t.row("ID:", u.ID)
	t.row("Job title:", orDash(u.JobTitle))
	t.row("Usage location:", orDash(u.UsageLocation))
	t.row("Sign-in:", u.signIn())
	t.row("Created:", date(u.CreatedDateTime))
	if len(lds) == 0 {
		t.row("Licenses:", "none")
		return t.flush()
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Licenses:")
	cat := allot.DemoCatalog()
	lt := newTable(w, "  PRODUCT", "SKU", "DISABLED PLANS")
	for _, d := range lds {
		var off []string
		for _, p := range d.ServicePlans {
			if p.ProvisioningStatus == "Disabled" {
				off = append(off, p.ServicePlanName)
			}
		}
		lt.row("  "+productName(cat, d.SKUID, d.SKUPartNumber), d.SKUPartNumber, orDash(strings.Join(off, ",")))
	}
	return lt.flush()
}

func (c *userCommand) delete(ctx context.Context) error {
	if c.dryRun {
		return c.previewDelete(ctx)
	}
	raw, err := c.cl.DeleteUser(ctx, c.user)
	if err != nil {
		return err
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, raw)
	}
	_, err = fmt.Fprintf(c.remote.m.Stdout, "deleted %s and freed its licenses; 'allot users restore %s' brings both back within 30 days\n", c.user, c.user)
	return err
}

func (c *userCommand) restore(ctx context.Context) error {
	id := c.user
	if !allot.IsGUID(id) {
		var err error
		if id, err = c.findDeleted(ctx); err != nil {
			return err
		}
	}
	var raw json.RawMessage
	if err := c.cl.Post(ctx, c.cl.URL("/v1.0/directory/deletedItems/"+url.PathEscape(id)+"/restore", nil), nil, &raw); err != nil {
		return err
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, raw)
	}
	var u graphUser
	json.Unmarshal(raw, &u) // only for the name; the restore is done
	_, err := fmt.Fprintf(c.remote.m.Stdout, "restored %s with its licenses\n", cmp.Or(u.UPN, c.user))
	return err
}

// deletedURL lists the deleted users.
const deletedURL = "/v1.0/directory/deletedItems/microsoft.graph.user"

// findDeleted returns the id of the deleted user with the UPN. It asks the
// server to filter; a server refusing that filter gets every page read and
// matched here.
func (c *userCommand) findDeleted(ctx context.Context) (string, error) {
	q := client.Query{"$select": "id,userPrincipalName,deletedDateTime", "$top": "999",
		"$filter": "userPrincipalName eq '" + strings.ReplaceAll(c.user, "'", "''") + "'"}
	raws, err := c.cl.List(ctx, c.cl.URL(deletedURL, q), nil, 0)
	var ge *client.Error
	if errors.As(err, &ge) && ge.Status == http.StatusBadRequest {
		delete(q, "$filter")
		raws, err = c.cl.List(ctx, c.cl.URL(deletedURL, q), nil, 0)
	}
	if err != nil {
		return "", err
	}
	users, err := client.DecodeAll[graphUser](raws)
	if err != nil {
		return "", err
	}
	var found []graphUser
	for _, u := range users {
		if strings.EqualFold(u.UPN, c.user) {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no deleted user has the userPrincipalName %s (deleted users can be restored for 30 days)", c.user)
	case 1:
		return found[0].ID, nil
	}
	var ids []string
	for _, u := range found {
		ids = append(ids, u.ID+" (deleted "+date(u.DeletedDateTime)+")")
	}
	return "", fmt.Errorf("%d deleted users have the userPrincipalName %s; restore one by its id: %s", len(found), c.user, strings.Join(ids, ", "))
}
