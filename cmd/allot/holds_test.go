package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestHolds unassigns a demo user's only mailbox license, then places,
// lists and releases a hold on it through the CLI, and checks what
// content search reaches at each step.
func TestHolds(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	users := demoUPNs(func(u demo.User) bool {
		return len(u.Licenses) == 1 && u.Licenses[0].SKUID == demo.SKUBusinessPremium && !u.Blocked
	})
	if len(users) == 0 {
		t.Fatal("the demo has no user holding Business Premium alone")
	}
	user := users[0]
	s.mustRun(t, "license", "unassign", "--sku", "SPB", "--user", user)
	searchRow := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(user) + `\s+(\S+)\s+(yes|no)$`)
	if m := searchRow.FindStringSubmatch(s.mustRun(t, "holds", "search")); m != nil {
		t.Errorf("an unheld mailbox in grace is searchable: %q", m[0])
	}
	placed := s.mustRun(t, "holds", "place", user, "--name", "Case 42")
	m := regexp.MustCompile(`^allot: placed hold (\S+) "Case 42" on ` + regexp.QuoteMeta(user) + `\n$`).FindStringSubmatch(placed)
	if m == nil {
		t.Fatalf("holds place: %q", placed)
	}
	id := m[1]
	if got := searchRow.FindStringSubmatch(s.mustRun(t, "holds", "search")); got == nil || got[1] != string(allot.MailboxDisconnected) || got[2] != "yes" {
		t.Errorf("holds search after the hold: %q", got)
	}
	if list := s.mustRun(t, "holds"); !regexp.MustCompile(`(?m)^` + id + `\s+` + regexp.QuoteMeta(user) + `\s+Case 42\s+\d{4}-\d\d-\d\d\s+\S+\s+-$`).MatchString(list) {
		t.Errorf("holds:\n%s", list)
	}

	tests := []struct {
		name string
		args []string
		want result
	}{
		{"release", []string{"release", id}, result{0, "allot: released hold " + id + " \"Case 42\" on " + user + "; a mailbox it alone kept is purged at the next lifecycle run\n", ""}},
		{"release again", []string{"release", id}, result{1, "", "allot: The hold " + id + " is already released.\n"}},
		{"no name", []string{"place", user}, result{2, "", "allot: holds place: --name is required, e.g. --name \"Case 42\"\n"}},
		{"no user", []string{"place", "--name", "x"}, result{2, "", "allot: holds place takes 1 arguments, got 0 (run 'allot holds -h' for usage)\n"}},
		{"file retention", []string{"file-retention"}, result{0, "30 days\n", ""}},
		{"set file retention", []string{"file-retention", "90"}, result{0, "allot: deleted users' files are kept 90 days, for users deleted from now on\n", ""}},
		{"file retention set", []string{"file-retention"}, result{0, "90 days\n", ""}},
		{"file retention too short", []string{"file-retention", "29"}, result{1, "", "allot: The file retention is 30 to 3650 days, not 29.\n"}},
		{"file retention not a number", []string{"file-retention", "a month"}, result{2, "", "allot: holds file-retention: DAYS must be a whole number of days, 30 to 3650, not \"a month\"\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.run(t, append([]string{"holds"}, tt.args...)...); got != tt.want {
				t.Errorf("allot holds %s (-want +got):\n-%+v\n+%+v", strings.Join(tt.args, " "), tt.want, got)
			}
		})
	}
	if list := s.mustRun(t, "holds", "--all"); !strings.Contains(list, id) {
		t.Errorf("holds --all lacks the released hold:\n%s", list)
	}
}
