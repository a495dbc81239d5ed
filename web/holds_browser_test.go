package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/allot-project/allot/demo"
)

// TestBrowserHoldsAndOffboard walks the data pages with the keyboard's
// forms: a hold placed on the Holds page and released after its
// confirmation, then a user offboarded from the pane after the preview,
// in French.
func TestBrowserHoldsAndOffboard(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	signInTab(t, ctx, f, demo.AdminUPN)
	adele := "adele@" + demo.Domain
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/holds?lang=en"),
		chromedp.WaitVisible(chromedp.ID("hold-user")),
		chromedp.SendKeys(chromedp.ID("hold-user"), adele),
		chromedp.SendKeys(chromedp.ID("hold-name"), "Case 12"),
		chromedp.Click(chromedp.CSS(`form[action="/holds"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role=status]`)),
	)
	wantText(t, ctx, "The hold was placed.", "Case 12")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`form[action$="/release"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("release-title")),
		chromedp.Click(chromedp.CSS(`section.note button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role=status]`)),
	)
	wantText(t, ctx, "The hold was released.", "No hold.")
	id := f.userID(t, adele)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/users/"+id+"?lang=fr"),
		chromedp.WaitVisible(chromedp.ID("data-mailbox")),
		chromedp.Click(chromedp.CSS(`a[href="/users/`+id+`/offboard"]`)),
		chromedp.WaitVisible(chromedp.ID("offboard-successor")),
		chromedp.Click(chromedp.CSS(`button[value=preview]`)),
		chromedp.WaitVisible(chromedp.ID("preview-title")),
	)
	wantText(t, ctx, "Ce que fera le départ de Adele Vance", "Bloquer la connexion.")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`button[value=run]`)),
		chromedp.WaitVisible(chromedp.ID("done-title")),
	)
	wantText(t, ctx, "Le départ de Adele Vance a été effectué.", "Connexion bloquée.")
	if f.holds(t, adele, demo.SKUBusinessPremium) {
		t.Error("Adele still holds Business Premium after offboarding")
	}
}
