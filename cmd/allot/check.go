package main

import (
	"context"
	"fmt"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
)

const checkUsage = `Usage: allot check --plan PLAN (--user UPN... | --users-from FILE|-) [--output table|json]

Check asks, for each user, whether they may use a service plan, as the
vendor's applications do (POST /api/check, answered from allot's memory):

	USER      the user as given
	LICENSED  yes or no
	SKU       the product granting the plan
	REASON    Licensed, NoLicense, PlanDisabled, SubscriptionSuspended,
	          SignInBlocked, UserDeleted, UserNotFound or UnknownServicePlan

The exit status is 0 when every user may use the plan, 1 when one may not
(or on an error), 2 on a usage error, so scripts can test it directly.
The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).

Examples:

	allot check --plan EXCHANGE_S_STANDARD --user adele@contoso.example
	allot check --plan TEAMS1 --users-from leavers.txt --output json
`

// checkCommand is "allot check".
type checkCommand struct {
	remote    *remote
	cl        *client.Client
	plan      string
	users     listFlag
	usersFrom string
}

func (m *Main) parseCheck(args []string) (command, error) {
	fs := newFlagSet("check")
	c := &checkCommand{remote: m.remoteFlags(fs)}
	fs.StringVar(&c.plan, "plan", "", "the service `PLAN`: its name (e.g. TEAMS1) or servicePlanId GUID (required)")
	fs.Var(&c.users, "user", "a user's `UPN` (or id); repeat the flag for several users")
	fs.StringVar(&c.usersFrom, "users-from", "", "read users from `FILE`, one UPN per line or a CSV; - is standard input")
	if err := m.parseFlags(fs, checkUsage, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("check takes users with --user or --users-from, not as arguments; got %q", fs.Arg(0))}
	case c.plan == "":
		return nil, &usageError{Msg: "check: --plan is required, e.g. --plan EXCHANGE_S_STANDARD"}
	case len(c.users) == 0 && c.usersFrom == "":
		return nil, &usageError{Msg: "check: name the users with --user UPN or --users-from FILE"}
	}
	if err := c.remote.finish("check"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("check")
	return c, err
}

func (c *checkCommand) run(ctx context.Context) error {
	users := append([]string{}, c.users...)
	if c.usersFrom != "" {
		from, err := c.remote.m.readUsersFile(c.usersFrom)
		if err != nil {
			return err
		}
		users = append(users, from...)
	}
	var answers []graph.CheckResult
	for start := 0; start < len(users); start += allot.MaxChecks {
		var checks []graph.CheckRequest
		for _, u := range users[start:min(start+allot.MaxChecks, len(users))] {
			checks = append(checks, graph.CheckRequest{User: u, ServicePlan: c.plan})
		}
		res, err := c.cl.Check(ctx, checks)
		if err != nil {
			return err
		}
		answers = append(answers, res...)
	}
	if err := c.print(ctx, answers); err != nil {
		return err
	}
	for _, a := range answers {
		if !a.Licensed {
			return errReported
		}
	}
	return nil
}

func (c *checkCommand) print(ctx context.Context, answers []graph.CheckResult) error {
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, answers)
	}
	skus := newSKUResolver(c.cl)
	t := newTable(out, "USER", "LICENSED", "SKU", "REASON")
	for _, a := range answers {
		yes, sku := "no", ""
		if a.Licensed {
			yes, sku = "yes", skus.partNumber(ctx, a.SKUID)
		}
		t.row(a.User, yes, sku, a.Reason)
	}
	return t.flush()
}
