package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestProducts checks Your products: one row per subscription (two for
// Business Premium), and a reduction below the licenses assigned refused
// beside its row, in the page's language, changing nothing.
func TestProducts(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("emily@" + demo.Domain)
	pg := b.get("/products")
	if n := strings.Count(pg.text(), "Microsoft 365 Business Premium Active"); n != 2 {
		t.Errorf("Business Premium rows: %d, want 2:\n%s", n, pg.text())
	}
	if n := strings.Count(pg.text(), "(shared by the product's subscriptions)"); n != 2 {
		t.Errorf("rows marked shared: %d, want the 2 of Business Premium", n)
	}
	if strings.Contains(pg.text(), "—") {
		t.Errorf("a subscription without its term end: %s", pg.text())
	}
	if !strings.Contains(pg.text(), "Lidia Holloway") {
		t.Errorf("the purchaser of the self-service subscription is not shown:\n%s", pg.text())
	}
	subs, err := f.db.FindSubscriptions(context.Background(), f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	var e3 *allot.Subscription
	for _, s := range subs {
		if s.SKUID == demo.SKUOffice365E3 {
			e3 = s
		}
	}
	b.lang = "fr"
	res := b.post("/products/"+e3.ID, url.Values{"csrf": {pg.csrf(t)}, "action": {"quantity"}, "quantity": {"4"}})
	want := "Licences de Office 365 E3 affectées : 5 ; il en resterait 4. Retirez-en d'abord 1."
	if res.status != http.StatusBadRequest || !strings.Contains(res.text(), want) {
		t.Errorf("reduction below assigned: %d %s\nwant %q", res.status, res.text(), want)
	}
	if !regexp.MustCompile(`(?s)id="sub-` + e3.ID + `".*id="err-` + e3.ID + `"`).MatchString(res.body) {
		t.Error("the refusal is not in the row of the subscription")
	}
	ok := b.post("/products/"+e3.ID, url.Values{"csrf": {pg.csrf(t)}, "action": {"quantity"}, "quantity": {"12"}})
	got, _ := f.db.FindSubscriptionByID(context.Background(), f.sysUser, e3.ID)
	if ok.status != http.StatusSeeOther || got.Quantity != 12 {
		t.Errorf("raise to 12: %d, quantity %d", ok.status, got.Quantity)
	}
}

// TestProductActions checks the subscription actions of Your products: a
// trial extended once, a second extension and a cancellation past its
// window refused beside the row in the page's language.
func TestProductActions(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	subs, err := f.db.FindSubscriptions(context.Background(), f.sysUser)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*allot.Subscription{}
	for _, s := range subs {
		byID[s.SKUID] = s
	}
	trial, e3 := byID[demo.SKUOffice365E5], byID[demo.SKUOffice365E3]
	pg := b.get("/products")
	if !strings.Contains(pg.text(), "Extend the trial") || !strings.Contains(pg.text(), "Convert to paid") {
		t.Errorf("the trial's actions are missing: %s", pg.text())
	}
	post := func(id, action string) page {
		return b.post("/products/"+id, url.Values{"csrf": {pg.csrf(t)}, "action": {action}})
	}
	// Recurring billing is offered where the rule allows it: never for a
	// trial, and for a paid subscription once it is off.
	if res := b.post("/products/"+e3.ID, url.Values{"csrf": {pg.csrf(t)}, "action": {"billing"}, "recurring": {"off"}}); res.status != http.StatusSeeOther {
		t.Fatalf("recurring billing off: %d %s", res.status, res.text())
	}
	pg = b.get("/products")
	for id, want := range map[string]bool{trial.ID: false, e3.ID: true} {
		row := regexp.MustCompile(`(?s)<tr[^>]*id="sub-` + id + `".*?</tr>`).FindString(pg.body)
		if got := strings.Contains(row, `name="recurring" value="on"`); got != want {
			t.Errorf("row %s offers recurring billing on: %v, want %v\n%s", id, got, want, row)
		}
	}
	if res := post(trial.ID, "extend"); res.status != http.StatusSeeOther {
		t.Fatalf("extend: %d %s", res.status, res.text())
	}
	if got, _ := f.db.FindSubscriptionByID(context.Background(), f.sysUser, trial.ID); !got.TrialExtended {
		t.Error("the trial was not extended")
	}
	for _, tc := range []struct{ id, action, lang, want string }{
		{trial.ID, "extend", "en", "This trial of Office 365 E5 cannot be extended"},
		{e3.ID, "cancel", "fr", "Cet abonnement à Office 365 E3 ne peut plus être annulé"},
	} {
		b.lang = tc.lang
		res := post(tc.id, tc.action)
		if res.status != http.StatusBadRequest || !strings.Contains(res.text(), tc.want) {
			t.Errorf("%s: %d %s\nwant %q", tc.action, res.status, res.text(), tc.want)
		}
		if !strings.Contains(res.body, `id="err-`+tc.id+`"`) {
			t.Errorf("%s: the refusal is not beside its row", tc.action)
		}
	}
	if got, _ := f.db.FindSubscriptionByID(context.Background(), f.sysUser, e3.ID); got.Status != allot.StatusEnabled {
		t.Errorf("E3 after a refused cancellation: %s", got.Status)
	}
}
