package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// policyOf returns the self-service policy of skuID.
func (f *fixture) policyOf(t *testing.T, skuID string) allot.SelfServicePolicy {
	t.Helper()
	pols, err := f.db.FindSelfServicePolicies(context.Background(), f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols {
		if p.SKUID == skuID {
			return p.Policy
		}
	}
	t.Fatalf("no policy of %s", skuID)
	return ""
}

// TestPolicies checks Self-service purchases: a Billing Administrator
// changes a product's policy, a bad one is refused beside its row in the
// page's language changing nothing; a reader sees the policies without a
// control and is refused if they post; an ordinary user cannot open it.
func TestPolicies(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("emily@" + demo.Domain)
	pg := b.get("/products/policies")
	if pg.status != http.StatusOK || !strings.Contains(pg.body, `id="pol-`+demo.SKUOffice365E5+`"`) {
		t.Fatalf("policies: %d\n%s", pg.status, pg.text())
	}
	post := func(b *browser, sku, policy string) page {
		return b.post("/products/policies", url.Values{"csrf": {pg.csrf(t)}, "sku": {sku}, "policy": {policy}})
	}
	for _, tc := range []struct {
		name, lang, sku, policy string
		status                  int
		want                    allot.SelfServicePolicy
		text                    string
	}{
		{"trials", "en", demo.SKUOffice365E5, "trials", http.StatusSeeOther, allot.PolicyTrials, ""},
		{"bad word", "fr", demo.SKUOffice365E5, "parfois", http.StatusBadRequest, allot.PolicyTrials, "Choisissez l'une des règles proposées."},
		{"unknown product", "en", "no-such-product", "allowed", http.StatusNotFound, allot.PolicyTrials, "This page does not exist."},
		{"allowed", "en", demo.SKUOffice365E5, "allowed", http.StatusSeeOther, allot.PolicyAllowed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.lang = tc.lang
			res := post(b, tc.sku, tc.policy)
			if res.status != tc.status || !strings.Contains(res.text(), tc.text) {
				t.Errorf("status %d, want %d; want %q in:\n%s", res.status, tc.status, tc.text, res.text())
			}
			if got := f.policyOf(t, demo.SKUOffice365E5); got != tc.want {
				t.Errorf("policy %q, want %q", got, tc.want)
			}
			if tc.status == http.StatusBadRequest && !regexp.MustCompile(`(?s)id="p-`+tc.sku+`".*id="perr-`+tc.sku+`"`).MatchString(res.body) {
				t.Error("the refusal is not in the product's row")
			}
		})
	}

	reader := f.browser(t)
	reader.signIn("miriam@" + demo.Domain)
	rp := reader.get("/products/policies")
	if rp.status != http.StatusOK || strings.Contains(rp.body, `name="policy"`) || !strings.Contains(rp.text(), "Office 365 E5 Subscriptions and trials") {
		t.Errorf("reader's page: %d, control shown: %v\n%s", rp.status, strings.Contains(rp.body, `name="policy"`), rp.text())
	}
	if res := reader.post("/products/policies", url.Values{"csrf": {rp.csrf(t)}, "sku": {demo.SKUOffice365E5}, "policy": {"denied"}}); res.status != http.StatusForbidden {
		t.Errorf("reader's change: %d, want 403", res.status)
	}
	if got := f.policyOf(t, demo.SKUOffice365E5); got != allot.PolicyAllowed {
		t.Errorf("policy after the reader's try: %q", got)
	}
	user := f.browser(t)
	user.signIn("christie@" + demo.Domain)
	if res := user.get("/products/policies"); res.status != http.StatusForbidden {
		t.Errorf("an ordinary user opens the policies: %d, want 403", res.status)
	}
}
