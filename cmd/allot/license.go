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
Users who already hold the product with those plans count as unchanged.

` + licenseCommonUsage + `
Examples:

	allot license assign --sku SPB --user adele@contoso.example
	allot license assign --sku ENTERPRISEPACK --disable-plan YAMMER_ENTERPRISE --users-from new-hires.txt
	allot license assign --sku SPB --users-from users.csv --dry-run
`

const licenseUnassignUsage = `Usage: allot license unassign --sku PARTNUMBER|GUID [--user UPN]... [--users-from FILE|-]
                              [--dry-run] [--atomic]

Unassign takes the product back from each user given; the seats are free
at once. Users who do not hold the product count as unchanged, so running
the same command twice is safe.

` + licenseCommonUsage + `
Examples:

	allot license unassign --sku SPB --user adele@contoso.example
	allot users list --sku SPB -o json | jq -r '.[].userPrincipalName' | allot license unassign --sku SPB --users-from -
`

const licenseCommonUsage = `Users come from --user (repeat it, or separate UPNs with commas) and from
--users-from, a file ("-" for standard input) with one UPN per line, where
blank lines and lines starting with # are skipped; a CSV file whose header
has a userPrincipalName column works too.

One user is changed with Graph's assignLicense. Several users, --dry-run and
--atomic use allot's bulk endpoint: by default each user succeeds or fails
alone, 1,000 users per request, with a progress bar when standard error is
a terminal; --atomic changes all users or none. --dry-run has the server
check everything, changes nothing and prints what would happen.

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
	sku       string
	users     listFlag
	usersFrom string
	disable   listFlag
	dryRun    bool
	atomic    bool
	ref       *skuRef // the product, resolved by run
}

func (m *Main) parseLicenseChange(unassign bool, args []string) (command, error) {
	c := &licenseCommand{name: "license assign", unassign: unassign}
	usage := licenseAssignUsage
	if unassign {
		c.name, usage = "license unassign", licenseUnassignUsage
	}
	fs := newFlagSet(c.name)
	c.remote = m.remoteFlags(fs)
	fs.StringVar(&c.sku, "sku", "", "the product: its `PARTNUMBER` (e.g. SPB) or skuId GUID (required)")
	fs.Var(&c.users, "user", "a user's `UPN` (or id); repeat the flag for several users")
	fs.StringVar(&c.usersFrom, "users-from", "", "read users from `FILE`, one UPN per line or a CSV; - is standard input")
	if !unassign {
		fs.Var(&c.disable, "disable-plan", "switch off this service plan of the product: its `NAME` or GUID; may be repeated")
	}
	fs.BoolVar(&c.dryRun, "dry-run", false, "check everything and print what would happen, changing nothing")
	fs.BoolVar(&c.atomic, "atomic", false, "change every user or none: one failure refuses the whole change")
	if err := m.parseFlags(fs, usage, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("%s takes users with --user or --users-from, not as arguments; got %q (run 'allot %s -h' for usage)", c.name, fs.Arg(0), c.name)}
	case c.sku == "":
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
	ref, err := newSKUResolver(c.cl).find(ctx, c.sku)
	if err != nil {
		return err
	}
	c.ref = ref
	plans := []string{}
	for _, p := range c.disable {
		id, err := ref.plan(p)
		if err != nil {
			return err
		}
		plans = append(plans, id)
	}
	if len(users) == 1 && !c.dryRun && !c.atomic {
		return c.one(ctx, ref, plans, users[0])
	}
	return c.bulk(ctx, ref, plans, users)
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

// changeBody returns the addLicenses and removeLicenses of the change.
func (c *licenseCommand) changeBody(ref *skuRef, plans []string) (add []graph.AssignedLicense, remove []string) {
	if c.unassign {
		return []graph.AssignedLicense{}, []string{ref.ID}
	}
	return []graph.AssignedLicense{{SKUID: ref.ID, DisabledPlans: plans}}, []string{}
}

// one changes one user with Graph's assignLicense.
func (c *licenseCommand) one(ctx context.Context, ref *skuRef, plans []string, user string) error {
	add, remove := c.changeBody(ref, plans)
	body := map[string]any{"addLicenses": add, "removeLicenses": remove}
	var raw json.RawMessage
	err := c.cl.Post(ctx, c.cl.URL("/v1.0/users/"+url.PathEscape(user)+"/assignLicense", nil), body, &raw)
	m := c.remote.m
	var ge *client.Error
	switch {
	case c.unassign && errors.As(err, &ge) && notHeld(ge):
		msg := fmt.Sprintf("%s does not hold %s; nothing to do\n", user, ref.Name)
		if c.remote.json() {
			_, err = fmt.Fprint(m.Stderr, msg)
		} else {
			_, err = fmt.Fprint(m.Stdout, msg)
		}
		return err
	case errors.As(err, &ge) && (ge.Status == http.StatusBadRequest || ge.Status == http.StatusNotFound):
		return fmt.Errorf("%s: %w", user, err)
	case err != nil:
		return err
	case c.remote.json():
		return writeJSON(m.Stdout, raw)
	case c.unassign:
		_, err = fmt.Fprintf(m.Stdout, "unassigned %s from %s\n", ref.Name, user)
	default:
		_, err = fmt.Fprintf(m.Stdout, "assigned %s to %s\n", ref.Name, user)
	}
	return err
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
