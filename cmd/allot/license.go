package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/graph"
)

const licenseUsage = `Usage: allot license <assign|unassign> --sku PARTNUMBER|GUID [flags]

License assigns a product's licenses to users, or takes them back.

	assign    assign the product to users
	unassign  take the product back from users

Run "allot help license assign" for the flags.
`

const licenseAssignUsage = `Usage: allot license assign --sku PARTNUMBER|GUID [--user UPN]... [--users-from FILE|-]
                            [--disable-plan NAME|GUID]... [--dry-run] [--atomic]

Assign assigns the product to each user given, with the service plans named
by --disable-plan switched off. A user must have a usage location first.
Users who already hold the product with those plans are unchanged.

` + licenseCommonUsage + `
Examples:

	allot license assign --sku SPB --user adele@contoso.example
	allot license assign --sku ENTERPRISEPACK --disable-plan YAMMER_ENTERPRISE --users-from new-hires.txt
	allot license assign --sku SPB --users-from users.csv --dry-run
`

const licenseUnassignUsage = `Usage: allot license unassign --sku PARTNUMBER|GUID [--user UPN]... [--users-from FILE|-]
                              [--dry-run] [--atomic]

Unassign takes the product back from each user given; the seats are free
at once. Users who do not hold the product are unchanged, so running the
same command twice is safe.

` + licenseCommonUsage + `
Examples:

	allot license unassign --sku SPB --user adele@contoso.example
	allot users list --sku SPB -o json | jq -r '.[].userPrincipalName' | allot license unassign --sku SPB --users-from -
`

const licenseCommonUsage = `Repeat --sku to change several products at once (--sku SPB --sku
EXCHANGEARCHIVE_ADDON); --disable-plan then names plans of any of them.
Users come from --user (repeat it, or separate UPNs with commas) and from
--users-from, a file ("-" for standard input) with one UPN per line, where
blank lines and lines starting with # are skipped; a CSV file whose header
has a userPrincipalName column works too.

One user is changed with Graph's assignLicense. Several users, --dry-run and
--atomic use allot's bulk endpoint: by default each user succeeds or fails
alone, 1,000 users per request, with a progress bar when standard error is
a terminal; --atomic changes all users or none. --dry-run has the server
check everything, changes nothing and prints what would happen. A request
of 5,000 users or more (--atomic or --dry-run over many users), or any
with --progress, runs as an operation on the server whose progress the bar
follows while the request runs.

The exit status is 0 when every user got what was asked, else 1, with one
line per failed user on standard error and a summary on standard output.
The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).
`

// parseLicense dispatches to "license assign" and "license unassign".
func (m *Main) parseLicense(args []string) (command, error) {
	g := &cli.Group[command]{Name: "license", Usage: licenseUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "assign", Parse: func(args []string) (command, error) { return m.parseLicenseChange(false, args) }},
		{Name: "unassign", Parse: func(args []string) (command, error) { return m.parseLicenseChange(true, args) }},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// listFlag is a flag that may be repeated; each value may hold several
// items separated by commas.
type listFlag = cli.ListFlag

// licenseCommand is "allot license assign" and "allot license unassign".
type licenseCommand struct {
	remote    *remote
	cl        *client.Client
	name      string // "license assign" or "license unassign"
	unassign  bool
	skus      listFlag
	users     listFlag
	usersFrom string
	disable   listFlag
	dryRun    bool
	atomic    bool
	progress  bool                // every request runs as a server-side operation (bulk.go)
	refs      []*skuRef           // the products, resolved by run
	plans     map[string][]string // the plans disabled, by skuId, resolved by run
}

func (m *Main) parseLicenseChange(unassign bool, args []string) (command, error) {
	c := &licenseCommand{name: "license assign", unassign: unassign}
	usage := licenseAssignUsage
	if unassign {
		c.name, usage = "license unassign", licenseUnassignUsage
	}
	fs := newFlagSet(c.name)
	c.remote = m.remoteFlags(fs)
	fs.Var(&c.skus, "sku", "the product: its `PARTNUMBER` (e.g. SPB) or skuId GUID (required); repeat it to change several products at once")
	fs.Var(&c.users, "user", "a user's `UPN` (or id); repeat the flag for several users")
	fs.StringVar(&c.usersFrom, "users-from", "", "read users from `FILE`, one UPN per line or a CSV; - is standard input")
	if !unassign {
		fs.Var(&c.disable, "disable-plan", "switch off this service plan of the product: its `NAME` or GUID; may be repeated")
	}
	fs.BoolVar(&c.dryRun, "dry-run", false, "check everything and print what would happen, changing nothing")
	fs.BoolVar(&c.atomic, "atomic", false, "change every user or none: one failure refuses the whole change")
	fs.BoolVar(&c.progress, "progress", false, "run each request as an operation on the server and follow its progress (the default from 5,000 users a request)")
	if err := m.parseFlags(fs, usage, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("%s takes users with --user or --users-from, not as arguments; got %q (run 'allot %s -h' for usage)", c.name, fs.Arg(0), c.name)}
	case len(c.skus) == 0:
		return nil, &usageError{Msg: fmt.Sprintf("%s: --sku is required, e.g. --sku SPB (run 'allot skus' for the part numbers)", c.name)}
	case len(c.users) == 0 && c.usersFrom == "":
		return nil, &usageError{Msg: fmt.Sprintf("%s: name the users with --user UPN or --users-from FILE", c.name)}
	}
	if err := c.remote.finish(c.name); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client(c.name)
	return c, err
}

func (c *licenseCommand) run(ctx context.Context) error {
	users, err := c.allUsers()
	if err != nil {
		return err
	}
	if err := c.resolve(ctx); err != nil {
		return err
	}
	if len(users) == 1 && !c.dryRun && !c.atomic {
		return c.one(ctx, users[0])
	}
	return c.bulk(ctx, users)
}

// resolve resolves the products of --sku, each once, and the plans of
// --disable-plan, each to the one product it belongs to.
func (c *licenseCommand) resolve(ctx context.Context) error {
	skus := newSKUResolver(c.cl)
	c.plans = map[string][]string{}
	for _, arg := range c.skus {
		ref, err := skus.find(ctx, arg)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(c.refs, func(r *skuRef) bool { return r.ID == ref.ID }) {
			c.refs = append(c.refs, ref)
			c.plans[ref.ID] = []string{}
		}
	}
	for _, p := range c.disable {
		ref, id, err := c.planOf(p)
		if err != nil {
			return err
		}
		c.plans[ref.ID] = append(c.plans[ref.ID], id)
	}
	return nil
}

// planOf finds the product a plan of --disable-plan belongs to; a GUID
// unknown to every product goes to the only product, if there is one.
func (c *licenseCommand) planOf(arg string) (*skuRef, string, error) {
	for _, ref := range c.refs {
		for name, id := range ref.plans {
			if strings.EqualFold(arg, name) || strings.EqualFold(arg, id) {
				return ref, id, nil
			}
		}
	}
	if len(c.refs) == 1 {
		id, err := c.refs[0].plan(arg)
		return c.refs[0], id, err
	}
	return nil, "", fmt.Errorf("service plan %q is not part of %s", arg, c.names(c.refs))
}

// names names products for people: "Office 365 E3 and Microsoft 365 E3".
func (c *licenseCommand) names(refs []*skuRef) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// allUsers returns the users of --user and --users-from, each once, in
// the order given.
func (c *licenseCommand) allUsers() ([]string, error) {
	all := append([]string{}, c.users...)
	if c.usersFrom != "" {
		from, err := c.readUsersFrom()
		if err != nil {
			return nil, err
		}
		all = append(all, from...)
	}
	seen := map[string]bool{}
	var users []string
	for _, u := range all {
		if k := strings.ToLower(u); !seen[k] {
			seen[k] = true
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, &usageError{Msg: fmt.Sprintf("%s: %s names no users", c.name, c.usersFrom)}
	}
	return users, nil
}

// changeBody returns the addLicenses and removeLicenses of the change of
// products refs.
func (c *licenseCommand) changeBody(refs []*skuRef) (add []graph.AssignedLicense, remove []string) {
	add, remove = []graph.AssignedLicense{}, []string{}
	for _, ref := range refs {
		if c.unassign {
			remove = append(remove, ref.ID)
		} else {
			add = append(add, graph.AssignedLicense{SKUID: ref.ID, DisabledPlans: c.plans[ref.ID]})
		}
	}
	return add, remove
}

// one changes one user with Graph's assignLicense, sending only the
// products that change: a product already held as asked (or, to
// unassign, not held) is unchanged, in the words the bulk summary uses.
func (c *licenseCommand) one(ctx context.Context, user string) error {
	held, raw, err := c.held(ctx, user)
	if err != nil {
		return err
	}
	var todo, same []*skuRef
	for _, ref := range c.refs {
		plans, ok := held[ref.ID]
		if held == nil || c.unassign && ok || !c.unassign && (!ok || !samePlans(plans, c.plans[ref.ID])) {
			todo = append(todo, ref)
		} else {
			same = append(same, ref)
		}
	}
	if len(todo) > 0 {
		add, remove := c.changeBody(todo)
		err = c.cl.Post(ctx, c.cl.URL("/v1.0/users/"+url.PathEscape(user)+"/assignLicense", nil), map[string]any{"addLicenses": add, "removeLicenses": remove}, &raw)
	}
	var ge *client.Error
	switch {
	case errors.As(err, &ge) && notHeld(ge) && len(todo) == 1:
		todo, same, raw = nil, todo, nil // unknown before: the server says so
	case errors.As(err, &ge) && notHeld(ge):
		return fmt.Errorf("%s does not hold one of %s", user, c.names(todo))
	case errors.As(err, &ge) && (ge.Status == http.StatusBadRequest || ge.Status == http.StatusNotFound):
		return fmt.Errorf("%s: %w", user, err)
	case err != nil:
		return err
	}
	if c.remote.json() && raw != nil {
		return writeJSON(c.remote.m.Stdout, raw)
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		out = c.remote.m.Stderr // no user to print: the line is for people
	}
	_, err = fmt.Fprintln(out, c.oneSummary(user, todo, same))
	return err
}

// oneSummary says what one() did: "assigned X to u", "u already has X:
// unchanged", or both.
func (c *licenseCommand) oneSummary(user string, todo, same []*skuRef) string {
	var parts []string
	switch {
	case len(todo) > 0 && c.unassign:
		parts = append(parts, fmt.Sprintf("unassigned %s from %s", c.names(todo), user))
	case len(todo) > 0:
		parts = append(parts, fmt.Sprintf("assigned %s to %s", c.names(todo), user))
	}
	switch {
	case len(same) > 0 && c.unassign:
		parts = append(parts, fmt.Sprintf("%s does not hold %s: unchanged", user, c.names(same)))
	case len(same) > 0:
		parts = append(parts, fmt.Sprintf("%s already has %s: unchanged", user, c.names(same)))
	}
	return strings.Join(parts, "; ")
}

// held returns the products a user holds with their disabled plans, and
// the user as the server answered; nil and no error when the caller may
// not read the user (the purchaser of a self-service subscription may
// still assign its seats), and then everything asked is sent.
func (c *licenseCommand) held(ctx context.Context, user string) (map[string][]string, json.RawMessage, error) {
	var raw json.RawMessage
	sel := client.Query{"$select": "id,displayName,userPrincipalName,usageLocation,assignedLicenses"}
	if err := c.cl.Get(ctx, c.cl.URL("/v1.0/users/"+url.PathEscape(user), sel), nil, &raw); err != nil {
		var ge *client.Error
		if errors.As(err, &ge) && ge.Status == http.StatusForbidden {
			return nil, nil, nil
		}
		if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
			return nil, nil, fmt.Errorf("%s: %w", user, err)
		}
		return nil, nil, err
	}
	var u graphUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, nil, err
	}
	held := map[string][]string{}
	for _, l := range u.AssignedLicenses {
		held[strings.ToLower(l.SKUID)] = l.DisabledPlans
	}
	return held, raw, nil
}

// samePlans reports whether two sets of plan ids are equal.
func samePlans(a, b []string) bool {
	norm := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = strings.ToLower(p)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

// notHeld reports whether a refusal says the user does not hold the SKU
// it was asked to remove, by the rule's code, never by the message.
func notHeld(ge *client.Error) bool { return ge.Rule() == allot.ELICENSENOTHELD }

// readUsersFrom reads the users of --users-from: one UPN per line, blank
// lines and # comments skipped, or a CSV whose header has a
// userPrincipalName column (as the admin center's exports do).
func (c *licenseCommand) readUsersFrom() ([]string, error) {
	return c.remote.m.readUsersFile(c.usersFrom)
}

// readUsersFile reads the users of a --users-from file ("-": standard
// input).
func (m *Main) readUsersFile(path string) ([]string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(m.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("--users-from: %w", err)
	}
	users, err := parseUsers(string(bytes.TrimPrefix(data, []byte("\ufeff"))))
	if err != nil {
		return nil, fmt.Errorf("--users-from %s: %w", path, err)
	}
	return users, nil
}

// parseUsers parses the content of a users file.
func parseUsers(s string) ([]string, error) {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	first := -1
	for i, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, nil
	}
	if strings.Contains(lines[first], ",") {
		return parseUsersCSV(strings.Join(lines[first:], "\n"))
	}
	var users []string
	for i, l := range lines[first:] {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || i == 0 && isUPNHeader(l) {
			continue
		}
		users = append(users, l)
	}
	return users, nil
}

// isUPNHeader reports whether a CSV header cell names the UPN column.
func isUPNHeader(cell string) bool {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(cell), " ", "")) {
	case "userprincipalname", "upn":
		return true
	}
	return false
}

func parseUsersCSV(s string) ([]string, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := slices.IndexFunc(header, isUPNHeader)
	if col < 0 {
		return nil, fmt.Errorf("the CSV header (%s) has no userPrincipalName column", strings.Join(header, ", "))
	}
	var users []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return users, nil
		} else if err != nil {
			return nil, err
		}
		if col < len(rec) {
			if u := strings.TrimSpace(rec[col]); u != "" {
				users = append(users, u)
			}
		}
	}
}
