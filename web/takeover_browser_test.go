package web

import (
	"context"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/chromedp/chromedp"
)

// TestBrowserTakeover opens the takeover of the demo's self-service
// Business Basic on Your products, in French: the move to an admin
// subscription without room is refused beside the row; making it
// admin-managed works.
func TestBrowserTakeover(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	bg := context.Background()
	subs, err := f.db.FindSubscriptions(bg, f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	var self *allot.Subscription
	for _, s := range subs {
		if s.SKUID == demo.SKUBusinessBasic && s.SelfService() {
			self = s
		}
	}
	full := &allot.Subscription{SKUID: demo.SKUBusinessBasic, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, NextLifecycleAt: self.NextLifecycleAt}
	if err := f.db.CreateSubscription(bg, f.sysUser, full); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	signInTab(t, ctx, f, demo.AdminUPN)
	row := "#sub-" + self.ID
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/products?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(row+" details.takeover summary")),
		chromedp.Click(chromedp.CSS(row+" details.takeover summary")),
		chromedp.Click(chromedp.CSS(row+` form input[value=move] ~ button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("err-"+self.ID)),
	)
	wantText(t, ctx, "Déplacer les 1 utilisateurs demande autant de licences libres de Microsoft 365 Business Basic")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(row+" details.takeover summary")),
		chromedp.Click(chromedp.CSS(row+` button[value=adopt]`)),
		chromedp.WaitVisible(chromedp.ID("q-"+self.ID)), // the quantity form of an admin-managed row
	)
	if got, _ := f.db.FindSubscriptionByID(bg, f.sysUser, self.ID); got.SelfService() {
		t.Errorf("after Take over › admin-managed the subscription is still self-service: %+v", got)
	}
}
