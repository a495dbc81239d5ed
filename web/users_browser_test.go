package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/allot-project/allot/demo"
)

// TestBrowserUserPaneUnassign walks the seed article's unassignment from
// one user's pane: Active users, the user, uncheck the product in
// "Licenses and apps", Save changes.
func TestBrowserUserPaneUnassign(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	signedIn(t, ctx, f, demo.AdminUPN)
	johanna := f.userID(t, "johanna@"+demo.Domain)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`header a[href="/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/users/`+johanna+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/users/`+johanna+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=sku][value="`+demo.SKUBusinessPremium+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name=sku][value="`+demo.SKUBusinessPremium+`"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/licenses"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main .ok`)),
	)
	wantText(t, ctx, "Licenses and apps saved.")
	if f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) || !f.holds(t, "johanna@"+demo.Domain, demo.SKUOffice365E3) {
		t.Error("Johanna should hold Office 365 E3 only")
	}
}

// TestBrowserUnassignAllFromSeveral selects several users on Active
// users, then "Manage product licenses" > "Unassign all products":
// previewed, saved, Done.
func TestBrowserUnassignAllFromSeveral(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	signedIn(t, ctx, f, demo.AdminUPN)
	johanna, grady := f.userID(t, "johanna@"+demo.Domain), f.userID(t, "grady@"+demo.Domain)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/users"),
		chromedp.WaitVisible(chromedp.ID("u-"+johanna)),
		chromedp.Click(chromedp.ID("u-"+johanna)),
		chromedp.Click(chromedp.ID("u-"+grady)),
		chromedp.Click(chromedp.CSS(`button[value=choose]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=mode][value=remove]`)),
		chromedp.Click(chromedp.CSS(`input[name=mode][value=remove]`)),
		chromedp.Click(chromedp.CSS(`button[value=preview]`)),
		chromedp.WaitVisible(chromedp.ID("preview-title")),
	)
	wantText(t, ctx, "2 users selected:", "Johanna Lorenz", "Grady Archie", "2 users will be changed.")
	if !f.holds(t, "grady@"+demo.Domain, demo.SKUBusinessPremium) {
		t.Fatal("the preview changed Grady's licenses")
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`button[value=run]`)),
		chromedp.WaitVisible(chromedp.CSS(`main .ok`)),
	)
	wantText(t, ctx, "2 users changed.")
	do(t, ctx, chromedp.Click(chromedp.CSS(`main a.button.primary`)), chromedp.WaitVisible(chromedp.ID("u-"+johanna)))
	for _, upn := range []string{"johanna@" + demo.Domain, "grady@" + demo.Domain} {
		if u, _ := f.db.FindUser(context.Background(), f.sysUser, upn); len(u.Licenses) != 0 {
			t.Errorf("%s still holds %v", upn, u.Licenses)
		}
	}
}

// TestBrowserPaneRefusal checks, in French, that a refused save is shown
// beside the product that caused it, and changes nothing.
func TestBrowserPaneRefusal(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	signedIn(t, ctx, f, demo.AdminUPN)
	johanna := f.userID(t, "johanna@"+demo.Domain)
	basic := `input[name=sku][value="` + demo.SKUBusinessBasic + `"]`
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/users/"+johanna+"?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(basic)),
		chromedp.Click(chromedp.CSS(`input[name=sku][value="`+demo.SKUBusinessPremium+`"]`)),
		chromedp.Click(chromedp.CSS(basic)),
		chromedp.Click(chromedp.CSS(`form[action$="/licenses"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`fieldset .error`)),
	)
	beside, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+jsString(basic)+`).closest("fieldset").querySelector(".error").textContent`))
	if err != nil || !strings.Contains(beside, "Les licences de Microsoft 365 Business Basic viennent d'un achat en libre-service") {
		t.Errorf("beside Business Basic: %q, %v", beside, err)
	}
	if !f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) || f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessBasic) {
		t.Error("a refused save changed Johanna's licenses")
	}
}

// TestBrowserUsersReader checks the Global Reader's read-only view of
// Active users and of a pane: no selection, no button that would fail,
// every checkbox disabled, no account form.
func TestBrowserUsersReader(t *testing.T) {
	t.Parallel()
	reader := "miriam@" + demo.Domain
	f := newBrowserFixture(t, reader)
	ctx := tab(t)
	signedIn(t, ctx, f, reader)
	johanna := f.userID(t, "johanna@"+demo.Domain)
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/users"), chromedp.WaitVisible(chromedp.CSS("main table")))
	wantText(t, ctx, "Johanna Lorenz", "Active users")
	for _, sel := range []string{`input[name=user]`, `button[value=choose]`, `a[href="/users/new"]`} {
		if n := countNodes(t, ctx, sel); n != 0 {
			t.Errorf("the reader's list has %d %s", n, sel)
		}
	}
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/users/"+johanna), chromedp.WaitVisible(chromedp.ID("licenses-title")))
	if n, all := countNodes(t, ctx, `input[type=checkbox]:disabled`), countNodes(t, ctx, `main input[type=checkbox]`); n == 0 || n != all {
		t.Errorf("%d of %d checkboxes disabled, want all", n, all)
	}
	for _, sel := range []string{`main button[type=submit]`, `form[action$="/edit"]`} {
		if n := countNodes(t, ctx, sel); n != 0 {
			t.Errorf("the reader's pane has %d %s", n, sel)
		}
	}
}

// TestBrowserUserPages visits Active users, a pane and "Manage product
// licenses" in both languages: no serious accessibility violation, no
// horizontal scrolling at 390 px, and with -screenshots a picture of each.
func TestBrowserUserPages(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	johanna := f.userID(t, "johanna@"+demo.Domain)
	pages := []struct {
		name, path string
		steps      []chromedp.Action[chromedp.Void]
	}{
		{"users", "/users", nil},
		{"user", "/users/" + johanna, []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(`fieldset details summary`))}},
		{"manage", "/users", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("u-" + johanna)),
			chromedp.Click(chromedp.CSS(`button[value=choose]`)), chromedp.WaitVisible(chromedp.CSS(`input[name=mode]`))}},
	}
	for _, lang := range []string{"en", "fr"} {
		for _, pg := range pages {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				ctx := tab(t) // one page at a time: the box running CI has few cores
				signedIn(t, ctx, f, demo.AdminUPN)
				do(t, ctx, chromedp.Navigate(f.srv.URL+pg.path+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS("main h1")))
				do(t, ctx, pg.steps...)
				checkAxe(t, ctx, string(axe))
				if *screenshots {
					shoot(t, ctx, filepath.Join("..", "docs", "screenshots", pg.name+"-"+lang+".png"))
				}
				do(t, ctx, chromedp.EmulateViewport(390, 844))
				if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
					wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > 390 && !e.closest(".table-wrap")).map(e => e.tagName + "." + e.className + "#" + e.id)`))
					t.Errorf("at 390 px the page is %d px wide: %v", w, wide)
				}
			})
		}
	}
}

// signedIn signs upn in and waits for the menu, which only a signed-in
// page has: signInTab's wait for an h1 is met by the sign-in page itself,
// so a navigation right after it could abort the sign-in's.
func signedIn(t *testing.T, ctx context.Context, f *fixture, upn string) {
	t.Helper()
	signInTab(t, ctx, f, upn)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("header nav")))
}
