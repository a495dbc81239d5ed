package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot/demo"
)

// TestPolicySelfService lists, sets and shows a product's self-service
// policy, with a dry run and refusals.
func TestPolicySelfService(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"list: denied by default", nil, 0, `(?m)^Office 365 E3\s+ENTERPRISEPACK\s+denied$`},
		{"dry run", []string{"ENTERPRISEPACK", "trials", "--dry-run"}, 0, `^allot: would set the self-service policy of Office 365 E3 to trials\n$`},
		{"still denied", []string{"enterprisepack"}, 0, `^PRODUCT\s+SKU\s+SELF-SERVICE\nOffice 365 E3\s+ENTERPRISEPACK\s+denied\n$`},
		{"set", []string{"ENTERPRISEPACK", "trials"}, 0, `^allot: set the self-service policy of Office 365 E3 to trials\n$`},
		{"shown", []string{"ENTERPRISEPACK"}, 0, `(?m)^Office 365 E3\s+ENTERPRISEPACK\s+trials$`},
		{"bad policy", []string{"ENTERPRISEPACK", "sometimes"}, 2, `^allot: policy self-service: the policy is allowed, trials or denied, not "sometimes"\n$`},
		{"unknown product", []string{"NOPE", "allowed"}, 1, `^allot: Unknown product "NOPE": give a skuId or skuPartNumber of the catalog.\n$`},
	}
	for _, tt := range tests {
		got := s.run(t, append([]string{"policy", "self-service"}, tt.args...)...)
		text := got.stdout
		if tt.code != 0 {
			text = got.stderr
		}
		if got.code != tt.code || !regexp.MustCompile(tt.out).MatchString(text) {
			t.Errorf("%s: allot policy self-service %s: exit %d, want %d; output does not match %s:\n%s%s", tt.name, strings.Join(tt.args, " "), got.code, tt.code, tt.out, got.stdout, got.stderr)
		}
	}
}

// TestSubscriptionsBuySelfService has an ordinary user of the demo buy a
// trial for themselves, refused until the policy allows trials; its seats
// are counted apart from those administrators assign.
func TestSubscriptionsBuySelfService(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "allot.db")
	s := startServer(t, "--db", path)
	user := demoUPNs(func(u demo.User) bool {
		return len(u.Roles) == 0 && !u.Blocked && u.UsageLocation != "" && len(u.Licenses) == 0
	})[0]
	tok := runAllot(t, "token", "create", "--db", path, "--user", user, "--expires", "1h")
	if tok.code != 0 {
		t.Fatalf("token create: %+v", tok)
	}
	env := map[string]string{envURL: s.url, envToken: strings.TrimSpace(tok.stdout)}
	buy := []string{"subscriptions", "buy", "STANDARDPACK", "2", "--trial", "--self-service"}
	if r := runEnv(t, env, "", buy...); r.code != 1 || !strings.Contains(r.stderr, "Users may not buy Office 365 E1 themselves in this organization") {
		t.Errorf("buy before the policy allows it: %+v", r)
	}
	s.mustRun(t, "policy", "self-service", "STANDARDPACK", "trials")
	if r := runEnv(t, env, "", "subscriptions", "buy", "STANDARDPACK", "2", "--self-service"); r.code != 1 || !strings.Contains(r.stderr, "Only trials of Office 365 E1") {
		t.Errorf("a paid purchase under trials only: %+v", r)
	}
	if r := runEnv(t, env, "", buy...); r.code != 0 || !regexp.MustCompile(`^allot: bought 2 licenses of Office 365 E1 \(P1M trial until`).MatchString(r.stdout) {
		t.Fatalf("buy a trial: %+v", r)
	}
	if re := selfServiceRow("Office 365 E1", "STANDARDPACK", "2", "0", "0", "0/2"); !re.MatchString(s.mustRun(t, "skus")) {
		t.Errorf("skus does not match %s:\n%s", re, s.mustRun(t, "skus"))
	}
}
