package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestTokens checks API tokens: a Global Administrator creates an
// application's token whose secret is shown once, bad forms are refused
// beside the form in the page's language creating nothing, a token is
// revoked once; others are refused.
func TestTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := allot.Principal{TenantID: f.tenant.ID, System: true}
	appTokens := func() []*allot.Token {
		t.Helper()
		ts, err := f.db.FindTokens(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		var out []*allot.Token
		for _, tk := range ts {
			if tk.AppID != "" {
				out = append(out, tk)
			}
		}
		return out
	}
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	pg := b.get("/tokens")
	if pg.status != http.StatusOK || !strings.Contains(pg.text(), demo.AdminUPN) || !strings.Contains(pg.body, `href="/tokens"`) {
		t.Fatalf("tokens: %d\n%s", pg.status, pg.text())
	}
	form := func(app, days string, roles ...allot.Role) url.Values {
		v := url.Values{"csrf": {pg.csrf(t)}, "app": {app}, "days": {days}}
		for _, r := range roles {
			v.Add("role", string(r))
		}
		return v
	}
	for _, tc := range []struct {
		name, lang string
		form       url.Values
		want       string
	}{
		{"no role", "en", form("billing-sync", "30"), "Tick at least one role for the application."},
		{"no name", "fr", form(" ", "30", allot.RoleLicenseChecker), "Saisissez le nom de l'application (1 à 256 caractères)."},
		{"bad days", "en", form("billing-sync", "soon", allot.RoleLicenseChecker), "Enter a whole number of days, at least 1."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.lang = tc.lang
			res := b.post("/tokens", tc.form)
			if res.status != http.StatusBadRequest || !strings.Contains(res.text(), tc.want) {
				t.Errorf("status %d, want 400; want %q in:\n%s", res.status, tc.want, res.text())
			}
			if n := len(appTokens()); n != 0 {
				t.Errorf("application tokens: %d, want none", n)
			}
		})
	}
	b.lang = "en"
	res := b.post("/tokens", form("billing-sync", "30", allot.RoleLicenseChecker))
	secret := regexp.MustCompile(`value="(allot_[^"]+)"`).FindStringSubmatch(res.body)
	ts := appTokens()
	if res.status != http.StatusOK || secret == nil || !strings.Contains(res.text(), "Token for billing-sync") || len(ts) != 1 {
		t.Fatalf("create: %d, %d tokens\n%s", res.status, len(ts), res.text())
	}
	if p, err := f.db.Authenticate(ctx, secret[1]); err != nil || !p.HasRole(allot.RoleLicenseChecker) {
		t.Errorf("the secret shown does not authenticate as a License Checker: %v %v", p, err)
	}
	if got, want := ts[0].ExpiresAt.Sub(ts[0].CreatedAt), 30*24*time.Hour; got != want {
		t.Errorf("lifetime %v, want %v", got, want)
	}
	if again := b.get("/tokens"); strings.Contains(again.body, secret[1]) || !strings.Contains(again.text(), "billing-sync") {
		t.Errorf("the secret is shown again, or the token is not listed:\n%s", again.text())
	}
	revoke := url.Values{"csrf": {pg.csrf(t)}, "id": {ts[0].ID}}
	if res := b.post("/tokens/revoke", revoke); res.status != http.StatusSeeOther || appTokens()[0].RevokedAt.IsZero() {
		t.Errorf("revoke: %d, revoked at %v", res.status, appTokens()[0].RevokedAt)
	}
	if res := b.post("/tokens/revoke", revoke); res.status != http.StatusBadRequest || !strings.Contains(res.text(), "already revoked or expired") {
		t.Errorf("revoke again: %d %s", res.status, res.text())
	}

	for _, upn := range []string{"emily@" + demo.Domain, "miriam@" + demo.Domain} {
		o := f.browser(t)
		o.signIn(upn)
		my := o.get("/my")
		if strings.Contains(my.body, `href="/tokens"`) {
			t.Errorf("%s is shown API tokens in the menu", upn)
		}
		if res := o.get("/tokens"); res.status != http.StatusForbidden {
			t.Errorf("%s opens API tokens: %d, want 403", upn, res.status)
		}
		if res := o.post("/tokens", url.Values{"csrf": {my.csrf(t)}, "app": {"x"}, "days": {"1"}, "role": {string(allot.RoleGlobalAdmin)}}); res.status != http.StatusForbidden {
			t.Errorf("%s creates a token: %d, want 403", upn, res.status)
		}
	}
	if n := len(appTokens()); n != 1 {
		t.Errorf("application tokens after the refused tries: %d, want 1", n)
	}
}
