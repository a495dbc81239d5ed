package main

import (
	"regexp"
	"strings"
	"testing"
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
