package web

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// The browser tests drive Debian's Chromium headless through the seed
// article's walkthroughs, against the real store (passwords included).
// They skip only where Chromium is absent and $CI is unset; in CI they
// must run (.ci/needs-chromium makes .ci/run install it). One browser
// serves every test, each in a browser context of its own (own cookies),
// in parallel.
//
// go test ./web -run Browser -screenshots writes each page, in English
// and French, into docs/screenshots/.
var screenshots = flag.Bool("screenshots", false, "write the pages' screenshots into docs/screenshots")

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserErr    error
	browserCancel = func() {}
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	browserCancel()
	os.Exit(code)
}

// chromium returns the path of Chromium, skipping the test where it is
// absent outside CI and failing it in CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI is set but Chromium is not installed: .ci/needs-chromium should have made .ci/run install it")
	}
	t.Skip("SKIPPING BROWSER TEST: Chromium is not installed (apt-get install chromium); CI runs it")
	return ""
}

// tab returns a new tab in a browser context of its own, closed at the
// end of the test.
func tab(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		browserCancel = func() {
			chromedp.Cancel(ctx) // closes Chromium gracefully, so it removes its files in TMPDIR
			cancelCtx()
			cancelAlloc()
		}
		browserCtx, browserErr = ctx, chromedp.Do(ctx) // starts the browser
	})
	if browserErr != nil {
		t.Fatalf("starting Chromium: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute) // generous: CI runs the race detector on 2 cores
	t.Cleanup(cancelTimeout)
	return ctx
}

// newBrowserFixture is the demo tenant with the store's real password
// service, the password of the users upns set to testPassword, and large
// unassignments in steps of 3 users (with JavaScript, a progress bar).
func newBrowserFixture(t *testing.T, upns ...string) *fixture {
	t.Helper()
	return newFixture(t, func(f *fixture) {
		f.svc.Passwords = f.db
		f.chunk = 3
		for _, upn := range upns {
			if err := f.db.SetPassword(context.Background(), f.tenant.ID, upn, testPassword); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// do runs steps in the tab and fails the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// submit clicks the button sel of a form and waits until the page the
// form leads to shows want. The page the form is on is marked first and
// want is looked for only in an unmarked page: a form that leads back to
// its own page (a redirect after a save) shows want before the answer
// comes, and a test going on from there races the save or aborts it.
func submit(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.dataset.before = "submit"; true`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(`html:not([data-before]) `+want)))
}

// text returns what the page's main shows.
func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// wantText fails the test unless the page's main shows every want.
func wantText(t *testing.T, ctx context.Context, wants ...string) {
	t.Helper()
	got := text(t, ctx)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("page lacks %q:\n%s", w, got)
		}
	}
}

// signInTab signs upn in through the form, typing as a person does.
func signInTab(t *testing.T, ctx context.Context, f *fixture, upn string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), upn),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		// The menu, not a heading: the sign-in page has a heading too, and
		// navigating on before the sign-in's redirects end aborts them.
		chromedp.WaitVisible(chromedp.CSS("header nav")),
	)
}

// TestBrowserSignIn signs in with the store's passwords: a wrong
// password is refused on the form, the right one opens Licenses.
func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/licenses"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), demo.AdminUPN),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.ID("signin-error")),
	)
	wantText(t, ctx, "The username or password is incorrect.")
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS("main table")),
	)
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/licenses") {
		t.Errorf("after sign-in: %s, want /licenses", loc)
	}
	wantText(t, ctx, "Microsoft 365 Business Premium 13 11 2")
}

// TestBrowserUnassign walks the seed article: from Licenses, open a
// product, unassign it from one user, then from several, each confirmed;
// with JavaScript and without.
func TestBrowserUnassign(t *testing.T) {
	for _, js := range []bool{true, false} {
		t.Run(map[bool]string{true: "javascript", false: "no-javascript"}[js], func(t *testing.T) {
			t.Parallel()
			f := newBrowserFixture(t, demo.AdminUPN)
			ctx := tab(t)
			if !js {
				if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
					t.Fatal(err)
				}
			}
			signInTab(t, ctx, f, demo.AdminUPN)
			johanna := f.userID(t, "johanna@"+demo.Domain)
			do(t, ctx,
				chromedp.Click(chromedp.CSS(`a[href="/licenses/`+demo.SKUBusinessPremium+`"]`)),
				chromedp.WaitVisible(chromedp.ID("u-"+johanna)),
				chromedp.Click(chromedp.ID("u-"+johanna)),
				chromedp.Click(chromedp.CSS(`button[value=confirm]`)),
				chromedp.WaitVisible(chromedp.ID("run-form")),
			)
			wantText(t, ctx, "Unassign Microsoft 365 Business Premium from 1 user?", "Johanna Lorenz")
			do(t, ctx,
				chromedp.Click(chromedp.CSS(`#run-form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`main .ok`)),
			)
			wantText(t, ctx, "License unassigned from 1 user.")
			if f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) {
				t.Error("Johanna still holds Business Premium")
			}
			grady, enrico := f.userID(t, "grady@"+demo.Domain), f.userID(t, "enrico@"+demo.Domain)
			do(t, ctx,
				chromedp.Click(chromedp.CSS(`main a.button.primary`)), // Done
				chromedp.WaitVisible(chromedp.ID("u-"+grady)),
				chromedp.Click(chromedp.ID("u-"+grady)),
				chromedp.Click(chromedp.ID("u-"+enrico)),
				chromedp.Click(chromedp.CSS(`button[value=confirm]`)),
				chromedp.WaitVisible(chromedp.ID("run-form")),
				chromedp.Click(chromedp.CSS(`#run-form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`main .ok`)),
			)
			wantText(t, ctx, "Licenses unassigned from 2 users.")
			if f.holds(t, "grady@"+demo.Domain, demo.SKUBusinessPremium) || f.holds(t, "enrico@"+demo.Domain, demo.SKUBusinessPremium) {
				t.Error("Grady or Enrico still holds Business Premium")
			}
			do(t, ctx,
				chromedp.Click(chromedp.CSS(`main a.button.primary`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=all]`)),
				chromedp.Click(chromedp.CSS(`input[name=all]`)),
				chromedp.Click(chromedp.CSS(`button[value=confirm]`)),
				chromedp.WaitVisible(chromedp.ID("run-form")),
			)
			wantText(t, ctx, "Unassign Microsoft 365 Business Premium from 8 users?")
			do(t, ctx,
				chromedp.Click(chromedp.CSS(`#run-form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`main .ok`)),
			)
			wantText(t, ctx, "Licenses unassigned from 8 users.")
			if n, _ := f.db.CountUsers(context.Background(), f.sysUser, allot.UserFilter{SKUID: demo.SKUBusinessPremium}); n != 0 {
				t.Errorf("users still holding Business Premium: %d", n)
			}
		})
	}
}

// TestBrowserSelfServiceRefusal checks, in French, that unassigning a
// self-service purchase's license is refused beside the user.
func TestBrowserSelfServiceRefusal(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	signInTab(t, ctx, f, demo.AdminUPN)
	lidia := f.userID(t, demo.PurchaserUPN)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/licenses/"+demo.SKUBusinessBasic+"?lang=fr"),
		chromedp.WaitVisible(chromedp.ID("u-"+lidia)),
		chromedp.Click(chromedp.ID("u-"+lidia)),
		chromedp.Click(chromedp.CSS(`button[value=confirm]`)),
		chromedp.WaitVisible(chromedp.ID("run-form")),
		chromedp.Click(chromedp.CSS(`#run-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main .refusals`)),
	)
	wantText(t, ctx, "Lidia Holloway — Les licences de Microsoft 365 Business Basic viennent d'un achat en libre-service")
	if !f.holds(t, demo.PurchaserUPN, demo.SKUBusinessBasic) {
		t.Error("the refused unassignment changed Lidia's license")
	}
}

// TestBrowserCSRF checks that a form whose CSRF value was tampered with
// is refused with an explanation, and changes nothing.
func TestBrowserCSRF(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	signInTab(t, ctx, f, demo.AdminUPN)
	johanna := f.userID(t, "johanna@"+demo.Domain)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/licenses/"+demo.SKUBusinessPremium),
		chromedp.WaitVisible(chromedp.ID("u-"+johanna)),
		chromedp.Click(chromedp.ID("u-"+johanna)),
		chromedp.SetValue(chromedp.CSS(`form[action$="/unassign"] input[name=csrf]`), "forged"),
		chromedp.Click(chromedp.CSS(`button[value=confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error-page`)),
	)
	wantText(t, ctx, "This form has expired or did not come from this session.")
	if !f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) {
		t.Error("a tampered form changed a license")
	}
}

// TestBrowserRoles checks each role's view: what the menu offers and
// whether the buttons that change assignments are there.
func TestBrowserRoles(t *testing.T) {
	t.Parallel()
	users := []struct {
		upn           string
		menu          []string
		unassign, buy bool
	}{
		{demo.AdminUPN, []string{"Billing › Licenses", "Billing › Your products", "My licenses"}, true, true},
		{"allan@" + demo.Domain, []string{"Billing › Licenses", "My licenses"}, true, false},
		{"emily@" + demo.Domain, []string{"Billing › Your products"}, false, true},
		{"miriam@" + demo.Domain, []string{"Billing › Licenses"}, false, false},
		{demo.PurchaserUPN, []string{"My licenses"}, false, false},
	}
	var upns []string
	for _, u := range users {
		upns = append(upns, u.upn)
	}
	f := newBrowserFixture(t, upns...)
	for _, u := range users {
		t.Run(u.upn, func(t *testing.T) {
			t.Parallel()
			ctx := tab(t)
			signInTab(t, ctx, f, u.upn)
			nav, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header nav")))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range u.menu {
				if !strings.Contains(nav, m) {
					t.Errorf("menu %q lacks %q", nav, m)
				}
			}
			if u.upn == demo.PurchaserUPN {
				wantText(t, ctx, "My licenses", "Microsoft 365 Business Basic")
				return
			}
			do(t, ctx, chromedp.Navigate(f.srv.URL+"/licenses/"+demo.SKUOffice365E3), chromedp.WaitVisible(chromedp.CSS("main table")))
			if got := countNodes(t, ctx, `button[value=confirm]`) > 0; got != u.unassign {
				t.Errorf("unassign button: %v, want %v", got, u.unassign)
			}
			do(t, ctx, chromedp.Navigate(f.srv.URL+"/products"), chromedp.WaitVisible(chromedp.CSS("main table")))
			if got := countNodes(t, ctx, `input[name=quantity]`) > 0; got != u.buy {
				t.Errorf("quantity fields: %v, want %v", got, u.buy)
			}
		})
	}
}

// countNodes counts the elements matching a CSS selector.
func countNodes(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowserAssign assigns from a product's page with the picker: typing
// part of a name suggests the user, and the result names who got it and
// who was refused (no usage location).
func TestBrowserAssign(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	signInTab(t, ctx, f, demo.AdminUPN)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/licenses/"+demo.SKUOffice365E3),
		chromedp.WaitVisible(chromedp.ID("assign-users")),
		chromedp.SendKeys(chromedp.ID("assign-users"), "irvin@contoso.example, Chris"),
	)
	const want = "irvin@contoso.example, christie@contoso.example"
	var opt string
	for deadline := time.Now().Add(10 * time.Second); opt != want && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		opt, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#assign-options option") || {value: ""}).value`))
	}
	if opt != want {
		t.Fatalf("suggestion %q, want %q", opt, want)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("assign-users"), opt),
		chromedp.Click(chromedp.CSS(`form[action$="/assign"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main .ok`)),
	)
	wantText(t, ctx, "License assigned to 1 user.", "Irvin Sayers — Irvin Sayers has no usage location")
	if !f.holds(t, "christie@"+demo.Domain, demo.SKUOffice365E3) {
		t.Error("Christie does not hold Office 365 E3")
	}
}

// TestBrowserKeyboard signs in and unassigns a license with the keyboard
// alone: the sign-in field has focus, Tab moves on, Enter submits, and a
// checkbox is toggled with the space bar.
func TestBrowserKeyboard(t *testing.T) {
	t.Parallel()
	f := newBrowserFixture(t, demo.AdminUPN)
	ctx := tab(t)
	adele := f.userID(t, "adele@"+demo.Domain)
	do(t, ctx,
		chromedp.Navigate(f.srv.URL+"/licenses/"+demo.SKUBusinessPremium),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.KeyEvent(demo.AdminUPN+kb.Tab+testPassword+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("u-"+adele)),
		chromedp.Focus(chromedp.ID("u-"+adele)),
		chromedp.KeyEvent(" "),
	)
	if checked, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("u-`+adele+`").checked`)); !checked {
		t.Fatal("the space bar did not check the box")
	}
	do(t, ctx,
		chromedp.Focus(chromedp.CSS(`button[value=confirm]`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("run-form")),
		chromedp.Focus(chromedp.CSS(`#run-form button[type=submit]`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`main .ok`)),
	)
	wantText(t, ctx, "License unassigned from 1 user.")
}
