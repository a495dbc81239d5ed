package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/cli"
)

const holdsUsage = `Usage: allot holds [list] [--all] [--output table|json]
       allot holds place UPN --name NAME
       allot holds release ID
       allot holds search [--output table|json]
       allot holds file-retention [DAYS]

Holds keep a user's mailbox: past the 30-day grace period that follows the
removal of its last mailbox license, or its user's deletion, a held mailbox
is kept as an inactive mailbox, still searchable, for as long as the hold
lasts; releasing the hold lets the purge proceed.

	list     the holds that last (--all: released ones too)
	place    place a hold named NAME (a case, a reason) on user UPN (or id)
	release  release hold ID
	search   the mailboxes content search reaches now: licensed ones and
	         held ones, never an unheld mailbox in its grace period
	file-retention
	         how many days a deleted user's files are kept (30 by default);
	         with DAYS (30 to 3650), set it for users deleted from now on

Holds need a Global Administrator's token.

The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).

Examples:

	allot holds place adele@contoso.example --name "Case 42"
	allot holds
	allot holds release 5efab4f3-54e9-4d67-9feb-a67ed9b2eabe
	allot holds search
`

// holdsCommand is one of "allot holds" subcommands.
type holdsCommand struct {
	remote *remote
	cl     *client.Client
	all    bool
	name   string
	arg    string // the UPN of place, the ID of release
	do     func(c *holdsCommand, ctx context.Context) error
}

func (c *holdsCommand) run(ctx context.Context) error { return c.do(c, ctx) }

// parseHolds runs "allot holds" and its flags as "list", and dispatches
// to the subcommands.
func (m *Main) parseHolds(args []string) (command, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != cli.DescribeArg {
		return m.parseHoldsCommand("list", 0, args, (*holdsCommand).list)
	}
	sub := func(name string, nargs int, do func(*holdsCommand, context.Context) error) cli.Subcommand[command] {
		return cli.Subcommand[command]{Name: name, Parse: func(args []string) (command, error) { return m.parseHoldsCommand(name, nargs, args, do) }}
	}
	g := &cli.Group[command]{Name: "holds", Usage: holdsUsage, Subcommands: []cli.Subcommand[command]{
		sub("list", 0, (*holdsCommand).list), sub("place", 1, (*holdsCommand).place),
		sub("release", 1, (*holdsCommand).release), sub("search", 0, (*holdsCommand).search),
		{Name: "file-retention", Parse: func(args []string) (command, error) {
			return m.parseHoldsCommand("file-retention", -1, args, (*holdsCommand).fileRetention)
		}},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// parseHoldsCommand parses "holds NAME" taking nargs arguments.
func (m *Main) parseHoldsCommand(name string, nargs int, args []string, do func(*holdsCommand, context.Context) error) (command, error) {
	fs := newFlagSet("holds " + name)
	c := &holdsCommand{remote: m.remoteFlags(fs), do: do}
	switch name {
	case "list":
		fs.BoolVar(&c.all, "all", false, "list released holds too")
	case "place":
		fs.StringVar(&c.name, "name", "", "the hold's `NAME`: a case or a reason (required)")
	}
	if err := m.parseFlags(fs, holdsUsage, args); err != nil {
		return nil, err
	}
	if nargs < 0 && fs.NArg() <= 1 { // an optional argument
		nargs = fs.NArg()
	}
	if fs.NArg() != nargs {
		return nil, &usageError{Msg: fmt.Sprintf("holds %s takes %d arguments, got %d (run 'allot holds -h' for usage)", name, nargs, fs.NArg())}
	}
	if nargs == 1 {
		c.arg = strings.TrimSpace(fs.Arg(0))
	}
	if name == "place" && strings.TrimSpace(c.name) == "" {
		return nil, &usageError{Msg: "holds place: --name is required, e.g. --name \"Case 42\""}
	}
	if err := c.remote.finish("holds " + name); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("holds " + name)
	return c, err
}

func (c *holdsCommand) list(ctx context.Context) error {
	holds, err := c.cl.Holds(ctx, c.all)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, holds)
	}
	t := newTable(out, "ID", "USER", "NAME", "PLACED", "BY", "RELEASED")
	for _, h := range holds {
		t.row(h.ID, h.UserPrincipalName, h.Name, day(&h.CreatedDateTime), orDash(h.CreatedBy), day(h.ReleasedDateTime))
	}
	return t.flush()
}

func (c *holdsCommand) place(ctx context.Context) error {
	h, err := c.cl.CreateHold(ctx, c.arg, c.name)
	if err != nil {
		return err
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, h)
	}
	_, err = fmt.Fprintf(c.remote.m.Stdout, "allot: placed hold %s %q on %s\n", h.ID, h.Name, h.UserPrincipalName)
	return err
}

func (c *holdsCommand) release(ctx context.Context) error {
	h, err := c.cl.ReleaseHold(ctx, c.arg)
	if err != nil {
		return err
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, h)
	}
	_, err = fmt.Fprintf(c.remote.m.Stdout, "allot: released hold %s %q on %s; a mailbox it alone kept is purged at the next lifecycle run\n", h.ID, h.Name, h.UserPrincipalName)
	return err
}

func (c *holdsCommand) search(ctx context.Context) error {
	ms, err := c.cl.SearchableMailboxes(ctx)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, ms)
	}
	t := newTable(out, "USER", "MAILBOX", "HELD")
	for _, m := range ms {
		held := "no"
		if m.Held {
			held = "yes"
		}
		t.row(m.UserPrincipalName, m.State, held)
	}
	return t.flush()
}

// fileRetention shows the tenant's file retention, or sets it to DAYS.
func (c *holdsCommand) fileRetention(ctx context.Context) error {
	out := c.remote.m.Stdout
	if c.arg != "" {
		days, err := strconv.Atoi(c.arg)
		if err != nil {
			return &usageError{Msg: fmt.Sprintf("holds file-retention: DAYS must be a whole number of days, 30 to 3650, not %q", c.arg)}
		}
		if err := c.cl.SetFileRetentionDays(ctx, days); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "allot: deleted users' files are kept %d days, for users deleted from now on\n", days)
		return err
	}
	days, err := c.cl.FileRetentionDays(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%d days\n", days)
	return err
}
