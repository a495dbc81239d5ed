package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/graph"
)

// TestUnassignDryRunData previews an unassign and a deletion through the
// CLI: the data lines say when the mailbox would be purged, nothing
// changes, and the user's data state is still active afterwards.
func TestUnassignDryRunData(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	users := demoUPNs(func(u demo.User) bool {
		return len(u.Licenses) == 1 && u.Licenses[0].SKUID == demo.SKUBusinessPremium && !u.Blocked
	})
	if len(users) < 2 {
		t.Fatal("the demo has fewer than two users holding Business Premium alone")
	}
	out := s.mustRun(t, "license", "unassign", "--sku", "SPB", "--dry-run", "--user", users[0], "--user", users[1])
	for _, re := range []string{
		`(?m)^` + regexp.QuoteMeta(users[0]) + `\s+would unassign$`,
		`(?m)^USER\s+DATA$`,
		`(?m)^` + regexp.QuoteMeta(users[1]) + `\s+mailbox disconnected now, purged on \d{4}-\d\d-\d\d unless a license with a mailbox comes back; files kept; not searchable from now$`,
		`(?m)^data: 2 users: 2 mailboxes disconnected \(0 held\), first purge on \d{4}-\d\d-\d\d; 2 mailboxes no longer searchable$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("unassign --dry-run does not match %s:\n%s", re, out)
		}
	}
	var doc graph.BulkResponse
	js := s.mustRun(t, "license", "unassign", "--sku", "SPB", "--dry-run", "--user", users[0], "--user", users[1], "-o", "json")
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("unassign --dry-run -o json: %v\n%s", err, js)
	}
	if doc.DataSummary == nil || doc.DataSummary.MailboxesDisconnected != 2 || len(doc.Results) != 2 || doc.Results[1].Data == nil || doc.Results[1].Data.After.Mailbox != "disconnected" {
		t.Errorf("unassign --dry-run -o json does not carry the data impacts and their summary:\n%s", js)
	}
	data := s.mustRun(t, "users", "data", users[0])
	if !regexp.MustCompile(`(?m)^Mailbox:\s+active$`).MatchString(data) || !regexp.MustCompile(`(?m)^Files:\s+active$`).MatchString(data) {
		t.Errorf("users data after a dry run:\n%s", data)
	}
	del := s.mustRun(t, "users", "delete", "--dry-run", users[0])
	want := `^dry run, nothing changed: deleting ` + regexp.QuoteMeta(users[0]) + ` would free its licenses; its data: mailbox disconnected now, purged on \d{4}-\d\d-\d\d unless a license with a mailbox comes back; files deleted on \d{4}-\d\d-\d\d unless the user is restored; not searchable from now\n$`
	if !regexp.MustCompile(want).MatchString(del) {
		t.Errorf("users delete --dry-run: %q", del)
	}
	if show := s.mustRun(t, "users", "show", users[0]); !strings.Contains(show, "SPB") {
		t.Errorf("a dry run deleted or unlicensed the user:\n%s", show)
	}
}

// TestUsersOffboard offboards a demo user with a hold, after a dry run
// that changes nothing.
func TestUsersOffboard(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	users := demoUPNs(func(u demo.User) bool {
		return len(u.Licenses) == 1 && u.Licenses[0].SKUID == demo.SKUBusinessPremium && !u.Blocked
	})
	user := users[len(users)-1]
	want := `^allot: %s ` + regexp.QuoteMeta(user) + `: hold "Offboarding of ` + regexp.QuoteMeta(user) + `" placed; 1 licenses removed; sign-in blocked; \d+ tokens revoked; its data: mailbox disconnected now, kept as an inactive mailbox from \d{4}-\d\d-\d\d while held; files kept; still searchable\n$`
	dry := s.mustRun(t, "users", "offboard", "--hold", "--dry-run", user)
	if !regexp.MustCompile(strings.Replace(want, "%s", "dry run, nothing changed: would offboard", 1)).MatchString(dry) {
		t.Errorf("offboard --dry-run: %q", dry)
	}
	if show := s.mustRun(t, "users", "show", user); !strings.Contains(show, "SPB") {
		t.Fatalf("the dry run removed the license:\n%s", show)
	}
	done := s.mustRun(t, "users", "offboard", "--hold", user)
	if !regexp.MustCompile(strings.Replace(want, "%s", "offboarded", 1)).MatchString(done) {
		t.Errorf("offboard: %q", done)
	}
	if show := s.mustRun(t, "users", "show", user); strings.Contains(show, "SPB") || !regexp.MustCompile(`(?m)^Sign-in:\s+blocked`).MatchString(show) {
		t.Errorf("after offboarding:\n%s", show)
	}
}
