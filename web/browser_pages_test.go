package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestBrowserPages visits every page in both languages at 1280 and 390
// pixels: the language switch, no horizontal scrolling of the page at
// 390, no serious accessibility violation (axe-core), and with
// -screenshots a picture of each.
func TestBrowserPages(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN, demo.PurchaserUPN)
	f.srv.Close()
	makeHistory(t, f) // before any request: the server starts again after
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		name, upn, path string
		steps           []chromedp.Action[chromedp.Void] // after the page opened
	}{
		{"signin", "", "/signin", nil},
		{"licenses", demo.AdminUPN, "/licenses", nil},
		{"product", demo.AdminUPN, "/licenses/" + demo.SKUBusinessPremium, nil},
		{"products", demo.AdminUPN, "/products", nil},
		{"my-licenses", demo.PurchaserUPN, "/my", nil},
		{"policies", demo.AdminUPN, "/products/policies", nil},
		{"roles", demo.AdminUPN, "/roles", nil},
		{"tokens", demo.AdminUPN, "/tokens", nil},
		{"domains", demo.AdminUPN, "/domains", nil},
		{"users-import", demo.AdminUPN, "/users/import", nil},
		{"holds", demo.AdminUPN, "/holds", nil},
		{"audit", demo.AdminUPN, "/audit", nil},
		{"offboard", demo.AdminUPN, "/users/" + f.userID(t, "adele@"+demo.Domain) + "/offboard", nil},
		{"unassign", demo.AdminUPN, "/licenses/" + demo.SKUBusinessPremium, []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(`input[name=all]`)), chromedp.Click(chromedp.CSS(`button[value=confirm]`)),
			chromedp.WaitVisible(chromedp.ID("impact-title"))}},
	}
	for _, lang := range []string{"en", "fr"} {
		for _, pg := range pages {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				t.Parallel()
				ctx := tab(t)
				if pg.upn != "" {
					signInTab(t, ctx, f, pg.upn)
				}
				do(t, ctx, chromedp.Navigate(f.srv.URL+pg.path+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS("main h1")))
				do(t, ctx, pg.steps...)
				if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
					t.Errorf("html lang = %q, want %q", got, lang)
				}
				checkAxe(t, ctx, string(axe))
				if *screenshots {
					shoot(t, ctx, filepath.Join("..", "docs", "screenshots", pg.name+"-"+lang+".png"))
				}
				do(t, ctx, chromedp.EmulateViewport(390, 844))
				if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
					t.Errorf("at 390 px the page is %d px wide", w)
				}
			})
		}
	}
}

// checkAxe runs axe-core on the page and fails the test on a serious or
// critical violation.
func checkAxe(t *testing.T, ctx context.Context, axe string) {
	t.Helper()
	type violation struct {
		ID, Impact, Help string
		Nodes            []struct{ HTML string }
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](axe+";\naxe.version")); err != nil || v == "" {
		t.Fatalf("loading axe-core: %q, %v", v, err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => ({html: n.html}))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
		} else {
			t.Logf("axe %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
}

// shoot writes a full-page screenshot.
func shoot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeHistory moves the demo tenant's clock on by 80 days, changing
// licenses and a quantity on the way, so the charts have a history;
// Business Premium ends as seeded (13, 11 assigned).
func makeHistory(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	e3 := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: demo.SKUOffice365E3}}}
	spb := allot.LicenseChange{Remove: []string{demo.SKUBusinessPremium}}
	var e3Sub string
	subs, err := f.db.FindSubscriptions(ctx, f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if s.SKUID == demo.SKUOffice365E3 {
			e3Sub = s.ID
		}
	}
	twelve := 12
	for _, step := range []struct {
		days int
		do   func() error
	}{
		{10, func() error { _, err := f.db.AssignLicenses(ctx, f.sysUser, "christie@"+demo.Domain, e3); return err }},
		{10, func() error { _, err := f.db.AssignLicenses(ctx, f.sysUser, "debra@"+demo.Domain, e3); return err }},
		{10, func() error { _, err := f.db.AssignLicenses(ctx, f.sysUser, "lynne@"+demo.Domain, e3); return err }},
		{5, func() error {
			_, err := f.db.UpdateSubscription(ctx, f.sysUser, e3Sub, allot.SubscriptionUpdate{Quantity: &twelve})
			return err
		}},
		{5, func() error { _, err := f.db.AssignLicenses(ctx, f.sysUser, "chloe@"+demo.Domain, e3); return err }},
		{10, func() error { _, err := f.db.AssignLicenses(ctx, f.sysUser, "adele@"+demo.Domain, spb); return err }},
		{10, func() error {
			_, err := f.db.AssignLicenses(ctx, f.sysUser, "chloe@"+demo.Domain, allot.LicenseChange{Remove: []string{demo.SKUOffice365E3}})
			return err
		}},
		{10, func() error {
			_, err := f.db.AssignLicenses(ctx, f.sysUser, "adele@"+demo.Domain, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: demo.SKUBusinessPremium}}})
			return err
		}},
		{10, func() error { return nil }},
	} {
		f.now = f.now.Add(time.Duration(step.days) * 24 * time.Hour)
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
	}
}
