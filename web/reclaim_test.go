package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot/demo"
)

// TestReclaim checks Reclaim unused licenses: the preview names how many
// and which subscription changes, and changes nothing; applying it reduces
// the subscription to what is assigned; an unknown product is refused
// beside the form in the page's language; others than Billing and Global
// Administrators are refused.
func TestReclaim(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e3 := f.subscriptionsOf(t, demo.SKUOffice365E3)[0]
	quantity := func() int {
		t.Helper()
		s, err := f.db.FindSubscriptionByID(ctx, f.sysUser, e3.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s.Quantity
	}
	b := f.browser(t)
	b.signIn("emily@" + demo.Domain)
	pg := b.get("/products")
	if !strings.Contains(pg.body, `id="reclaim-form"`) {
		t.Fatalf("no Reclaim form on Your products:\n%s", pg.text())
	}
	post := func(b *browser, csrf, sku, step string) page {
		return b.post("/products/reclaim", url.Values{"csrf": {csrf}, "sku": {sku}, "step": {step}})
	}
	for _, tc := range []struct {
		name, lang, sku, step string
		status, quantity      int
		want                  string
	}{
		{"unknown product", "fr", "no-such-product", "", http.StatusBadRequest, 10, "Votre organisation n'a aucun abonnement de ce produit à réduire."},
		{"preview", "en", demo.SKUOffice365E3, "", http.StatusOK, 10, "5 licenses of Office 365 E3 are unused (5 assigned)."},
		{"apply", "en", demo.SKUOffice365E3, "run", http.StatusOK, 5, "5 licenses of Office 365 E3 reclaimed."},
		{"nothing left", "en", demo.SKUOffice365E3, "", http.StatusOK, 5, "Nothing to reclaim"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.lang = tc.lang
			res := post(b, pg.csrf(t), tc.sku, tc.step)
			if res.status != tc.status || !strings.Contains(res.text(), tc.want) {
				t.Errorf("status %d, want %d; want %q in:\n%s", res.status, tc.status, tc.want, res.text())
			}
			if got := quantity(); got != tc.quantity {
				t.Errorf("E3 quantity %d, want %d", got, tc.quantity)
			}
		})
	}
	for _, upn := range []string{"miriam@" + demo.Domain, "allan@" + demo.Domain} {
		o := f.browser(t)
		o.signIn(upn)
		op := o.get("/products")
		if strings.Contains(op.body, `id="reclaim-form"`) {
			t.Errorf("%s is shown the Reclaim form", upn)
		}
		if res := post(o, op.csrf(t), demo.SKUExchangePlan1, "run"); res.status != http.StatusForbidden || !strings.Contains(res.text(), "You do not have permission") {
			t.Errorf("%s reclaims: %d, want 403:\n%s", upn, res.status, res.text())
		}
	}
	if ex := f.subscriptionsOf(t, demo.SKUExchangePlan1)[0]; ex.Quantity != 5 {
		t.Errorf("Exchange quantity after refused reclaims: %d, want 5", ex.Quantity)
	}
}
