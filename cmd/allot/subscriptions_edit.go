package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
)

// subscriptionCommand is "allot subscriptions show|buy|add|remove".
type subscriptionCommand struct {
	remote *remote
	cl     *client.Client
	verb   string
	arg    string // ID, or SKU for buy
	n      int
	trial  bool
	term   string
	on     bool // autorenew on or off
	self   bool // buy --self-service
	dryRun bool

	moveTo, purchaser string // takeover's target, and who bought what it takes over
}

// parseSubscriptionCommand parses the flags common to the subcommands and
// wants args positional arguments.
func (m *Main) parseSubscriptionCommand(verb string, args []string, want int, define func(*subscriptionCommand, *flag.FlagSet)) (*subscriptionCommand, error) {
	name := "subscriptions " + verb
	fs := newFlagSet(name)
	c := &subscriptionCommand{remote: m.remoteFlags(fs), verb: verb}
	if define != nil {
		define(c, fs)
	}
	if err := m.parseFlags(fs, subscriptionsUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != want {
		what := map[int]string{1: "ID", 2: "ID and N"}[want]
		switch verb {
		case "buy":
			what = "SKU and N"
		case "autorenew":
			what = "ID and on or off"
		case "reclaim":
			what = "SKU"
		}
		return nil, &usageError{Msg: fmt.Sprintf("%s takes %s, got %d arguments (run 'allot subscriptions -h' for usage)", name, what, fs.NArg())}
	}
	c.arg = fs.Arg(0)
	if verb == "autorenew" {
		if err := c.parseOnOff(fs.Arg(1)); err != nil {
			return nil, err
		}
	} else if want == 2 {
		n, err := strconv.Atoi(fs.Arg(1))
		if err != nil || n < 1 {
			return nil, &usageError{Msg: fmt.Sprintf("%s: N must be a whole number of licenses, at least 1, not %q", name, fs.Arg(1))}
		}
		c.n = n
	}
	if err := c.remote.finish(name); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client(name)
	return c, err
}

func (m *Main) parseSubscriptionShow(args []string) (command, error) {
	return m.parseSubscriptionCommand("show", args, 1, nil)
}

func (m *Main) parseSubscriptionBuy(args []string) (command, error) {
	c, err := m.parseSubscriptionCommand("buy", args, 2, func(c *subscriptionCommand, fs *flag.FlagSet) {
		fs.BoolVar(&c.trial, "trial", false, "buy a 30-day trial")
		fs.StringVar(&c.term, "term", "P1M", "the `TERM`: P1M (a month) or P1Y (a year)")
		fs.BoolVar(&c.dryRun, "dry-run", false, "say what would be bought, buy nothing")
		fs.BoolVar(&c.self, "self-service", false, "buy for yourself, as an ordinary user, where the organization's policy allows")
	})
	if err == nil && c.term != "P1M" && c.term != "P1Y" {
		return nil, &usageError{Msg: fmt.Sprintf("subscriptions buy: --term must be P1M or P1Y, not %q", c.term)}
	}
	return c, err
}

func (m *Main) parseSubscriptionChange(verb string, args []string) (command, error) {
	return m.parseSubscriptionCommand(verb, args, 2, func(c *subscriptionCommand, fs *flag.FlagSet) {
		fs.BoolVar(&c.dryRun, "dry-run", false, "say what the change would make, change nothing")
	})
}

func (c *subscriptionCommand) run(ctx context.Context) error {
	var s *graph.SubscriptionInfo
	var err error
	switch c.verb {
	case "show":
		s, err = c.cl.Subscription(ctx, c.arg)
	case "buy":
		order := graph.SubscriptionOrder{SKU: c.arg, Quantity: c.n, TermDuration: c.term, IsTrial: c.trial, DryRun: c.dryRun}
		if c.self {
			s, err = c.cl.BuySelfService(ctx, order)
		} else {
			s, err = c.cl.BuySubscription(ctx, order)
		}
	case "cancel", "renew", "autorenew", "extend-trial":
		s, err = c.cl.UpdateSubscription(ctx, c.arg, c.lifePatch())
	case "takeover":
		s, err = c.takeOver(ctx)
	case "reclaim":
		return c.reclaim(ctx)
	default:
		s, err = c.change(ctx)
	}
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, s)
	}
	switch c.verb {
	case "show":
		return showSubscription(out, s)
	case "cancel", "renew", "autorenew", "extend-trial", "takeover":
		return c.reportLife(out, s)
	}
	return c.report(out, s)
}

// change adds or removes c.n licenses: it reads the quantity and asks for
// the new one.
func (c *subscriptionCommand) change(ctx context.Context) (*graph.SubscriptionInfo, error) {
	cur, err := c.cl.Subscription(ctx, c.arg)
	if err != nil {
		return nil, err
	}
	q := cur.Quantity + c.n
	if c.verb == "remove" {
		if c.n > cur.Quantity {
			return nil, fmt.Errorf("subscription %s of %s has %d licenses: cannot remove %d", cur.ID, cur.OfferName, cur.Quantity, c.n)
		}
		q = cur.Quantity - c.n
	}
	return c.cl.UpdateSubscription(ctx, c.arg, graph.SubscriptionPatch{Quantity: &q, DryRun: c.dryRun})
}

// report says what a buy, add or remove did, or would do.
func (c *subscriptionCommand) report(w io.Writer, s *graph.SubscriptionInfo) error {
	done := map[string]string{"buy": "bought", "add": "added", "remove": "removed"}[c.verb]
	if c.dryRun {
		done = "would have " + done
	}
	what := fmt.Sprintf("%d licenses of %s", c.n, s.OfferName)
	switch c.verb {
	case "buy":
		trial := ""
		if s.IsTrial {
			trial = " trial"
		}
		_, err := fmt.Fprintf(w, "allot: %s %s (%s%s until %s, subscription %s)\n", done, what, s.TermDuration, trial, day(s.CommitmentEndDate), s.ID)
		return err
	case "add":
		what += " to"
	default:
		what += " from"
	}
	_, err := fmt.Fprintf(w, "allot: %s %s subscription %s: %d licenses\n", done, what, s.ID, s.Quantity)
	return err
}

// showSubscription prints one subscription, a field a line.
func showSubscription(w io.Writer, s *graph.SubscriptionInfo) error {
	t := newTable(w, "FIELD", "VALUE")
	owner := "admins"
	if s.PurchasedBy != "" {
		owner = s.PurchasedBy + " (self-service)"
	}
	for _, kv := range [][2]string{
		{"ID", s.ID}, {"PRODUCT", s.OfferName}, {"SKU", s.SKUPartNumber}, {"STATUS", s.LifecycleStatus + " (" + s.Status + ")"},
		{"LICENSES", strconv.Itoa(s.Quantity)}, {"TRIAL", yesNo(s.IsTrial)}, {"TERM", orDash(s.TermDuration)},
		{"CREATED", day(&s.CreationDate)}, {"COMMITMENT END", day(s.CommitmentEndDate)},
		{"CANCEL UNTIL", day(s.CancellationAllowedUntilDate)}, {"AUTO-RENEW", yesNo(s.AutoRenewEnabled)},
		{"NEXT LIFECYCLE", day(s.NextLifecycleDate)}, {"OWNER", owner},
	} {
		t.row(kv[0], kv[1])
	}
	return t.flush()
}

func day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
