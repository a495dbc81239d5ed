package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/allot-project/allot/client"

	"github.com/allot-project/allot/graph"
)

// parseSubscriptionLife parses "subscriptions cancel|renew|extend-trial ID"
// and "subscriptions autorenew ID on|off".
func (m *Main) parseSubscriptionLife(verb string, args []string) (command, error) {
	want := 1
	if verb == "autorenew" {
		want = 2
	}
	return m.parseSubscriptionCommand(verb, args, want, func(c *subscriptionCommand, fs *flag.FlagSet) {
		fs.BoolVar(&c.dryRun, "dry-run", false, "say what the change would make, change nothing")
	})
}

// parseSubscriptionTakeover parses "subscriptions takeover ID [--move-to ID]".
func (m *Main) parseSubscriptionTakeover(args []string) (command, error) {
	return m.parseSubscriptionCommand("takeover", args, 1, func(c *subscriptionCommand, fs *flag.FlagSet) {
		fs.StringVar(&c.moveTo, "move-to", "", "move the users to the admin-managed subscription `ID` of the same product, then cancel")
		fs.BoolVar(&c.dryRun, "dry-run", false, "say what the takeover would make, change nothing")
	})
}

// takeOver takes over c.arg, reading first how many users its seats serve,
// which the report names.
func (c *subscriptionCommand) takeOver(ctx context.Context) (*graph.SubscriptionInfo, error) {
	before, err := c.cl.Subscription(ctx, c.arg)
	if err != nil {
		return nil, err
	}
	c.purchaser = c.userName(ctx, before.PurchasedBy)
	return c.cl.TakeOverSubscription(ctx, c.arg, graph.TakeoverRequest{MoveTo: c.moveTo, DryRun: c.dryRun})
}

// userName returns the userPrincipalName of the user id, the id when it
// cannot be read.
func (c *subscriptionCommand) userName(ctx context.Context, id string) string {
	var u struct {
		UPN string `json:"userPrincipalName"`
	}
	err := c.cl.Get(ctx, c.cl.URL("/v1.0/users/"+url.PathEscape(id), client.Query{"$select": "userPrincipalName"}), nil, &u)
	if err != nil || u.UPN == "" {
		return id
	}
	return u.UPN
}

// parseSubscriptionReclaim parses "subscriptions reclaim SKU".
func (m *Main) parseSubscriptionReclaim(args []string) (command, error) {
	return m.parseSubscriptionCommand("reclaim", args, 1, func(c *subscriptionCommand, fs *flag.FlagSet) {
		fs.BoolVar(&c.dryRun, "dry-run", false, "say which subscriptions would be reduced, change nothing")
	})
}

// reclaim stops paying for the unused licenses of the product c.arg and
// says what it did.
func (c *subscriptionCommand) reclaim(ctx context.Context) error {
	r, err := c.cl.ReclaimLicenses(ctx, graph.ReclaimRequest{SKU: c.arg, DryRun: c.dryRun})
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, r)
	}
	if len(r.Changes) == 0 {
		_, err := fmt.Fprintf(out, "allot: %s has no unused licenses: all %d are assigned\n", r.ProductName, r.Assigned)
		return err
	}
	done := "reclaimed"
	if c.dryRun {
		done = "would reclaim"
	}
	var b strings.Builder
	for i, ch := range r.Changes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "subscription %s %d → %d", ch.ID, ch.QuantityBefore, ch.Quantity)
	}
	since := ""
	if r.UnusedSince != nil {
		since = " (unused since " + r.UnusedSince.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	_, err = fmt.Fprintf(out, "allot: %s %d unused licenses%s of %s, keeping the %d assigned: %s\n", done, r.Reclaimed, since, r.ProductName, r.Assigned, b.String())
	return err
}

// parseOnOff reads autorenew's on or off.
func (c *subscriptionCommand) parseOnOff(arg string) error {
	switch arg {
	case "on", "off":
		c.on = arg == "on"
		return nil
	}
	return &usageError{Msg: fmt.Sprintf("subscriptions autorenew: give on or off, not %q", arg)}
}

// lifePatch is the change a cancel, renew, autorenew or extend-trial asks.
func (c *subscriptionCommand) lifePatch() graph.SubscriptionPatch {
	p := graph.SubscriptionPatch{DryRun: c.dryRun}
	switch c.verb {
	case "cancel":
		p.Status = ptrTo("deleted")
	case "renew":
		p.Status = ptrTo("active")
	case "autorenew":
		p.AutoRenewEnabled = &c.on
	case "extend-trial":
		p.ExtendTrial = true
	}
	return p
}

// reportLife says what a cancel, renew, autorenew or extend-trial did, or
// would do.
func (c *subscriptionCommand) reportLife(w io.Writer, s *graph.SubscriptionInfo) error {
	would := func(done, doing string) string {
		if c.dryRun {
			return "would " + doing
		}
		return done
	}
	what := fmt.Sprintf("subscription %s of %s", s.ID, s.OfferName)
	end := s.CommitmentEndDate
	if end == nil { // made before terms: its term ends at its next lifecycle step
		end = s.NextLifecycleDate
	}
	var msg string
	switch c.verb {
	case "cancel":
		msg = fmt.Sprintf("%s %s: its %d licenses left the product's seats", would("cancelled", "cancel"), what, s.Quantity)
	case "renew":
		msg = fmt.Sprintf("%s %s: active until %s, auto-renew on", would("renewed", "renew"), what, day(end))
	case "autorenew":
		if c.on {
			msg = fmt.Sprintf("%s auto-renew on for %s: it renews on %s", would("turned", "turn"), what, day(end))
		} else {
			msg = fmt.Sprintf("%s auto-renew off for %s: it ends with its term on %s", would("turned", "turn"), what, day(end))
		}
	case "extend-trial":
		msg = fmt.Sprintf("%s the trial %s until %s", would("extended", "extend"), what, day(end))
	case "takeover":
		msg = fmt.Sprintf("%s %s, bought by %s: administrators now manage its %d licenses", would("took over", "take over"), what, c.purchaser, s.Quantity)
		if c.moveTo != "" {
			msg = fmt.Sprintf("%s the users of %s, bought by %s, to subscription %s and %s it", would("moved", "move"), what, c.purchaser, c.moveTo, would("cancelled", "cancel"))
		}
	}
	_, err := fmt.Fprintf(w, "allot: %s\n", msg)
	return err
}

func ptrTo[T any](v T) *T { return &v }
