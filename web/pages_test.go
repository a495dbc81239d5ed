package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestLicensesPage checks the Licenses view: totals aggregated over
// subscriptions (Business Premium 13 = 5 + 8), assigned and available,
// self-service seats apart with their purchaser, in both languages.
func TestLicensesPage(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	res := b.get("/licenses")
	if res.status != http.StatusOK {
		t.Fatalf("GET /licenses: %d", res.status)
	}
	for _, want := range []string{
		"Microsoft 365 Business Premium 13 11 2",
		"Microsoft 365 Business Basic including 1 of 3 self-service licenses assigned, bought by Lidia Holloway 3 1 0", // the 2 free self-service seats are Lidia's, not an administrator's
	} {
		if !strings.Contains(res.text(), want) {
			t.Errorf("Licenses page lacks %q:\n%s", want, res.text())
		}
	}
	b.lang = "fr-FR,fr;q=0.9,en;q=0.5"
	b.c.Jar.SetCookies(mustURL(t, f.srv.URL), []*http.Cookie{{Name: langCookie, Value: "", MaxAge: -1}})
	fr := b.get("/licenses").text()
	for _, want := range []string{"Facturation › Licences", "Licences affectées", "dont 1 affectées sur 3 licences en libre-service, achetées par Lidia Holloway"} {
		if !strings.Contains(fr, want) {
			t.Errorf("French Licenses page lacks %q:\n%s", want, fr)
		}
	}
}

// TestLanguageSwitch checks that Accept-Language chooses the language
// until the switch is used, which is remembered.
func TestLanguageSwitch(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.lang = "fr"
	if got := b.get("/signin").text(); !strings.Contains(got, "Mot de passe") {
		t.Errorf("French sign-in page lacks «Mot de passe»: %s", got)
	}
	if got := b.get("/signin?lang=en").text(); !strings.Contains(got, "Password") {
		t.Errorf("after the switch: %s, want English", got)
	}
	if got := b.get("/signin").text(); !strings.Contains(got, "Password") || !strings.Contains(got, `Français`) {
		t.Errorf("the switch was not remembered: %s", got)
	}
}

// TestUnassign walks the seed article's unassignment from the Licenses
// page: one user, then several (every user matching a search), each
// confirmed first; the result counts what was done.
func TestUnassign(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	pg := b.get("/licenses/" + demo.SKUBusinessPremium)
	if !strings.Contains(pg.text(), "Johanna Lorenz") || !strings.Contains(pg.text(), "Unassign licenses") {
		t.Fatalf("product page lacks Johanna Lorenz or the button:\n%s", pg.text())
	}
	johanna := f.userID(t, "johanna@"+demo.Domain)
	form := url.Values{"csrf": {pg.csrf(t)}, "user": {johanna}, "step": {"confirm"}}
	confirm := b.post("/licenses/"+demo.SKUBusinessPremium+"/unassign", form)
	if !strings.Contains(confirm.text(), "Unassign Microsoft 365 Business Premium from 1 user? Johanna Lorenz") {
		t.Errorf("confirmation: %s", confirm.text())
	}
	if !f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) {
		t.Fatal("the confirmation changed something")
	}
	form.Set("step", "run")
	done := b.post("/licenses/"+demo.SKUBusinessPremium+"/unassign", form)
	if !strings.Contains(done.text(), "License unassigned from 1 user.") || f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) {
		t.Errorf("after unassigning: %s; Johanna still holds it: %v", done.text(), f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium))
	}

	all := url.Values{"csrf": {pg.csrf(t)}, "all": {"1"}, "q": {""}, "step": {"confirm"}}
	confirm = b.post("/licenses/"+demo.SKUBusinessPremium+"/unassign", all)
	if !strings.Contains(confirm.text(), "from 10 users?") {
		t.Errorf("confirmation of all matching: %s", confirm.text())
	}
	all.Set("step", "run")
	done = b.post("/licenses/"+demo.SKUBusinessPremium+"/unassign", all)
	if !strings.Contains(done.text(), "Licenses unassigned from 10 users.") {
		t.Errorf("result of all matching: %s", done.text())
	}
	n, err := f.db.CountUsers(context.Background(), f.sysUser, allot.UserFilter{SKUID: demo.SKUBusinessPremium})
	if err != nil || n != 0 {
		t.Errorf("users holding Business Premium after unassigning all: %d, %v; want 0", n, err)
	}
}

// TestSelfServiceRefusal checks that an administrator unassigning a
// license of a self-service purchase is refused beside the user, in the
// page's language, naming the product, and nothing changes.
func TestSelfServiceRefusal(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"en", "Lidia Holloway — The licenses of Microsoft 365 Business Basic come from a self-service purchase"},
		{"fr", "Lidia Holloway — Les licences de Microsoft 365 Business Basic viennent d'un achat en libre-service"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := newFixture(t)
			b := f.browser(t)
			b.lang = tc.lang
			b.signIn(demo.AdminUPN)
			pg := b.get("/licenses/" + demo.SKUBusinessBasic)
			form := url.Values{"csrf": {pg.csrf(t)}, "user": {f.userID(t, demo.PurchaserUPN)}, "step": {"run"}}
			res := b.post("/licenses/"+demo.SKUBusinessBasic+"/unassign", form)
			if !strings.Contains(res.text(), tc.want) {
				t.Errorf("result: %s\nwant %q", res.text(), tc.want)
			}
			if !f.holds(t, demo.PurchaserUPN, demo.SKUBusinessBasic) {
				t.Error("the refused unassignment changed Lidia's license")
			}
		})
	}
}

// TestCSRF checks that a form posted without the session's CSRF value is
// refused and changes nothing.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	johanna := f.userID(t, "johanna@"+demo.Domain)
	for _, csrf := range []string{"", "forged", csrfFor("another session")} {
		res := b.post("/licenses/"+demo.SKUBusinessPremium+"/unassign", url.Values{"csrf": {csrf}, "user": {johanna}, "step": {"run"}})
		if res.status != http.StatusForbidden || !strings.Contains(res.text(), "This form has expired") {
			t.Errorf("csrf %q: %d %s, want 403 and the explanation", csrf, res.status, res.text())
		}
	}
	if !f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) {
		t.Error("a forged form changed a license")
	}
}

// TestRoles checks what each role sees and may do: readers see no
// button that would fail and are refused if they post anyway; a Billing
// Administrator manages subscriptions, not assignments; an ordinary user
// sees only My licenses.
func TestRoles(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		upn                       string
		home                      string
		licenses                  int
		unassignButton, buyButton bool
		unassign                  int
	}{
		{demo.AdminUPN, "/licenses", 200, true, true, 200},
		{"allan@" + demo.Domain, "/licenses", 200, true, false, 200},
		{"diego@" + demo.Domain, "/licenses", 200, true, false, 200},
		{"emily@" + demo.Domain, "/licenses", 200, false, true, 403},
		{"miriam@" + demo.Domain, "/licenses", 200, false, false, 403},
		{demo.PurchaserUPN, "/my", 403, false, false, 403},
	} {
		t.Run(tc.upn, func(t *testing.T) {
			b := f.browser(t)
			b.signIn(tc.upn)
			if got := b.get("/").header.Get("Location"); got != tc.home {
				t.Errorf("home: %q, want %q", got, tc.home)
			}
			if got := b.get("/licenses").status; got != tc.licenses {
				t.Errorf("GET /licenses: %d, want %d", got, tc.licenses)
			}
			pg := b.get("/licenses/" + demo.SKUOffice365E3)
			if got := strings.Contains(pg.body, "Unassign licenses"); got != tc.unassignButton {
				t.Errorf("unassign button shown: %v, want %v", got, tc.unassignButton)
			}
			if got := strings.Contains(b.get("/products").body, `name="quantity"`); got != tc.buyButton {
				t.Errorf("quantity form shown: %v, want %v", got, tc.buyButton)
			}
			my := b.get("/my")
			if my.status != http.StatusOK || !strings.Contains(my.text(), "My licenses") {
				t.Errorf("GET /my: %d %s", my.status, my.text())
			}
			res := b.post("/licenses/"+demo.SKUOffice365E3+"/assign", url.Values{"csrf": {my.csrf(t)}, "users": {"irvin@" + demo.Domain}})
			if res.status != tc.unassign {
				t.Errorf("POST assign: %d, want %d", res.status, tc.unassign)
			}
		})
	}
}

// TestMyLicenses checks that an ordinary user sees their own products
// and apps.
func TestMyLicenses(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.PurchaserUPN)
	if got := b.get("/my").text(); !strings.Contains(got, "Microsoft 365 Business Basic") {
		t.Errorf("My licenses: %s", got)
	}
}

// failingSubscriptions fails every read, as a broken database would.
type failingSubscriptions struct{ allot.SubscriptionService }

func (failingSubscriptions) FindSubscribedSKUs(context.Context, allot.Principal) ([]*allot.SubscribedSKU, error) {
	return nil, errors.New("database is on fire")
}

// TestErrorPage checks that an internal error shows a page with the
// request id and nothing of the error, and that an unknown page is 404.
func TestErrorPage(t *testing.T) {
	f := newFixture(t, func(f *fixture) { f.svc.Subscriptions = failingSubscriptions{f.svc.Subscriptions} })
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	res := b.get("/licenses")
	id := res.header.Get("request-id")
	if res.status != http.StatusInternalServerError || id == "" || !strings.Contains(res.text(), id) || strings.Contains(res.body, "fire") {
		t.Errorf("internal error: %d, request id %q, page %s", res.status, id, res.text())
	}
	if got := b.get("/no/such/page"); got.status != http.StatusNotFound || !strings.Contains(got.text(), "This page does not exist.") {
		t.Errorf("unknown page: %d %s", got.status, got.text())
	}
}

// TestSecurityHeaders checks the headers of pages, error pages included.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	for _, path := range []string{"/signin", "/no/such/page"} {
		h := b.get(path).header
		for name, want := range map[string]string{
			"Content-Security-Policy": contentSecurityPolicy,
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s %s = %q, want %q", path, name, got, want)
			}
		}
	}
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'", "form-action 'self'"} {
		if !strings.Contains(contentSecurityPolicy, want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
}

// TestAssets checks that assets are served under content-hashed names
// with a long cache lifetime, and only under them.
func TestAssets(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	m := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(b.get("/signin").body)
	if m == nil {
		t.Fatal("no hashed stylesheet link on the sign-in page")
	}
	res := b.get(m[1])
	if res.status != http.StatusOK || res.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/css") {
		t.Errorf("GET %s: %d %q %q", m[1], res.status, res.header.Get("Cache-Control"), res.header.Get("Content-Type"))
	}
	if got := b.get("/static/app.css").status; got != http.StatusNotFound {
		t.Errorf("unhashed name: %d, want 404", got)
	}
}

// TestChart checks the seat chart drawn from the seat days: today's
// counters, one unassignment ten days ago... undone day by day, and
// nothing before the subscriptions were bought.
func TestChart(t *testing.T) {
	f := newFixture(t)
	f.now = f.now.Add(10 * 24 * time.Hour)
	ctx := context.Background()
	if _, err := f.db.AssignLicenses(ctx, f.sysUser, "johanna@"+demo.Domain, allot.LicenseChange{Remove: []string{demo.SKUBusinessPremium}}); err != nil {
		t.Fatal(err)
	}
	sku, err := f.db.FindSubscribedSKU(ctx, f.sysUser, demo.SKUBusinessPremium)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.h.seatChart(ctx, f.sysUser, sku)
	if err != nil {
		t.Fatal(err)
	}
	last := chartDays - 1
	for _, tc := range []struct{ day, assigned, total int }{
		{last, 10, 13},
		{last - 1, 11, 13},
		{last - 10, 11, 13},
		{last - 11, 0, 0},
	} {
		if c.Assigned[tc.day] != tc.assigned || c.Total[tc.day] != tc.total {
			t.Errorf("day %d: %d of %d, want %d of %d", tc.day, c.Assigned[tc.day], c.Total[tc.day], tc.assigned, tc.total)
		}
	}
	// The Licenses page reads the seat days once for every product: each
	// chart is the one its product's own read draws.
	skus, err := f.db.FindSubscribedSKUs(ctx, f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	charts, err := f.h.seatCharts(ctx, f.sysUser, skus)
	if err != nil || len(charts) != len(skus) {
		t.Fatalf("charts of every product: %d for %d products, %v", len(charts), len(skus), err)
	}
	for _, sku := range skus {
		one, err := f.h.seatChart(ctx, f.sysUser, sku)
		if err != nil {
			t.Fatal(err)
		}
		if got := charts[sku.SKU.ID]; !reflect.DeepEqual(one, got) {
			t.Errorf("%s: chart read with every product's (-alone +together):\n-%+v\n+%+v", sku.SKU.PartNumber, one, got)
		}
	}
	reader := allot.Principal{TenantID: f.tenant.ID, UserID: "x", Roles: []allot.Role{allot.RoleBillingAdmin}}
	if c, err := f.h.seatChart(ctx, reader, sku); c != nil || err != nil {
		t.Errorf("chart for a Billing Administrator: %v, %v; want none", c, err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUnassignChunks checks the steps a page's script takes for "select
// all N matching": each step changes the next users after its cursor and
// answers the running totals, until no cursor is left.
func TestUnassignChunks(t *testing.T) {
	f := newFixture(t, func(f *fixture) { f.chunk = 4 })
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	csrf := b.get("/licenses").csrf(t)
	form := url.Values{"csrf": {csrf}, "all": {"1"}, "q": {""}, "step": {"chunk"}}
	var steps []int
	var last chunkAnswer
	for {
		res := b.post("/licenses/"+demo.SKUBusinessPremium+"/unassign", form)
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/json" {
			t.Fatalf("step: %d %s", res.status, res.body)
		}
		if err := json.Unmarshal([]byte(res.body), &last); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, last.Processed)
		if last.Next == "" || len(steps) > 10 {
			break
		}
		form.Set("after", last.Next)
		form.Set("done", strconv.Itoa(last.Done))
		form.Set("unchanged", strconv.Itoa(last.Unchanged))
		form.Set("refused", strconv.Itoa(last.Refused))
	}
	if !slices.Equal(steps, []int{4, 4, 3}) || last.Done != 11 || last.Refused != 0 {
		t.Errorf("steps %v, done %d, refused %d; want [4 4 3], 11, 0", steps, last.Done, last.Refused)
	}
	if len(last.Lines) == 0 || last.Lines[0] != "Licenses unassigned from 11 users." {
		t.Errorf("lines %q", last.Lines)
	}
	if n, _ := f.db.CountUsers(context.Background(), f.sysUser, allot.UserFilter{SKUID: demo.SKUBusinessPremium}); n != 0 {
		t.Errorf("users still holding Business Premium: %d", n)
	}
}

// TestAssign checks assigning from a product's page: the picker's
// suggestions, a user assigned, one refused beside their name (no usage
// location), each in the result; and that a reader gets no suggestions.
func TestAssign(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	res := b.get("/licenses/" + demo.SKUOffice365E3 + "/candidates?q=irv")
	if res.status != http.StatusOK || !strings.Contains(res.body, `"upn":"irvin@contoso.example","name":"Irvin Sayers"`) {
		t.Errorf("candidates: %d %s", res.status, res.body)
	}
	pg := b.get("/licenses/" + demo.SKUOffice365E3)
	done := b.post("/licenses/"+demo.SKUOffice365E3+"/assign", url.Values{"csrf": {pg.csrf(t)}, "users": {"irvin@contoso.example, christie@contoso.example"}})
	for _, want := range []string{"License assigned to 1 user.", "Irvin Sayers — Irvin Sayers has no usage location; set one before assigning a license."} {
		if !strings.Contains(done.text(), want) {
			t.Errorf("result lacks %q: %s", want, done.text())
		}
	}
	if !f.holds(t, "christie@"+demo.Domain, demo.SKUOffice365E3) || f.holds(t, "irvin@"+demo.Domain, demo.SKUOffice365E3) {
		t.Error("Christie should hold E3 and Irvin not")
	}
	reader := f.browser(t)
	reader.signIn("miriam@" + demo.Domain)
	if got := reader.get("/licenses/" + demo.SKUOffice365E3 + "/candidates?q=irv"); got.status != http.StatusForbidden {
		t.Errorf("candidates for a Global Reader: %d, want 403", got.status)
	}
}

// TestUnassignImpact checks that the confirmation previews what
// unassigning does to the users' data, in the page's language, before
// anything changes.
func TestUnassignImpact(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"en", "What happens to their data 1 mailbox will be disconnected now and purged on Dec 20, 2026 unless a license with a mailbox comes back."},
		{"fr", "Ce qu'il advient de leurs données 1 boîte aux lettres sera déconnectée maintenant et supprimée le 20 déc. 2026"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := newFixture(t)
			b := f.browser(t)
			b.lang = tc.lang
			b.signIn(demo.AdminUPN)
			pg := b.get("/licenses/" + demo.SKUBusinessPremium)
			form := url.Values{"csrf": {pg.csrf(t)}, "user": {f.userID(t, "adele@"+demo.Domain)}, "step": {"confirm"}}
			res := b.post("/licenses/"+demo.SKUBusinessPremium+"/unassign", form)
			if !strings.Contains(res.text(), tc.want) {
				t.Errorf("confirmation: %s\nwant %q", res.text(), tc.want)
			}
			if !f.holds(t, "adele@"+demo.Domain, demo.SKUBusinessPremium) {
				t.Error("the preview changed Adele's license")
			}
		})
	}
}
