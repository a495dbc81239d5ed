package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestOffboardRoles checks who is offered and may open the offboarding:
// those who manage users and assign licenses (allot.AuthorizeOffboard);
// the pane's link and the form only, nothing is posted by those allowed.
func TestOffboardRoles(t *testing.T) {
	f := newFixture(t)
	adele := f.userID(t, "adele@"+demo.Domain)
	tests := []struct {
		name, upn string
		want      int
	}{
		{"global admin", demo.AdminUPN, http.StatusOK},
		{"global reader", "miriam@" + demo.Domain, http.StatusForbidden},
		{"license admin", "allan@" + demo.Domain, http.StatusForbidden},
		{"user admin", "diego@" + demo.Domain, http.StatusOK},
		{"billing admin", "emily@" + demo.Domain, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.browser(t)
			b.signIn(tt.upn)
			if got := b.get("/users/" + adele + "/offboard").status; got != tt.want {
				t.Errorf("GET offboard: %d, want %d", got, tt.want)
			}
			pane := b.get("/users/" + adele)
			if got := strings.Contains(pane.body, `href="/users/`+adele+`/offboard"`); got != (tt.want == http.StatusOK) {
				t.Errorf("pane offers offboarding: %v", got)
			}
			if tt.want != http.StatusOK {
				res := b.post("/users/"+adele+"/offboard", url.Values{"csrf": {pane.csrf(t)}, "step": {"run"}})
				if res.status != http.StatusForbidden {
					t.Errorf("POST offboard: %d, want 403", res.status)
				}
			}
		})
	}
	if !f.holds(t, "adele@"+demo.Domain, demo.SKUBusinessPremium) {
		t.Error("a refused visitor offboarded Adele")
	}
}

// TestOffboard walks the offboarding: the preview says what will happen
// and changes nothing; the confirmation does all of it.
func TestOffboard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	adeleUPN, alex := "adele@"+demo.Domain, "alex@"+demo.Domain
	adele := f.userID(t, adeleUPN)
	if _, err := f.db.AssignLicenses(ctx, f.sysUser, alex, allot.LicenseChange{Remove: []string{demo.SKUBusinessPremium}}); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	form := b.get("/users/" + adele + "/offboard")
	post := url.Values{"csrf": {form.csrf(t)}, "hold": {"1"}, "holdName": {"Case 9"}, "successor": {alex}, "step": {"preview"}}
	preview := b.post("/users/"+adele+"/offboard", post)
	for _, want := range []string{"What offboarding Adele Vance will do", "Move the licenses Microsoft 365 Business Premium to Alex Wilber.",
		"Block sign-in.", "Place the hold “Case 9” first.", "kept as an inactive mailbox"} {
		if !strings.Contains(preview.text(), want) {
			t.Errorf("preview lacks %q:\n%s", want, preview.text())
		}
	}
	if !f.holds(t, adeleUPN, demo.SKUBusinessPremium) || len(f.activeHolds(t)) != 0 {
		t.Fatal("the preview changed something")
	}
	post.Set("step", "run")
	done := b.post("/users/"+adele+"/offboard", post)
	for _, want := range []string{"Adele Vance was offboarded.", "Licenses Microsoft 365 Business Premium moved to Alex Wilber.", "Sign-in blocked.", "Hold “Case 9” placed."} {
		if !strings.Contains(done.text(), want) {
			t.Errorf("result lacks %q:\n%s", want, done.text())
		}
	}
	u, err := f.db.FindUser(ctx, f.sysUser, adeleUPN)
	if err != nil {
		t.Fatal(err)
	}
	if u.AccountEnabled || f.holds(t, adeleUPN, demo.SKUBusinessPremium) || !f.holds(t, alex, demo.SKUBusinessPremium) {
		t.Errorf("after offboarding: enabled %v, Adele holds %v, Alex holds %v", u.AccountEnabled,
			f.holds(t, adeleUPN, demo.SKUBusinessPremium), f.holds(t, alex, demo.SKUBusinessPremium))
	}
	if got := f.activeHolds(t); len(got) != 1 || got[0] != adeleUPN+": Case 9" {
		t.Errorf("holds = %v", got)
	}
}

// TestOffboardRefusals checks refusals beside their field, in the page's
// language, with nothing changed.
func TestOffboardRefusals(t *testing.T) {
	f := newFixture(t)
	adeleUPN := "adele@" + demo.Domain
	adele := f.userID(t, adeleUPN)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	csrf := b.get("/users/" + adele + "/offboard").csrf(t)
	tests := []struct {
		name, lang string
		form       url.Values
		want       string
	}{
		{"unknown successor", "en", url.Values{"successor": {"ghost@" + demo.Domain}}, `id="offboard-successor-error" role="alert">No user is named ghost@`},
		{"successor is the user", "fr", url.Values{"successor": {adeleUPN}}, `id="offboard-successor-error" role="alert">Le successeur ne peut pas être l&#39;utilisateur qui part.`},
		{"hold name too long", "en", url.Values{"hold": {"1"}, "holdName": {strings.Repeat("x", allot.MaxHoldNameLength+1)}},
			`aria-invalid="true" aria-describedby="offboard-hold-name-error">
<span class="error" id="offboard-hold-name-error" role="alert">Give the hold a name of 1 to 256 characters.</span>`},
		{"hold name too long, in French", "fr", url.Values{"hold": {"1"}, "holdName": {strings.Repeat("é", allot.MaxHoldNameLength+1)}},
			`id="offboard-hold-name-error" role="alert">Donnez à la conservation un nom de 1 à 256 caractères.</span>`},
		{"hold name not UTF-8", "en", url.Values{"hold": {"1"}, "holdName": {"Case \xff"}},
			`id="offboard-hold-name-error" role="alert">Give the hold a name of 1 to 256 characters.</span>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", csrf)
			tt.form.Set("step", "run")
			res := b.post("/users/"+adele+"/offboard?lang="+tt.lang, tt.form)
			if res.status < 400 || res.status >= 500 || !strings.Contains(res.body, tt.want) {
				t.Errorf("status %d, want a refusal with %q:\n%s", res.status, tt.want, res.body)
			}
		})
	}
	if !f.holds(t, adeleUPN, demo.SKUBusinessPremium) || len(f.activeHolds(t)) != 0 {
		t.Error("a refused offboarding changed something")
	}
	if u, err := f.db.FindUser(context.Background(), f.sysUser, adeleUPN); err != nil || !u.AccountEnabled {
		t.Errorf("a refused offboarding blocked Adele's sign-in: %v", err)
	}
}
