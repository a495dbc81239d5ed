package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// subscriptionsOf returns the tenant's subscriptions of skuID.
func (f *fixture) subscriptionsOf(t *testing.T, skuID string) []*allot.Subscription {
	t.Helper()
	subs, err := f.db.FindSubscriptions(context.Background(), f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	var out []*allot.Subscription
	for _, s := range subs {
		if s.SKUID == skuID {
			out = append(out, s)
		}
	}
	return out
}

// TestBuy checks Buy licenses on Your products: a refusal beside the
// form in the page's language buying nothing, the confirmation buying
// nothing, then the purchase; a Global Reader sees no form and is refused.
func TestBuy(t *testing.T) {
	f := newFixture(t)
	before := len(f.subscriptionsOf(t, demo.SKUExchangePlan1))
	b := f.browser(t)
	b.signIn("emily@" + demo.Domain)
	pg := b.get("/products")
	if !strings.Contains(pg.text(), "Buy licenses") || !strings.Contains(pg.body, `id="buy-sku"`) {
		t.Fatalf("no Buy licenses form:\n%s", pg.text())
	}
	form := func(step, qty string) url.Values {
		return url.Values{"csrf": {pg.csrf(t)}, "sku": {demo.SKUExchangePlan1}, "quantity": {qty}, "term": {"P1Y"}, "step": {step}}
	}
	for _, tc := range []struct {
		name, lang, qty, step string
		status                int
		want                  string
	}{
		{"not a number", "fr", "beaucoup", "", http.StatusBadRequest, "Saisissez un nombre de licences entre 1 et 10 000 000."},
		{"too many", "en", "10000001", "run", http.StatusBadRequest, "Enter a number of licenses between 1 and 10,000,000."},
		{"confirmation", "en", "4", "", http.StatusOK, "Buy 4 licenses of Exchange Online (Plan 1)?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.lang = tc.lang
			res := b.post("/products/buy", form(tc.step, tc.qty))
			if res.status != tc.status || !strings.Contains(res.text(), tc.want) {
				t.Errorf("status %d, want %d; want %q in:\n%s", res.status, tc.status, tc.want, res.text())
			}
			if got := len(f.subscriptionsOf(t, demo.SKUExchangePlan1)); got != before {
				t.Errorf("subscriptions: %d, want %d (nothing bought)", got, before)
			}
		})
	}
	b.lang = "en"
	res := b.post("/products/buy", form("run", "4"))
	subs := f.subscriptionsOf(t, demo.SKUExchangePlan1)
	if res.status != http.StatusSeeOther || len(subs) != before+1 {
		t.Fatalf("buy: status %d, subscriptions %d, want 303 and %d", res.status, len(subs), before+1)
	}
	if got := b.get("/products").text(); !strings.Contains(got, "Exchange Online (Plan 1) Active 4") {
		t.Errorf("the new subscription is not listed:\n%s", got)
	}

	reader := f.browser(t)
	reader.signIn("miriam@" + demo.Domain)
	rp := reader.get("/products")
	if strings.Contains(rp.body, `id="buy-form"`) {
		t.Error("a Global Reader is shown the Buy licenses form")
	}
	if res := reader.post("/products/buy", url.Values{"csrf": {rp.csrf(t)}, "sku": {demo.SKUExchangePlan1}, "quantity": {"1"}, "step": {"run"}}); res.status != http.StatusForbidden {
		t.Errorf("a Global Reader's purchase: %d, want 403", res.status)
	}
	if got := len(f.subscriptionsOf(t, demo.SKUExchangePlan1)); got != before+1 {
		t.Errorf("subscriptions after the reader's try: %d, want %d", got, before+1)
	}
}

// TestBuySelf checks the self-service purchase on My licenses: refused,
// explained, while the policy denies the product or allows trials only;
// a trial bought once allowed.
func TestBuySelf(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.signIn("christie@" + demo.Domain)
	pg := b.get("/my")
	if !strings.Contains(pg.text(), "Buy licenses for yourself") {
		t.Fatalf("no self-service purchase on My licenses:\n%s", pg.text())
	}
	buy := func(step string, trial bool) page {
		v := url.Values{"csrf": {pg.csrf(t)}, "sku": {demo.SKUOffice365E5}, "quantity": {"2"}, "term": {"P1M"}, "step": {step}}
		if trial {
			v.Set("trial", "on")
		}
		return b.post("/my/buy", v)
	}
	before := len(f.subscriptionsOf(t, demo.SKUOffice365E5))
	if res := buy("run", true); res.status != http.StatusForbidden || !strings.Contains(res.text(), "does not let users buy Office 365 E5 themselves") {
		t.Errorf("denied product: %d %s", res.status, res.text())
	}
	if _, err := f.db.SetSelfServicePolicy(ctx, f.sysUser, demo.SKUOffice365E5, allot.PolicyTrials, false); err != nil {
		t.Fatal(err)
	}
	b.lang = "fr"
	if res := buy("run", false); res.status != http.StatusForbidden || !strings.Contains(res.text(), "que des essais de Office 365 E5") {
		t.Errorf("paid under trials only: %d %s", res.status, res.text())
	}
	b.lang = "en"
	if res := buy("", true); res.status != http.StatusOK || !strings.Contains(res.text(), "Buy 2 licenses of Office 365 E5?") {
		t.Errorf("confirmation: %d %s", res.status, res.text())
	}
	if got := len(f.subscriptionsOf(t, demo.SKUOffice365E5)); got != before {
		t.Fatalf("subscriptions before the purchase: %d, want %d", got, before)
	}
	res := buy("run", true)
	subs := f.subscriptionsOf(t, demo.SKUOffice365E5)
	if res.status != http.StatusSeeOther || len(subs) != before+1 {
		t.Fatalf("trial: status %d, subscriptions %d, want 303 and %d", res.status, len(subs), before+1)
	}
	var bought *allot.Subscription
	for _, s := range subs {
		if s.SelfService() {
			bought = s
		}
	}
	if bought == nil || bought.PurchasedBy != f.userID(t, "christie@"+demo.Domain) || !bought.IsTrial {
		t.Errorf("the self-service trial is not Christie's: %+v", bought)
	}
	if got := b.get(res.header.Get("Location")).text(); !strings.Contains(got, "You bought licenses of Office 365 E5.") {
		t.Errorf("no notice after the purchase:\n%s", got)
	}
}
