package web

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestBrowserAdminPages walks the pages of buying, reclaiming, the
// self-service policy, roles and tokens as a Global Administrator: buy
// after the confirmation, reclaim after the preview, change a policy,
// grant a role with the picker, create a token whose secret is shown,
// import a user from a CSV file after its preview.
func TestBrowserAdminPages(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	bg := context.Background()
	ctx := tab(t)
	signInTab(t, ctx, f, demo.AdminUPN)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/products"),
		chromedp.WaitVisible(chromedp.ID("buy-form")),
		chromedp.SetValue(chromedp.ID("buy-sku"), demo.SKUExchangePlan1),
		chromedp.SetValue(chromedp.ID("buy-quantity"), "2"),
		chromedp.Click(chromedp.CSS(`#buy-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main dl.details`)),
	)
	wantText(t, ctx, "Buy 2 licenses of Exchange Online (Plan 1)?")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`main form button.primary`)),
		chromedp.WaitVisible(chromedp.ID("reclaim-form")),
	)
	if n := len(f.subscriptionsOf(t, demo.SKUExchangePlan1)); n != 2 {
		t.Errorf("Exchange subscriptions after the purchase: %d, want 2", n)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("reclaim-sku"), demo.SKUOffice365E3),
		chromedp.Click(chromedp.CSS(`#reclaim-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main table caption`)),
	)
	wantText(t, ctx, "5 licenses of Office 365 E3 are unused (5 assigned).")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`main form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`main .note`)),
	)
	wantText(t, ctx, "5 licenses of Office 365 E3 reclaimed.")

	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/products/policies"),
		chromedp.WaitVisible(chromedp.ID("pol-"+demo.SKUOffice365E5)),
		chromedp.SetValue(chromedp.ID("pol-"+demo.SKUOffice365E5), string(allot.PolicyTrials)),
	)
	submit(t, ctx, `#p-`+demo.SKUOffice365E5+` button[type=submit]`, "#pol-"+demo.SKUBusinessBasic)
	if got := f.policyOf(t, demo.SKUOffice365E5); got != allot.PolicyTrials {
		t.Errorf("Office 365 E5's policy: %q, want trials", got)
	}

	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/roles"),
		chromedp.WaitVisible(chromedp.ID("grant-user")),
		chromedp.SendKeys(chromedp.ID("grant-user"), "Chris"),
	)
	const christie = "christie@" + demo.Domain
	var opt string
	for deadline := time.Now().Add(10 * time.Second); opt != christie && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		opt, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#grant-options option") || {value: ""}).value`))
	}
	if opt != christie {
		t.Fatalf("suggestion %q, want %q", opt, christie)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("grant-user"), opt),
		chromedp.SetValue(chromedp.ID("grant-role"), string(allot.RoleGlobalReader)),
	)
	submit(t, ctx, `#grant-form button[type=submit]`, "#role-global-reader")
	wantText(t, ctx, "Global Reader (2)")
	if rs, err := f.db.FindRoles(bg, f.sysUser, f.userID(t, christie)); err != nil || !slices.Contains(rs, allot.RoleGlobalReader) {
		t.Errorf("Christie's roles: %v %v", rs, err)
	}

	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/tokens"),
		chromedp.WaitVisible(chromedp.ID("token-app")),
		chromedp.SendKeys(chromedp.ID("token-app"), "billing-sync"),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("secret")),
	)
	secret, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("secret").value`))
	if err != nil || !strings.HasPrefix(secret, "allot_") {
		t.Fatalf("secret shown %q, %v", secret, err)
	}
	if p, err := f.db.Authenticate(bg, secret); err != nil || !p.HasRole(allot.RoleLicenseChecker) {
		t.Errorf("the secret shown does not authenticate a License Checker: %+v %v", p, err)
	}

	csv := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(csv, []byte("userPrincipalName,displayName,usageLocation,accountEnabled,licenses\nzoe@"+demo.Domain+",Zoé Martin,FR,true,EXCHANGESTANDARD\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/users/import"),
		chromedp.WaitVisible(chromedp.ID("import-file")),
		chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{csv}),
		chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main .note`)),
	)
	wantText(t, ctx, "The import would create 1 users")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`main form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`main a.button.primary`)),
	)
	wantText(t, ctx, "Created 1 users")
	if !f.holds(t, "zoe@"+demo.Domain, demo.SKUExchangePlan1) {
		t.Error("the imported user lacks Exchange Online (Plan 1)")
	}
}
