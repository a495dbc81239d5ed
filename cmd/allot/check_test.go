package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot/graph"
)

func TestCheckCommand(t *testing.T) {
	s := startServer(t)
	defer s.stop(t)

	out := s.mustRun(t, "check", "--plan", "EXCHANGE_S_STANDARD", "--user", "adele@contoso.example")
	if !regexp.MustCompile(`(?m)^adele@contoso.example\s+yes\s+SPB\s+Licensed\s*$`).MatchString(out) {
		t.Errorf("licensed user:\n%s", out)
	}

	// One user may, the others may not: every answer printed, exit 1.
	r := s.run(t, "check", "--plan", "TEAMS1", "--user", "adele@contoso.example", "--user", "enrico@contoso.example",
		"--user", "irvin@contoso.example", "--user", "ghost@contoso.example")
	for _, want := range []string{`adele@contoso.example\s+yes`, `enrico@contoso.example\s+no\s+SignInBlocked`,
		`irvin@contoso.example\s+no\s+NoLicense`, `ghost@contoso.example\s+no\s+UserNotFound`} {
		if !regexp.MustCompile(`(?m)^` + want).MatchString(r.stdout) {
			t.Errorf("check output lacks %s:\n%s", want, r.stdout)
		}
	}
	if r.code != 1 || r.stderr != "" {
		t.Errorf("some not licensed: exit %d, stderr %q; want 1 and nothing", r.code, r.stderr)
	}

	// After an unassignment the next check says so at once.
	s.mustRun(t, "license", "unassign", "--sku", "SPB", "--user", "adele@contoso.example")
	var answers []graph.CheckResult
	r = s.run(t, "check", "--plan", "TEAMS1", "--user", "adele@contoso.example", "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &answers); err != nil || len(answers) != 1 || answers[0].Reason != "NoLicense" || r.code != 1 {
		t.Errorf("after unassign: exit %d %+v %v\n%s", r.code, answers, err, r.stdout)
	}

	for _, args := range [][]string{{"check", "--user", "a@contoso.example"}, {"check", "--plan", "TEAMS1"}, {"check", "--plan", "TEAMS1", "bob"}} {
		if r := s.run(t, args...); r.code != 2 || !strings.HasPrefix(r.stderr, "allot: ") {
			t.Errorf("%v: exit %d stderr %q, want a usage error", args, r.code, r.stderr)
		}
	}
}
