package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/allot-project/allot/demo"
)

// TestLicenseAssignBySelfServicePurchaser has the demo's purchaser of the
// self-service Business Basic subscription, an ordinary user with a token,
// assign one of its seats with allot license assign and take it back: the
// CLI reads only what the purchaser may read.
func TestLicenseAssignBySelfServicePurchaser(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "allot.db")
	s := startServer(t, "--db", path)
	user := demoUPNs(func(u demo.User) bool {
		return len(u.Roles) == 0 && !u.Blocked && u.UsageLocation != "" && len(u.Licenses) == 0 && u.UPN() != demo.PurchaserUPN
	})[0]
	tok := runAllot(t, "token", "create", "--db", path, "--user", demo.PurchaserUPN, "--expires", "1h")
	if tok.code != 0 {
		t.Fatalf("token create: %+v", tok)
	}
	env := map[string]string{envURL: s.url, envToken: strings.TrimSpace(tok.stdout)}
	steps := []struct {
		name string
		args []string
		want result
	}{
		{"assign a seat", []string{"license", "assign", "--sku", "O365_BUSINESS_ESSENTIALS", "--user", user},
			result{0, "assigned Microsoft 365 Business Basic to " + user + "\n", ""}},
		{"take it back", []string{"license", "unassign", "--sku", "O365_BUSINESS_ESSENTIALS", "--user", user},
			result{0, "unassigned Microsoft 365 Business Basic from " + user + "\n", ""}},
		{"not held any more", []string{"license", "unassign", "--sku", "O365_BUSINESS_ESSENTIALS", "--user", user},
			result{0, user + " does not hold Microsoft 365 Business Basic: unchanged\n", ""}},
	}
	for _, st := range steps {
		if got := runEnv(t, env, "", st.args...); got != st.want {
			t.Errorf("%s: allot %s\nwant %+v\ngot  %+v", st.name, strings.Join(st.args, " "), st.want, got)
		}
	}
}
