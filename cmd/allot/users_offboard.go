package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
)

const usersOffboardUsage = `Usage: allot users offboard [--hold] [--hold-name NAME] [--successor UPN] [--dry-run] [--output table|json] UPN

Offboard handles a former employee in one operation, all or nothing: with
--hold it first places a hold on the user's mailbox (kept as an inactive
mailbox past its 30-day grace period while held), then removes the user's
licenses (or, with --successor, moves them to that user), blocks sign-in
and revokes every token and session. --dry-run says what would happen,
the mailbox's purge date included, changing nothing.

Offboarding needs a Global or User Administrator's token (--hold: a
Global Administrator's).

Example:

	allot users offboard adele@contoso.example --hold --successor alex@contoso.example --dry-run
`

// offboardCommand is "allot users offboard".
type offboardCommand struct {
	remote *remote
	cl     *client.Client
	user   string
	req    graph.OffboardRequest
}

func (m *Main) parseUsersOffboard(args []string) (command, error) {
	fs := newFlagSet("users offboard")
	c := &offboardCommand{remote: m.remoteFlags(fs)}
	fs.BoolVar(&c.req.Hold, "hold", false, "place a hold on the user's mailbox first")
	fs.StringVar(&c.req.HoldName, "hold-name", "", "the hold's `NAME` (default: Offboarding of UPN)")
	fs.StringVar(&c.req.Successor, "successor", "", "move the licenses to this user (`UPN` or id) instead of removing them")
	fs.BoolVar(&c.req.DryRun, "dry-run", false, "say what would happen, changing nothing")
	if err := m.parseFlags(fs, usersOffboardUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("users offboard takes one UPN after the flags, got %d arguments (run 'allot users offboard -h' for usage)", fs.NArg())}
	}
	c.user = strings.TrimSpace(fs.Arg(0))
	if err := c.remote.finish("users offboard"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("users offboard")
	return c, err
}

func (c *offboardCommand) run(ctx context.Context) error {
	res, err := c.cl.Offboard(ctx, c.user, c.req)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, res)
	}
	verb, lics := "offboarded", "licenses removed"
	if res.DryRun {
		verb = "dry run, nothing changed: would offboard"
	}
	if res.Successor != "" {
		lics = "licenses moved to " + res.Successor
	}
	hold := ""
	if res.Hold != nil {
		hold = fmt.Sprintf("hold %q placed; ", res.Hold.Name)
	}
	im := impactOf(&res.Impact)
	_, err = fmt.Fprintf(out, "allot: %s %s: %s%d %s; sign-in blocked; %d tokens revoked; its data: %s\n",
		verb, res.UserPrincipalName, hold, len(res.Licenses), lics, res.TokensRevoked, im.String())
	return err
}
