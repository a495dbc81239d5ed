package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestUserPaneData checks the Data section of a user's pane: the mailbox
// and files as the data lifecycle has them, with dates in the page's
// language, and the holds on the user for Global Administrators only.
func TestUserPaneData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	adele := "adele@" + demo.Domain
	id := f.userID(t, adele)
	if _, err := f.db.AssignLicenses(ctx, f.sysUser, adele, allot.LicenseChange{Remove: []string{demo.SKUBusinessPremium}}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateHold(ctx, f.sysUser, &allot.Hold{UserID: adele, Name: "Case 7"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, upn, lang string
		want, notWant   []string
	}{
		{"admin", demo.AdminUPN, "en", []string{
			"Data Mailbox Disconnected, purged on Dec 20, 2026 unless a license with a mailbox comes back",
			"Files Kept Holds Case 7 (Nov 20, 2026 by test) · Manage holds"}, nil},
		{"admin in French", demo.AdminUPN, "fr", []string{
			"Données Boîte aux lettres Déconnectée, supprimée définitivement le 20 déc. 2026",
			"Fichiers Conservés Conservations Case 7 (le 20 nov. 2026 par test)"}, nil},
		{"global reader", "miriam@" + demo.Domain, "en", []string{"Mailbox Disconnected, purged on Dec 20, 2026"}, []string{"Case 7", "Manage holds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.browser(t)
			b.lang = tt.lang
			b.signIn(tt.upn)
			res := b.get("/users/" + id + "?lang=" + tt.lang)
			if res.status != http.StatusOK {
				t.Fatalf("status %d", res.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.text(), w) {
					t.Errorf("pane lacks %q:\n%s", w, res.text())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(res.text(), w) {
					t.Errorf("pane shows %q:\n%s", w, res.text())
				}
			}
		})
	}
}
