package main

import (
	"flag"
	"fmt"
	"io"

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
	var msg string
	switch c.verb {
	case "cancel":
		msg = fmt.Sprintf("%s %s: its %d licenses left the product's seats", would("cancelled", "cancel"), what, s.Quantity)
	case "renew":
		msg = fmt.Sprintf("%s %s: active until %s, auto-renew on", would("renewed", "renew"), what, day(s.CommitmentEndDate))
	case "autorenew":
		if c.on {
			msg = fmt.Sprintf("%s auto-renew on for %s: it renews on %s", would("turned", "turn"), what, day(s.CommitmentEndDate))
		} else {
			msg = fmt.Sprintf("%s auto-renew off for %s: it ends with its term on %s", would("turned", "turn"), what, day(s.CommitmentEndDate))
		}
	case "extend-trial":
		msg = fmt.Sprintf("%s the trial %s until %s", would("extended", "extend"), what, day(s.CommitmentEndDate))
	}
	_, err := fmt.Fprintf(w, "allot: %s\n", msg)
	return err
}

func ptrTo[T any](v T) *T { return &v }
