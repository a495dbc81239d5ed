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

// TestHoldsRoles checks that only Global Administrators open the Holds
// page, see it in the menu and may post its forms.
func TestHoldsRoles(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, upn string
		want      int
		nav       bool
	}{
		{"global admin", demo.AdminUPN, http.StatusOK, true},
		{"global reader", "miriam@" + demo.Domain, http.StatusForbidden, false},
		{"license admin", "allan@" + demo.Domain, http.StatusForbidden, false},
		{"billing admin", "emily@" + demo.Domain, http.StatusForbidden, false},
		{"ordinary user", demo.PurchaserUPN, http.StatusForbidden, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.browser(t)
			b.signIn(tt.upn)
			if got := b.get("/holds").status; got != tt.want {
				t.Errorf("GET /holds: %d, want %d", got, tt.want)
			}
			my := b.get("/my")
			if got := strings.Contains(my.body, `href="/holds"`); got != tt.nav {
				t.Errorf("menu links to /holds: %v, want %v", got, tt.nav)
			}
			form := url.Values{"csrf": {my.csrf(t)}, "user": {"adele@" + demo.Domain}, "name": {"Case 1"}}
			if tt.want == http.StatusOK {
				return // the refused visitors' posts come next
			}
			if got := b.get("/holds/candidates?q=ad").status; got != tt.want {
				t.Errorf("GET /holds/candidates: %d, want %d", got, tt.want)
			}
			if got := b.post("/holds", form).status; got != http.StatusForbidden {
				t.Errorf("POST /holds: %d, want 403", got)
			}
		})
	}
	if hs := f.activeHolds(t); len(hs) != 0 {
		t.Errorf("holds placed by refused visitors: %v", hs)
	}
}

// activeHolds lists the tenant's active holds as "upn: name".
func (f *fixture) activeHolds(t *testing.T) []string {
	t.Helper()
	hs, err := f.db.FindHolds(context.Background(), f.sysUser, allot.HoldFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.UserPrincipalName+": "+h.Name)
	}
	return out
}

// TestHoldsPlaceAndRelease places a hold, sees it listed and searchable,
// releases it after a confirmation, and finds it among the released.
func TestHoldsPlaceAndRelease(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	pg := b.get("/holds")
	adele := "adele@" + demo.Domain
	res := b.post("/holds", url.Values{"csrf": {pg.csrf(t)}, "user": {adele}, "name": {"Case 42"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/holds?saved=placed" {
		t.Fatalf("place: %d %q, want 303 to /holds?saved=placed:\n%s", res.status, res.header.Get("Location"), res.text())
	}
	if got, want := f.activeHolds(t), []string{adele + ": Case 42"}; !equalStrings(got, want) {
		t.Fatalf("holds = %v, want %v", got, want)
	}
	pg = b.get("/holds?saved=placed")
	if !strings.Contains(pg.body, `<span class="who">`+demo.AdminUPN+`</span>`) {
		t.Errorf("the Holds page's menu does not name the visitor:\n%s", pg.body)
	}
	for _, want := range []string{"The hold was placed.", adele + " Case 42 Nov 20, 2026 by " + demo.AdminUPN + " Release hold", adele + " Active Yes"} {
		if !strings.Contains(pg.text(), want) {
			t.Errorf("Holds page lacks %q:\n%s", want, pg.text())
		}
	}
	id := regexp.MustCompile(`action="/holds/([^/"]+)/release"`).FindStringSubmatch(pg.body)
	if id == nil {
		t.Fatalf("no release form:\n%s", pg.body)
	}
	confirm := b.post("/holds/"+id[1]+"/release", url.Values{"csrf": {pg.csrf(t)}, "step": {"confirm"}})
	if !strings.Contains(confirm.text(), "Release the hold “Case 42” on "+adele+"?") {
		t.Fatalf("no confirmation:\n%s", confirm.text())
	}
	if len(f.activeHolds(t)) != 1 {
		t.Fatal("the confirmation released the hold")
	}
	res = b.post("/holds/"+id[1]+"/release", url.Values{"csrf": {pg.csrf(t)}, "step": {"run"}})
	if res.status != http.StatusSeeOther || len(f.activeHolds(t)) != 0 {
		t.Fatalf("release: %d, holds %v", res.status, f.activeHolds(t))
	}
	again := b.post("/holds/"+id[1]+"/release", url.Values{"csrf": {pg.csrf(t)}, "step": {"run"}})
	if again.status != http.StatusConflict || !strings.Contains(again.text(), "This hold was already released.") {
		t.Errorf("releasing twice: %d\n%s", again.status, again.text())
	}
	if got := b.get("/holds?released=1").text(); !strings.Contains(got, "Case 42 Nov 20, 2026 by "+demo.AdminUPN+" Released on Nov 20, 2026") {
		t.Errorf("released holds lack Case 42:\n%s", got)
	}
	if got := b.get("/holds").text(); !strings.Contains(got, "No hold.") {
		t.Errorf("active holds list a released one:\n%s", got)
	}
}

// TestHoldsRefusals checks that bad input is refused beside its field, in
// the page's language, and changes nothing.
func TestHoldsRefusals(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	csrf := b.get("/holds").csrf(t)
	tests := []struct {
		name, lang, path string
		form             url.Values
		want             string
	}{
		{"unknown user", "en", "/holds", url.Values{"user": {"nobody@" + demo.Domain}, "name": {"Case"}}, `id="hold-user-error" role="alert">No user is named nobody@` + demo.Domain},
		{"refused, the name kept", "en", "/holds", url.Values{"user": {"nobody@" + demo.Domain}, "name": {"Case 7"}}, `maxlength="256" value="Case 7"`},
		{"refused, the visitor in the menu", "en", "/holds", url.Values{"user": {"nobody@" + demo.Domain}, "name": {"Case 7"}}, `<span class="who">` + demo.AdminUPN + `</span>`},
		{"no name", "en", "/holds", url.Values{"user": {"adele@" + demo.Domain}, "name": {" "}}, `id="hold-name-error" role="alert">Give the hold a name of 1 to 256 characters.`},
		{"long name fr", "fr", "/holds", url.Values{"user": {"adele@" + demo.Domain}, "name": {strings.Repeat("x", 257)}}, `id="hold-name-error" role="alert">Donnez à la conservation un nom de 1 à 256 caractères.`},
		{"retention too short", "en", "/holds/retention", url.Values{"days": {"29"}}, `id="retention-error" role="alert">The file retention is 30 to 3,650 days.`},
		{"retention not a number fr", "fr", "/holds/retention", url.Values{"days": {"abc"}}, `id="retention-error" role="alert">La rétention des fichiers est de 30 à ` + formatInt("fr", 3650) + ` jours.`},
		{"retention too long", "en", "/holds/retention", url.Values{"days": {"3651"}}, `value="3651" aria-invalid="true"`},
		{"unknown hold", "en", "/holds/no-such-hold/release", url.Values{"step": {"confirm"}}, "This page does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.lang = tt.lang
			tt.form.Set("csrf", csrf)
			res := b.post(tt.path+"?lang="+tt.lang, tt.form)
			if res.status == http.StatusOK || res.status == http.StatusSeeOther || res.status >= 500 {
				t.Errorf("status %d, want a refusal", res.status)
			}
			if !strings.Contains(res.body, tt.want) {
				t.Errorf("page lacks %q:\n%s", tt.want, res.body)
			}
		})
	}
	if hs := f.activeHolds(t); len(hs) != 0 {
		t.Errorf("refused forms placed holds: %v", hs)
	}
	days, err := f.db.FileRetentionDays(context.Background(), f.sysUser)
	if err != nil || days != allot.DefaultFileRetentionDays {
		t.Errorf("file retention = %d, %v; want %d unchanged", days, err, allot.DefaultFileRetentionDays)
	}
}

// TestHoldsRetention sets the file retention from the page.
func TestHoldsRetention(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	pg := b.get("/holds")
	if !strings.Contains(pg.body, `name="days" type="number" required min="30" max="3650" value="30"`) {
		t.Errorf("retention field lacks the current 30 days:\n%s", pg.body)
	}
	res := b.post("/holds/retention", url.Values{"csrf": {pg.csrf(t)}, "days": {"365"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("set retention: %d\n%s", res.status, res.text())
	}
	if days, err := f.db.FileRetentionDays(context.Background(), f.sysUser); err != nil || days != 365 {
		t.Errorf("file retention = %d, %v; want 365", days, err)
	}
	if got := b.get("/holds?saved=retention").text(); !strings.Contains(got, "The file retention was saved.") {
		t.Errorf("no saved message:\n%s", got)
	}
}

// equalStrings reports whether two lists are equal.
func equalStrings(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }
