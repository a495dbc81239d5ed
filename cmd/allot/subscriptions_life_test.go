package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/graph"
)

// TestSubscriptionsCancelRenew cancels a new subscription within its
// window, turns auto-renew off and on, and extends and converts the demo's
// trial, with dry runs and refusals that exit 1 and say what to do.
func TestSubscriptionsCancelRenew(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var bought graph.SubscriptionInfo
	must(t, json.Unmarshal([]byte(s.mustRun(t, "subscriptions", "buy", "STANDARDPACK", "2", "-o", "json")), &bought))
	var trial string
	var subs []graph.SubscriptionInfo
	must(t, json.Unmarshal([]byte(s.mustRun(t, "subscriptions", "list", "-o", "json")), &subs))
	for _, sub := range subs {
		if sub.IsTrial {
			trial = sub.ID
		}
	}
	if trial == "" {
		t.Fatal("the demo has no trial")
	}
	id := bought.ID
	what := "subscription " + id + " of Office 365 E1"
	tests := []struct {
		name string
		args []string
		code int
		out  string // a pattern of stdout, or of stderr when code is not 0
	}{
		{"dry-run cancel", []string{"cancel", id, "--dry-run"}, 0, `^allot: would cancel ` + what + `: its 2 licenses left the product's seats\n$`},
		{"auto-renew off", []string{"autorenew", id, "off"}, 0, `^allot: turned auto-renew off for ` + what + `: it ends with its term on \d{4}-\d\d-\d\d\n$`},
		{"auto-renew on again", []string{"autorenew", id, "on"}, 0, `^allot: turned auto-renew on for ` + what + `: it renews on \d{4}-\d\d-\d\d\n$`},
		{"auto-renew maybe", []string{"autorenew", id, "maybe"}, 2, `^allot: subscriptions autorenew: give on or off, not "maybe"\n$`},
		{"cancel", []string{"cancel", id}, 0, `^allot: cancelled ` + what + `: its 2 licenses left the product's seats\n$`},
		{"cancel again", []string{"cancel", id}, 1, `^allot: Subscription ` + id + ` of Office 365 E1 is deleted and changes no more: buy a new one.\n$`},
		{"a trial past its window", []string{"cancel", trial}, 1, `^allot: Subscription ` + trial + ` of Office 365 E5 can no longer be cancelled: it has no cancellation window. A trial does not renew: it ends by itself on \d{4}-\d\d-\d\d.\n$`},
		{"auto-renew on for a trial", []string{"autorenew", trial, "on"}, 1, `is a trial, which does not renew: convert it to paid \(renew\) instead.\n$`},
		{"extend the trial", []string{"extend-trial", trial}, 0, `^allot: extended the trial subscription ` + trial + ` of Office 365 E5 until \d{4}-\d\d-\d\d\n$`},
		{"once only", []string{"extend-trial", trial}, 1, `was already extended: a trial is extended once.`},
		{"dry-run convert", []string{"renew", trial, "--dry-run"}, 0, `^allot: would renew subscription ` + trial + ` of Office 365 E5: active until \d{4}-\d\d-\d\d, auto-renew on\n$`},
		{"convert to paid", []string{"renew", trial}, 0, `^allot: renewed subscription ` + trial + ` of Office 365 E5: active until`},
		{"no ID", []string{"cancel"}, 2, `^allot: subscriptions cancel takes ID, got 0 arguments`},
	}
	for _, tt := range tests {
		got := s.run(t, append([]string{"subscriptions"}, tt.args...)...)
		text := got.stdout
		if tt.code != 0 {
			text = got.stderr
		}
		if got.code != tt.code || !regexp.MustCompile(tt.out).MatchString(text) {
			t.Errorf("%s: allot subscriptions %s: exit %d, want %d; output does not match %s:\n%s%s", tt.name, strings.Join(tt.args, " "), got.code, tt.code, tt.out, got.stdout, got.stderr)
		}
	}
	show := s.mustRun(t, "subscriptions", "show", trial)
	for _, re := range []string{`(?m)^TRIAL\s+no$`, `(?m)^AUTO-RENEW\s+yes$`, `(?m)^STATUS\s+Enabled \(active\)$`} {
		if !regexp.MustCompile(re).MatchString(show) {
			t.Errorf("show after converting does not match %s:\n%s", re, show)
		}
	}
}

// TestSKUsSelfServiceApart checks that "allot skus" counts the demo's
// self-service Business Basic apart: 3 bought and 1 assigned by their
// purchaser, none available to administrators.
func TestSKUsSelfServiceApart(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	out := s.mustRun(t, "skus")
	if re := selfServiceRow("Microsoft 365 Business Basic", "O365_BUSINESS_ESSENTIALS", "3", "1", "0", "1/3"); !re.MatchString(out) {
		t.Errorf("skus lacks Business Basic with 3 in total, 1 assigned, 0 available, 1/3 self-service (%s):\n%s", re, out)
	}
	if !strings.Contains(out, " SELF-SERVICE\n") {
		t.Errorf("skus has no SELF-SERVICE column:\n%s", out)
	}
}

// TestSubscriptionsTakeover takes the demo's self-service Business Basic
// over: --move-to refused without room, a dry run, then admin-managed,
// after which administrators count and assign its seats.
func TestSubscriptionsTakeover(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var subs []graph.SubscriptionInfo
	must(t, json.Unmarshal([]byte(s.mustRun(t, "subscriptions", "list", "-o", "json")), &subs))
	var ss string
	for _, sub := range subs {
		if sub.OwnerType == "User" {
			ss = sub.ID
		}
	}
	var small graph.SubscriptionInfo
	must(t, json.Unmarshal([]byte(s.mustRun(t, "subscriptions", "buy", "O365_BUSINESS_ESSENTIALS", "1", "-o", "json")), &small))
	s.mustRun(t, "license", "assign", "--sku", "O365_BUSINESS_ESSENTIALS", "--user", demoUPNs(func(u demo.User) bool { return len(u.Licenses) == 0 && u.UsageLocation != "" && !u.Blocked })[0])
	what := "subscription " + ss + " of Microsoft 365 Business Basic, bought by " + demo.PurchaserUPN
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"move without room", []string{"takeover", ss, "--move-to", small.ID}, 1,
			`^allot: Moving the 1 users of subscription ` + ss + ` needs 1 free licenses of Microsoft 365 Business Basic; administrators have 0: add licenses first.\n$`},
		{"dry run", []string{"takeover", ss, "--dry-run"}, 0, `^allot: would take over ` + what + `: administrators now manage its 3 licenses\n$`},
		{"take over", []string{"takeover", ss}, 0, `^allot: took over ` + what + `: administrators now manage its 3 licenses\n$`},
		{"twice", []string{"takeover", ss}, 1, `is already managed by administrators.\n$`},
	}
	for _, tt := range tests {
		got := s.run(t, append([]string{"subscriptions"}, tt.args...)...)
		text := got.stdout
		if tt.code != 0 {
			text = got.stderr
		}
		if got.code != tt.code || !regexp.MustCompile(tt.out).MatchString(text) {
			t.Errorf("%s: exit %d, want %d; output does not match %s:\n%s%s", tt.name, got.code, tt.code, tt.out, got.stdout, got.stderr)
		}
	}
	if re := skuRow("Microsoft 365 Business Basic", "O365_BUSINESS_ESSENTIALS", "4", "2", "2"); !re.MatchString(s.mustRun(t, "skus")) {
		t.Errorf("skus after the takeover does not match %s:\n%s", re, s.mustRun(t, "skus"))
	}
}

// TestSubscriptionsReclaim reclaims the demo's unused Office 365 E3
// licenses, a dry run first saying since when they are unused, then
// finds nothing left.
func TestSubscriptionsReclaim(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"dry run", []string{"reclaim", "ENTERPRISEPACK", "--dry-run"}, 0, `^allot: would reclaim 5 unused licenses \(unused since \d{4}-\d\d-\d\d \d\d:\d\d UTC\) of Office 365 E3, keeping the 5 assigned: subscription \S+ 10 → 5\n$`},
		{"reclaim", []string{"reclaim", "enterprisepack"}, 0, `^allot: reclaimed 5 unused licenses \(unused since \d{4}-\d\d-\d\d \d\d:\d\d UTC\) of Office 365 E3, keeping the 5 assigned: subscription \S+ 10 → 5\n$`},
		{"nothing left", []string{"reclaim", "ENTERPRISEPACK"}, 0, `^allot: Office 365 E3 has no unused licenses: all 5 are assigned\n$`},
		{"unknown product", []string{"reclaim", "NOPE"}, 1, `^allot: Unknown product "NOPE": give a skuId or skuPartNumber of the catalog.\n$`},
		{"no SKU", []string{"reclaim"}, 2, `^allot: subscriptions reclaim takes SKU, got 0 arguments`},
	}
	for _, tt := range tests {
		got := s.run(t, append([]string{"subscriptions"}, tt.args...)...)
		text := got.stdout
		if tt.code != 0 {
			text = got.stderr
		}
		if got.code != tt.code || !regexp.MustCompile(tt.out).MatchString(text) {
			t.Errorf("%s: exit %d, want %d; output does not match %s:\n%s%s", tt.name, got.code, tt.code, tt.out, got.stdout, got.stderr)
		}
	}
	if re := skuRow("Office 365 E3", "ENTERPRISEPACK", "5", "5", "0"); !re.MatchString(s.mustRun(t, "skus")) {
		t.Errorf("skus after the reclaim does not match %s:\n%s", re, s.mustRun(t, "skus"))
	}
}
