package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestUsersList checks Active users: every user counted, a search, each
// filter, keyset paging, the deleted users' view and a filter that does
// not exist, in English and French.
func TestUsersList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range 25 {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("extra%02d@%s", i, demo.Domain), DisplayName: fmt.Sprintf("Zed Extra %02d", i), AccountEnabled: true}
		if err := f.db.CreateUser(ctx, f.sysUser, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.DeleteUser(ctx, f.sysUser, "extra00@"+demo.Domain); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	tests := []struct {
		name, path string
		status     int
		want       []string
		notWant    []string
		rows       int // users listed; -1: not counted
	}{
		{"all", "/users", 200, []string{"Users › Active users", "55 users.", "Next page"}, []string{"Zed Extra 00"}, pageSize},
		{"second page", "/users?after=" + f.lastOnFirstPage(t), 200, []string{"55 users.", "First page"}, []string{"Next page"}, 55 - pageSize},
		{"search", "/users?q=JOHA", 200, []string{"1 user.", "Johanna Lorenz", "Office 365 E3, Microsoft 365 Business Premium"}, []string{"Adele Vance"}, -1},
		{"unlicensed", "/users?filter=unlicensed", 200, []string{"34 users.", "Irvin Sayers", "Unlicensed"}, []string{"Johanna Lorenz"}, -1},
		{"licensed", "/users?filter=licensed", 200, []string{"21 users.", "Johanna Lorenz"}, []string{"Irvin Sayers"}, -1},
		{"sign-in blocked", "/users?filter=blocked", 200, []string{"1 user.", "Enrico Cattaneo", "Sign-in blocked"}, []string{"Adele Vance"}, -1},
		{"by product", "/users?filter=sku:" + demo.SKUOffice365E5, 200, []string{"2 users."}, []string{"Irvin Sayers"}, -1},
		{"deleted", "/users/deleted", 200, []string{"Deleted users", "1 user.", "Zed Extra 00", "Restore"}, []string{"Adele Vance"}, -1},
		{"unknown filter", "/users?filter=nobody", 400, []string{"This filter does not exist."}, nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := b.get(tt.path)
			if pg.status != tt.status {
				t.Errorf("GET %s: %d, want %d", tt.path, pg.status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(pg.text(), w) {
					t.Errorf("GET %s lacks %q:\n%s", tt.path, w, pg.text())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(pg.text(), w) {
					t.Errorf("GET %s shows %q", tt.path, w)
				}
			}
			if got := strings.Count(pg.body, `name="user"`); tt.rows >= 0 && got != tt.rows {
				t.Errorf("GET %s lists %d users, want %d", tt.path, got, tt.rows)
			}
		})
	}
	b.lang = "fr"
	if fr := b.get("/users?lang=fr").text(); !strings.Contains(fr, "Utilisateurs › Utilisateurs actifs") || !strings.Contains(fr, "Gérer les licences de produits") {
		t.Errorf("French Active users: %s", fr)
	}
}

// lastOnFirstPage returns the id of the last user of the first page of
// /users, in the list's order (by id).
func (f *fixture) lastOnFirstPage(t *testing.T) string {
	t.Helper()
	users, _, err := f.db.FindUsers(context.Background(), f.sysUser, allot.UserFilter{Limit: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	return users[len(users)-1].ID
}

// paneForm returns the "Licenses and apps" form of a user's pane as it
// is: the products checked and the apps on.
func paneForm(t *testing.T, f *fixture, b *browser, upn string) (string, url.Values) {
	t.Helper()
	u, err := f.db.FindUser(context.Background(), f.sysUser, upn)
	if err != nil {
		t.Fatal(err)
	}
	pg := b.get("/users/" + u.ID)
	if pg.status != http.StatusOK || !strings.Contains(pg.text(), "Licenses and apps") {
		t.Fatalf("pane of %s: %d %s", upn, pg.status, pg.text())
	}
	form := url.Values{"csrf": {pg.csrf(t)}}
	for _, l := range u.Licenses {
		form.Add("sku", l.SKUID)
	}
	for _, sku := range f.db.Catalog().SKUs {
		for _, pl := range sku.Plans {
			if l := u.License(sku.ID); l == nil || l.PlanEnabled(sku, pl.ID) {
				form.Add("plan-"+sku.ID, pl.ID)
			}
		}
	}
	return u.ID, form
}

// TestUserPaneSave saves "Licenses and apps": unchecking a product
// unassigns it, switching an app off disables its plan, and a refused
// change is shown beside its product with nothing applied.
func TestUserPaneSave(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	johanna := "johanna@" + demo.Domain

	id, form := paneForm(t, f, b, johanna)
	form["sku"] = []string{demo.SKUOffice365E3} // Business Premium unchecked
	res := b.post("/users/"+id+"/licenses", form)
	if res.status != http.StatusSeeOther || f.holds(t, johanna, demo.SKUBusinessPremium) || !f.holds(t, johanna, demo.SKUOffice365E3) {
		t.Fatalf("unassign from the pane: %d; holds Business Premium %v, E3 %v", res.status, f.holds(t, johanna, demo.SKUBusinessPremium), f.holds(t, johanna, demo.SKUOffice365E3))
	}
	if got := b.get(res.header.Get("Location")).text(); !strings.Contains(got, "Licenses and apps saved.") {
		t.Errorf("after saving: %s", got)
	}

	_, form = paneForm(t, f, b, johanna)
	e3 := f.db.Catalog().SKU(demo.SKUOffice365E3)
	off := e3.Plans[0].ID
	form["plan-"+demo.SKUOffice365E3] = removeValue(form["plan-"+demo.SKUOffice365E3], off)
	if res := b.post("/users/"+id+"/licenses", form); res.status != http.StatusSeeOther {
		t.Fatalf("switching an app off: %d %s", res.status, res.text())
	}
	u, _ := f.db.FindUser(context.Background(), f.sysUser, johanna)
	if l := u.License(demo.SKUOffice365E3); l == nil || l.PlanEnabled(e3, off) {
		t.Errorf("after switching %s off, Johanna's E3 is %+v", e3.Plans[0].Name, l)
	}

	_, form = paneForm(t, f, b, johanna)
	form["sku"] = []string{demo.SKUBusinessBasic} // add a self-service product, remove E3: refused as a whole
	for _, tc := range []struct{ lang, want string }{
		{"en", "The licenses of Microsoft 365 Business Basic come from a self-service purchase"},
		{"fr", "Les licences de Microsoft 365 Business Basic viennent d'un achat en libre-service"},
	} {
		b.lang = tc.lang
		res = b.post("/users/"+id+"/licenses?lang="+tc.lang, form)
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `role="alert">`+escapeForTest(tc.want)) {
			t.Errorf("%s: refused save: %d %s\nwant %q", tc.lang, res.status, res.text(), tc.want)
		}
	}
	if !f.holds(t, johanna, demo.SKUOffice365E3) || f.holds(t, johanna, demo.SKUBusinessBasic) {
		t.Error("a refused save changed Johanna's licenses")
	}
}

// escapeForTest escapes an apostrophe as html/template does in text.
func escapeForTest(s string) string { return strings.ReplaceAll(s, "'", "&#39;") }

func removeValue(vs []string, v string) []string {
	var out []string
	for _, x := range vs {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// TestManageLicenses walks "Manage product licenses" for several users:
// unassign all is previewed (nothing changes), saved, then done; the
// self-service purchaser is refused alone, beside her name.
func TestManageLicenses(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	list := b.get("/users")
	users := []string{f.userID(t, "johanna@"+demo.Domain), f.userID(t, "grady@"+demo.Domain), f.userID(t, demo.PurchaserUPN)}
	form := url.Values{"csrf": {list.csrf(t)}, "user": users, "step": {"choose"}}
	choose := b.post("/users/manage", form)
	if !strings.Contains(choose.text(), "3 users selected: Johanna Lorenz Grady Archie Lidia Holloway") || !strings.Contains(choose.text(), "Unassign all products") {
		t.Fatalf("choice: %s", choose.text())
	}
	form.Set("mode", "remove")
	form.Set("step", "preview")
	preview := b.post("/users/manage", form)
	for _, w := range []string{"2 users will be changed.", "1 user would be refused and left as is: Lidia Holloway — The licenses of Microsoft 365 Business Basic come from a self-service purchase"} {
		if !strings.Contains(preview.text(), w) {
			t.Errorf("preview lacks %q:\n%s", w, preview.text())
		}
	}
	if !f.holds(t, "johanna@"+demo.Domain, demo.SKUBusinessPremium) {
		t.Fatal("the preview changed something")
	}
	form.Set("step", "run")
	done := b.post("/users/manage", form)
	if !strings.Contains(done.text(), "2 users changed.") || !strings.Contains(done.text(), "Done") {
		t.Errorf("result: %s", done.text())
	}
	for _, upn := range []string{"johanna@" + demo.Domain, "grady@" + demo.Domain} {
		if u, _ := f.db.FindUser(context.Background(), f.sysUser, upn); len(u.Licenses) != 0 {
			t.Errorf("%s still holds %v", upn, u.Licenses)
		}
	}
	if !f.holds(t, demo.PurchaserUPN, demo.SKUBusinessBasic) {
		t.Error("the refused user lost a license")
	}

	form = url.Values{"csrf": {list.csrf(t)}, "user": users[:2], "mode": {"add"}, "sku": {demo.SKUOffice365E3}, "step": {"run"}}
	if got := b.post("/users/manage", form).text(); !strings.Contains(got, "2 users changed.") || !f.holds(t, "grady@"+demo.Domain, demo.SKUOffice365E3) {
		t.Errorf("assign more: %s", got)
	}
	form.Set("mode", "replace")
	form["sku"] = []string{demo.SKUExchangePlan1}
	if got := b.post("/users/manage", form).text(); !strings.Contains(got, "2 users changed.") || f.holds(t, "grady@"+demo.Domain, demo.SKUOffice365E3) || !f.holds(t, "grady@"+demo.Domain, demo.SKUExchangePlan1) {
		t.Errorf("replace: %s", got)
	}
	form.Del("sku")
	if got := b.post("/users/manage", form); got.status != http.StatusOK || !strings.Contains(got.text(), "Choose at least one product.") {
		t.Errorf("replace with no product: %d %s", got.status, got.text())
	}
}

// TestUsersRoles checks what each role sees of Active users and a pane:
// a Global Reader and a Billing Administrator read without a control
// that would fail, and are refused if they post anyway; a License
// Administrator changes licenses, not accounts; an ordinary user is
// refused the pages.
// TestUsersCountStops checks that a list past the count limit says "more
// than" and stops counting, while a list under it counts exactly.
func TestUsersCountStops(t *testing.T) {
	f := newFixture(t, func(f *fixture) { f.count = 20 }) // the demo: 31 users, 21 licensed
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	for _, tt := range []struct{ path, want string }{
		{"/users", "More than 20 users."},
		{"/users?filter=licensed", "More than 20 users."},
		{"/users?filter=unlicensed", "10 users."},
		{"/users?lang=fr", "Plus de 20 utilisateurs."},
	} {
		if pg := b.get(tt.path); pg.status != 200 || !strings.Contains(pg.text(), tt.want) {
			t.Errorf("GET %s: %d, lacks %q:\n%s", tt.path, pg.status, tt.want, pg.text())
		}
	}
}

func TestUsersRoles(t *testing.T) {
	f := newFixture(t)
	johanna := f.userID(t, "johanna@"+demo.Domain)
	tests := []struct {
		upn                    string
		list                   int
		manage, save, edit     bool
		saveStatus, editStatus int
	}{
		{demo.AdminUPN, 200, true, true, true, 303, 303},
		{"allan@" + demo.Domain, 200, true, true, false, 303, 403},
		{"diego@" + demo.Domain, 200, true, true, true, 303, 303},
		{"emily@" + demo.Domain, 200, false, false, false, 403, 403},
		{"miriam@" + demo.Domain, 200, false, false, false, 403, 403},
		{demo.PurchaserUPN, 403, false, false, false, 403, 403},
	}
	for _, tt := range tests {
		t.Run(tt.upn, func(t *testing.T) {
			b := f.browser(t)
			b.signIn(tt.upn)
			list := b.get("/users")
			if list.status != tt.list {
				t.Fatalf("GET /users: %d, want %d", list.status, tt.list)
			}
			pane := b.get("/users/" + johanna)
			got := []bool{strings.Contains(list.body, `value="choose"`), strings.Contains(pane.body, `<button type="submit" class="primary">Save changes</button>`) && !strings.Contains(pane.body, " disabled>"),
				strings.Contains(pane.body, `action="/users/`+johanna+`/edit"`)}
			if want := []bool{tt.manage, tt.save, tt.edit}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("manage button, save button, edit form shown (-want +got):\n-%v\n+%v", want, got)
			}
			csrf := b.get("/my").csrf(t)
			save := url.Values{"csrf": {csrf}, "sku": {demo.SKUBusinessPremium, demo.SKUOffice365E3}}
			for _, sku := range []string{demo.SKUBusinessPremium, demo.SKUOffice365E3} {
				for _, pl := range f.db.Catalog().SKU(sku).Plans {
					if sku != demo.SKUBusinessPremium || pl.ID != demo.PlanExchangeStandard {
						save.Add("plan-"+sku, pl.ID)
					}
				}
			}
			if res := b.post("/users/"+johanna+"/licenses", save); res.status != tt.saveStatus {
				t.Errorf("POST licenses: %d, want %d", res.status, tt.saveStatus)
			}
			edit := url.Values{"csrf": {csrf}, "name": {"Johanna Lorenz"}, "location": {"DE"}}
			if res := b.post("/users/"+johanna+"/edit", edit); res.status != tt.editStatus {
				t.Errorf("POST edit: %d, want %d", res.status, tt.editStatus)
			}
		})
	}
}

// TestUserLifecycle creates a user (a refusal beside its field first),
// blocks it, deletes it after a confirmation and restores it.
func TestUserLifecycle(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("diego@" + demo.Domain) // User Administrator
	csrf := b.get("/users/new").csrf(t)
	bad := b.post("/users/new", url.Values{"csrf": {csrf}, "upn": {"ada@fabrikam.example"}, "name": {"Ada Lovelace"}, "location": {"fr"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `aria-invalid="true" aria-describedby="new-error"`) || !strings.Contains(bad.text(), "The value of userPrincipalName is not valid.") {
		t.Errorf("a UPN outside the tenant's domains: %d %s", bad.status, bad.text())
	}
	res := b.post("/users/new", url.Values{"csrf": {csrf}, "upn": {"ada@" + demo.Domain}, "name": {"Ada Lovelace"}, "location": {"fr"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.status, res.text())
	}
	id := f.userID(t, "ada@"+demo.Domain)
	if got := b.get(res.header.Get("Location")).text(); !strings.Contains(got, "Ada Lovelace") || !strings.Contains(got, "Account saved.") {
		t.Errorf("new user's pane: %s", got)
	}
	edit := url.Values{"csrf": {csrf}, "name": {"Ada King"}, "jobTitle": {"Analyst"}, "location": {"GB"}, "blocked": {"1"}}
	if res := b.post("/users/"+id+"/edit", edit); res.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.status, res.text())
	}
	u, _ := f.db.FindUser(context.Background(), f.sysUser, id)
	if u.DisplayName != "Ada King" || u.JobTitle != "Analyst" || u.UsageLocation != "GB" || u.AccountEnabled {
		t.Errorf("after edit: %+v", u)
	}
	confirm := b.post("/users/"+id+"/delete", url.Values{"csrf": {csrf}})
	if !strings.Contains(confirm.text(), "Delete Ada King?") {
		t.Errorf("delete confirmation: %s", confirm.text())
	}
	if _, err := f.db.FindUser(context.Background(), f.sysUser, id); err != nil {
		t.Fatal("the confirmation deleted the user")
	}
	if res := b.post("/users/"+id+"/delete", url.Values{"csrf": {csrf}, "step": {"run"}}); res.status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", res.status, res.text())
	}
	if got := b.get("/users/deleted").text(); !strings.Contains(got, "Ada King") {
		t.Errorf("deleted users lack Ada King: %s", got)
	}
	if res := b.post("/users/"+id+"/restore", url.Values{"csrf": {csrf}}); res.status != http.StatusSeeOther {
		t.Fatalf("restore: %d %s", res.status, res.text())
	}
	if got := b.get("/users/" + id).text(); !strings.Contains(got, "Ada King") {
		t.Errorf("restored user's pane: %s", got)
	}
	self := f.userID(t, "diego@"+demo.Domain)
	refused := b.post("/users/"+self+"/delete", url.Values{"csrf": {csrf}, "step": {"run"}})
	if refused.status != http.StatusUnprocessableEntity || !strings.Contains(refused.body, `id="pane-error"`) {
		t.Errorf("deleting oneself: %d %s", refused.status, refused.text())
	}
}
