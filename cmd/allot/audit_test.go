package main

import (
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot/demo"
)

// TestAudit reads a license change back from the audit log through the
// CLI, as a table, JSON and CSV, and refuses bad flags.
func TestAudit(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	user := demoUPNs(holds(demo.SKUBusinessPremium))[0]
	s.mustRun(t, "license", "unassign", "--sku", "SPB", "--user", user)

	out := s.mustRun(t, "audit", "--user", user, "--sku", "SPB", "--since", "1h")
	row := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+Change user license\s+` + regexp.QuoteMeta(demo.AdminUPN) +
		`\s+` + regexp.QuoteMeta(user) + ` \(Microsoft 365 Business Premium\)\s+disabledPlans: .*skuId: Microsoft 365 Business Premium → -`)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME ") || !row.MatchString(lines[1]) ||
		!strings.Contains(lines[2], "demo seed") {
		t.Errorf("audit: want a header, the unassignment (%s) and the seeding:\n%s", row, out)
	}

	var events []map[string]any
	if err := json.Unmarshal([]byte(s.mustRun(t, "audit", "--user", user, "-o", "json")), &events); err != nil {
		t.Fatal(err)
	}
	if len(events) < 2 || events[0]["activityDisplayName"] != "Change user license" || events[0]["operationType"] != "Unassign" {
		t.Errorf("audit -o json: want the unassignment first, then the seeding: %v", events)
	}

	recs, err := csv.NewReader(strings.NewReader(s.mustRun(t, "audit", "--limit", "3", "-o", "csv"))).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][0] != "id" || recs[1][3] != "Change user license" {
		t.Errorf("audit -o csv --limit 3: %v %q", err, recs)
	}
	if out := s.mustRun(t, "audit", "--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); out != "" {
		t.Errorf("audit since the future printed %q", out)
	}

	for _, args := range [][]string{{"audit", "--since", "yesterday"}, {"audit", "--limit", "-1"}, {"audit", "-o", "yaml"}, {"audit", "x"}} {
		if r := s.run(t, args...); r.code != 2 || !strings.Contains(r.stderr, "audit") {
			t.Errorf("allot %s: exit %d %q, want a usage error", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	s.mustRun(t, "users", "delete", user)
	if out := s.mustRun(t, "audit", "--user", user, "--limit", "1"); !strings.Contains(out, "Delete user") {
		t.Errorf("audit of a deleted user by UPN lacks its deletion:\n%s", out)
	}
	if r := s.run(t, "audit", "--user", "nobody@contoso.example"); r.code != 1 || !strings.Contains(r.stderr, "nobody@contoso.example") {
		t.Errorf("audit of an unknown user: exit %d %q", r.code, r.stderr)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"90m", now.Add(-90 * time.Minute), true},
		{"7d", now.AddDate(0, 0, -7), true},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"2026-03-01T09:30:00Z", time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), true},
		{"-1h", time.Time{}, false},
		{"soon", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSince(tt.in, now)
			if (err == nil) != tt.ok || !got.Equal(tt.want) {
				t.Errorf("parseSince(%q) (-want +got):\n- %v %v\n+ %v %v", tt.in, tt.want, tt.ok, got, err)
			}
		})
	}
}
