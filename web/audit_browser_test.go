package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestBrowserAudit reads the audit log in English and in French: a
// subscription's event names the product, with the subscription's id
// below it, and the activity in the page's language.
func TestBrowserAudit(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	f.now = f.now.Add(time.Hour)
	sub := &allot.Subscription{SKUID: skuArchiving, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, Quantity: 2}
	if err := f.db.CreateSubscription(context.Background(), f.sysUser, sub); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	signInTab(t, ctx, f, demo.AdminUPN)
	for _, tt := range []struct{ lang, want string }{
		{"en", "Add subscription · Directory test Exchange Online Archiving for Exchange Online Subscription " + sub.ID},
		{"fr", "Ajouter un abonnement · Annuaire test Archivage Exchange Online pour Exchange Online Abonnement " + sub.ID},
	} {
		do(t, ctx,
			chromedp.Navigate(f.srv.URL+"/audit?category=DirectoryManagement&lang="+tt.lang),
			chromedp.WaitVisible(chromedp.CSS(`html[lang=`+tt.lang+`] main tbody td`)),
		)
		wantText(t, ctx, tt.want)
	}
}
