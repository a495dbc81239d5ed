package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestDomains checks Domains: readers see the organization's domains,
// the default first, in the page's language; an ordinary user cannot
// open it.
func TestDomains(t *testing.T) {
	f := newFixture(t)
	added := &allot.Domain{Name: "aaa.example"} // before the default by name
	if err := f.db.AddDomain(context.Background(), f.tenant.ID, added); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		upn, lang string
		status    int
		want      string
	}{
		{"miriam@" + demo.Domain, "en", http.StatusOK, "Domain Status Added " + demo.Domain + " Default · Initial · Verified"},
		{demo.AdminUPN, "fr", http.StatusOK, demo.Domain + " Par défaut · Initial · Vérifié"},
		{"christie@" + demo.Domain, "en", http.StatusForbidden, "You do not have permission"},
	} {
		t.Run(tc.upn, func(t *testing.T) {
			b := f.browser(t)
			b.lang = tc.lang
			b.signIn(tc.upn)
			pg := b.get("/domains")
			if pg.status != tc.status || !strings.Contains(pg.text(), tc.want) {
				t.Errorf("status %d, want %d; want %q in:\n%s", pg.status, tc.status, tc.want, pg.text())
			}
			if tc.status == http.StatusOK && !strings.Contains(pg.text(), added.Name) {
				t.Errorf("the added domain is not listed:\n%s", pg.text())
			}
		})
	}
}
