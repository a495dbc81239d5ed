package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/graph"
)

// TestSubscriptionsBuyAddRemove buys a product through the CLI, assigns a
// seat at once, and adds and removes licenses, with dry runs and refusals.
func TestSubscriptionsBuyAddRemove(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	users := demoUPNs(func(u demo.User) bool { return len(u.Licenses) == 0 && u.UsageLocation != "" && !u.Blocked })
	if len(users) == 0 {
		t.Fatal("the demo has no unlicensed user with a usage location")
	}
	out := s.mustRun(t, "subscriptions", "buy", "standardpack", "2", "--term", "P1Y", "--dry-run")
	if !regexp.MustCompile(`^allot: would have bought 2 licenses of Office 365 E1 \(P1Y until \d{4}-\d\d-\d\d, subscription \S+\)\n$`).MatchString(out) {
		t.Errorf("buy --dry-run: %q", out)
	}
	if strings.Contains(s.mustRun(t, "skus"), "Office 365 E1") {
		t.Fatal("a dry run bought Office 365 E1")
	}
	var bought graph.SubscriptionInfo
	must(t, json.Unmarshal([]byte(s.mustRun(t, "subscriptions", "buy", "STANDARDPACK", "2", "--term", "P1Y", "-o", "json")), &bought))
	if bought.Quantity != 2 || bought.TermDuration != "P1Y" || bought.OfferName != "Office 365 E1" || !bought.AutoRenewEnabled {
		t.Fatalf("buy -o json: %+v", bought)
	}
	s.mustRun(t, "license", "assign", "--sku", "STANDARDPACK", "--user", users[0])
	if !skuRow("Office 365 E1", "STANDARDPACK", "2", "1", "1").MatchString(s.mustRun(t, "skus")) {
		t.Errorf("skus after buying and assigning:\n%s", s.mustRun(t, "skus"))
	}

	tests := []struct {
		name string
		args []string
		want result
	}{
		{"remove below assigned", []string{"remove", bought.ID, "2"}, result{1, "",
			"allot: 1 licenses of Office 365 E1 are assigned, more than the 0 that would remain: unassign 1 licenses of Office 365 E1 first.\n"}},
		{"dry-run remove", []string{"remove", bought.ID, "1", "--dry-run"}, result{0,
			"allot: would have removed 1 licenses of Office 365 E1 from subscription " + bought.ID + ": 1 licenses\n", ""}},
		{"remove more than bought", []string{"remove", bought.ID, "3"}, result{1, "",
			"allot: subscription " + bought.ID + " of Office 365 E1 has 2 licenses: cannot remove 3\n"}},
		{"add", []string{"add", bought.ID, "3"}, result{0, "allot: added 3 licenses of Office 365 E1 to subscription " + bought.ID + ": 5 licenses\n", ""}},
		{"remove", []string{"remove", bought.ID, "4"}, result{0, "allot: removed 4 licenses of Office 365 E1 from subscription " + bought.ID + ": 1 licenses\n", ""}},
		{"zero licenses", []string{"add", bought.ID, "0"}, result{2, "", "allot: subscriptions add: N must be a whole number of licenses, at least 1, not \"0\"\n"}},
		{"bad term", []string{"buy", "STANDARDPACK", "1", "--term", "P2Y"}, result{2, "", "allot: subscriptions buy: --term must be P1M or P1Y, not \"P2Y\"\n"}},
		{"unknown product", []string{"buy", "NOPE", "1"}, result{1, "", "allot: Unknown product \"NOPE\": give a skuId or skuPartNumber of the catalog.\n"}},
		{"unknown subscription", []string{"show", "00000000-0000-4000-8000-000000000000"}, result{1, "",
			"allot: Resource '00000000-0000-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.\n"}},
		{"no N", []string{"add", bought.ID}, result{2, "", "allot: subscriptions add takes ID and N, got 1 arguments (run 'allot subscriptions -h' for usage)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.run(t, append([]string{"subscriptions"}, tt.args...)...); got != tt.want {
				t.Errorf("allot subscriptions %s (-want +got):\n-%+v\n+%+v", strings.Join(tt.args, " "), tt.want, got)
			}
		})
	}
	show := s.mustRun(t, "subscriptions", "show", bought.ID)
	for _, re := range []string{`(?m)^PRODUCT\s+Office 365 E1$`, `(?m)^LICENSES\s+1$`, `(?m)^TERM\s+P1Y$`, `(?m)^AUTO-RENEW\s+yes$`,
		`(?m)^CANCEL UNTIL\s+\d{4}-\d\d-\d\d$`, `(?m)^STATUS\s+Enabled \(active\)$`} {
		if !regexp.MustCompile(re).MatchString(show) {
			t.Errorf("show does not match %s:\n%s", re, show)
		}
	}
	if list := s.mustRun(t, "subscriptions", "list"); !regexp.MustCompile(`(?m)^` + bought.ID + `\s+Office 365 E1\s+Enabled\s+1\s+no\s`).MatchString(list) {
		t.Errorf("list:\n%s", list)
	}
}
