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

// TestProductTakeover takes over the demo's self-service Business Basic
// from Your products: a License Administrator neither sees nor may post
// it; the move to an admin subscription without room, to another
// product's subscription, and to none are refused beside the row in the
// page's language, changing nothing; making it admin-managed works, and
// doing it again is refused.
func TestProductTakeover(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	subs, err := f.db.FindSubscriptions(ctx, f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	var self, e3 *allot.Subscription
	for _, s := range subs {
		switch {
		case s.SKUID == demo.SKUBusinessBasic && s.SelfService():
			self = s
		case s.SKUID == demo.SKUOffice365E3:
			e3 = s
		}
	}
	lic := f.browser(t)
	lic.signIn("allan@" + demo.Domain)
	if pg := lic.get("/products"); pg.status != http.StatusOK || strings.Contains(pg.text(), "Take over") {
		t.Errorf("a License Administrator's Your products: %d, offers a takeover: %v", pg.status, strings.Contains(pg.text(), "Take over"))
	} else if res := lic.post("/products/"+self.ID+"/takeover", url.Values{"csrf": {pg.csrf(t)}, "action": {"adopt"}}); res.status != http.StatusForbidden {
		t.Errorf("a License Administrator's takeover: %d, want 403", res.status)
	}

	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	pg := b.get("/products")
	for _, want := range []string{"Take over", "Make it admin-managed", "buy a subscription of this product first"} {
		if !strings.Contains(pg.text(), want) {
			t.Errorf("Your products lacks %q:\n%s", want, pg.text())
		}
	}
	full := &allot.Subscription{SKUID: demo.SKUBusinessBasic, Quantity: 0, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin,
		NextLifecycleAt: self.NextLifecycleAt}
	if err := f.db.CreateSubscription(ctx, f.sysUser, full); err != nil {
		t.Fatal(err)
	}
	pg = b.get("/products")
	if !strings.Contains(pg.body, `<option value="`+full.ID+`">`) {
		t.Errorf("the admin subscription of Business Basic is not offered:\n%s", pg.body)
	}
	b.lang = "fr"
	for _, tc := range []struct{ name, moveTo, want string }{
		{"no room", full.ID, "Déplacer les 1 utilisateurs demande autant de licences libres de Microsoft 365 Business Basic ; les administrateurs en ont 0"},
		{"another product", e3.ID, "Cet abonnement est de Office 365 E3 : choisissez-en un du même produit."},
		{"none chosen", " ", "Choisissez l'abonnement qui reçoit les utilisateurs."},
	} {
		res := b.post("/products/"+self.ID+"/takeover", url.Values{"csrf": {pg.csrf(t)}, "action": {"move"}, "moveTo": {tc.moveTo}})
		if res.status != http.StatusBadRequest || !strings.Contains(res.text(), tc.want) {
			t.Errorf("%s: %d %s\nwant %q", tc.name, res.status, res.text(), tc.want)
		}
		if !strings.Contains(res.body, `id="err-`+self.ID+`"`) {
			t.Errorf("%s: the refusal is not beside its row", tc.name)
		}
	}
	if got, _ := f.db.FindSubscriptionByID(ctx, f.sysUser, self.ID); !got.SelfService() || got.Status != allot.StatusEnabled {
		t.Fatalf("refused takeovers changed the subscription: %+v", got)
	}
	b.lang = "en"
	if res := b.post("/products/"+self.ID+"/takeover", url.Values{"csrf": {pg.csrf(t)}, "action": {"adopt"}}); res.status != http.StatusSeeOther {
		t.Fatalf("adopt: %d %s", res.status, res.text())
	}
	if got, _ := f.db.FindSubscriptionByID(ctx, f.sysUser, self.ID); got.SelfService() {
		t.Errorf("after the takeover the subscription is still self-service: %+v", got)
	}
	res := b.post("/products/"+self.ID+"/takeover", url.Values{"csrf": {pg.csrf(t)}, "action": {"adopt"}})
	if want := "This subscription of Microsoft 365 Business Basic is already managed by administrators."; res.status != http.StatusBadRequest || !strings.Contains(res.text(), want) {
		t.Errorf("a second takeover: %d %s\nwant %q", res.status, res.text(), want)
	}
}

// TestProductTakeoverMove moves the users of the demo's self-service
// Business Basic to an admin subscription with room, chosen from Your
// products' list: the self-service one is cancelled, its user kept.
func TestProductTakeoverMove(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	subs, err := f.db.FindSubscriptions(ctx, f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	var self *allot.Subscription
	for _, s := range subs {
		if s.SKUID == demo.SKUBusinessBasic && s.SelfService() {
			self = s
		}
	}
	target := &allot.Subscription{SKUID: demo.SKUBusinessBasic, Quantity: 2, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, NextLifecycleAt: self.NextLifecycleAt}
	if err := f.db.CreateSubscription(ctx, f.sysUser, target); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.signIn("emily@" + demo.Domain) // a Billing Administrator
	pg := b.get("/products")
	if res := b.post("/products/"+self.ID+"/takeover", url.Values{"csrf": {pg.csrf(t)}, "action": {"move"}, "moveTo": {target.ID}}); res.status != http.StatusSeeOther {
		t.Fatalf("move: %d %s", res.status, res.text())
	}
	got, _ := f.db.FindSubscriptionByID(ctx, f.sysUser, self.ID)
	skus, err := f.db.FindSubscribedSKUs(ctx, f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	assigned := -1
	for _, sku := range skus {
		for _, p := range sku.Pools {
			if sku.SKU.ID == demo.SKUBusinessBasic && p.SubscriptionID == "" {
				assigned = p.Consumed
			}
		}
	}
	if got.Status != allot.StatusDeleted || assigned != 1 {
		t.Errorf("after the move: self-service status %s, admin licenses assigned %d; want Deleted, 1", got.Status, assigned)
	}
}
