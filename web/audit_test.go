package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestAuditRoles checks who opens the audit log and sees it in the menu:
// the roles that may read it (allot.ActionReadAudit), License
// Administrators seeing only license events.
func TestAuditRoles(t *testing.T) {
	f := newFixture(t)
	if err := f.db.CreateUser(context.Background(), f.sysUser, &allot.User{UserPrincipalName: "new@" + demo.Domain, DisplayName: "New Person", AccountEnabled: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, upn string
		want      int
		addUser   bool // sees the "Add user" event
	}{
		{"global admin", demo.AdminUPN, http.StatusOK, true},
		{"global reader", "miriam@" + demo.Domain, http.StatusOK, true},
		{"license admin", "allan@" + demo.Domain, http.StatusOK, false},
		{"billing admin", "emily@" + demo.Domain, http.StatusForbidden, false},
		{"ordinary user", demo.PurchaserUPN, http.StatusForbidden, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.browser(t)
			b.signIn(tt.upn)
			res := b.get("/audit?target=new@" + demo.Domain)
			if res.status != tt.want {
				t.Fatalf("GET /audit: %d, want %d", res.status, tt.want)
			}
			if got := strings.Contains(res.text(), "Add user · Users"); got != tt.addUser {
				t.Errorf("lists Add user: %v, want %v:\n%s", got, tt.addUser, res.text())
			}
			if got, nav := strings.Contains(b.get("/my").body, `href="/audit"`), tt.want == http.StatusOK; got != nav {
				t.Errorf("menu links to /audit: %v, want %v", got, nav)
			}
		})
	}
}

// TestAuditFilters checks the filters (target, actor, activity, dates),
// their refusals beside the field, the keyset paging and the dates in
// the page's language.
func TestAuditFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	adele := "adele@" + demo.Domain
	if _, err := f.db.AssignLicenses(ctx, f.sysUser, adele, allot.LicenseChange{Remove: []string{demo.SKUBusinessPremium}}); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	res := b.get("/audit?target=" + adele + "&category=UserManagement&from=2026-11-20&until=2026-11-20")
	if res.status != http.StatusOK {
		t.Fatalf("status %d:\n%s", res.status, res.text())
	}
	for _, want := range []string{"Nov 20, 2026 10:00 UTC Change user license · Users test Adele Vance (" + adele + ")"} {
		if !strings.Contains(res.text(), want) {
			t.Errorf("audit log lacks %q:\n%s", want, res.text())
		}
	}
	if strings.Contains(res.text(), "Sign in to the admin center") {
		t.Errorf("the target filter lets other events through:\n%s", res.text())
	}
	if got := b.get("/audit?target=" + adele + "&from=2026-11-21").text(); !strings.Contains(got, "No event matches.") {
		t.Errorf("a later date still lists events:\n%s", got)
	}
	if got := b.get("/audit?target=" + adele + "&category=RoleManagement").text(); !strings.Contains(got, "No event matches.") {
		t.Errorf("the activity filter lets user events through:\n%s", got)
	}
	fr := f.browser(t)
	fr.lang = "fr"
	fr.signIn(demo.AdminUPN)
	if got := fr.get("/audit?target=" + adele).text(); !strings.Contains(got, "20 nov. 2026 10:00 UTC Modifier la licence de l'utilisateur · Utilisateurs") {
		t.Errorf("French audit log lacks the French date and category:\n%s", got)
	}
	refusals := []struct{ name, query, want string }{
		{"unknown actor", "?actor=nobody@" + demo.Domain, `id="audit-actor-error" role="alert">No user is named nobody@` + demo.Domain},
		{"unknown target", "?target=ghost", `id="audit-target-error" role="alert">No user is named ghost.`},
		{"bad date", "?from=20-11-2026", `id="audit-date-error" role="alert">Give dates as YYYY-MM-DD`},
		{"dates reversed", "?from=2026-11-21&until=2026-11-20", `id="audit-date-error" role="alert">`},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			res := b.get("/audit" + tt.query)
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, tt.want) {
				t.Errorf("status %d, want 422 with %q:\n%s", res.status, tt.want, res.body)
			}
		})
	}
	if got := b.get("/audit?before=x").status; got != http.StatusBadRequest {
		t.Errorf("bad cursor: %d, want 400", got)
	}
}

// TestAuditPaging pages through the demo tenant's log (its seeding is
// more than one page): no event twice, newest first.
func TestAuditPaging(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	all, err := f.db.FindAuditEvents(context.Background(), f.sysUser, allot.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) <= auditPageSize {
		t.Fatalf("the demo log has %d events, too few to page", len(all))
	}
	next := regexp.MustCompile(`href="/audit(\?[^"]*before=[^"]*)"`)
	rows := regexp.MustCompile(`<tr>\s*<td>`)
	path, seen := "", 0
	for pages := 0; pages < 100; pages++ {
		res := b.get("/audit" + strings.ReplaceAll(path, "&amp;", "&"))
		if res.status != http.StatusOK {
			t.Fatalf("page %d: %d", pages, res.status)
		}
		seen += len(rows.FindAllString(res.body, -1))
		m := next.FindStringSubmatch(res.body)
		if m == nil {
			break
		}
		path = m[1]
	}
	if seen != len(all) {
		t.Errorf("paged through %d events, the log has %d", seen, len(all))
	}
}

// TestAuditLabels checks that every action the audit log knows and every
// channel has a label in every language, and that an action or a channel
// it does not know is shown as recorded.
func TestAuditLabels(t *testing.T) {
	l, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range auditCategories {
		actions, err := allot.AuditScope(allot.SystemPrincipal("t", "test"), allot.AuditFilter{Category: c})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range actions {
			keys = append(keys, "audit.action."+a)
		}
	}
	if len(keys) < 20 {
		t.Errorf("found %d audit actions, fewer than allot records: the enumeration is broken", len(keys))
	}
	for _, via := range allot.Channels() {
		keys = append(keys, "audit.via."+string(via))
	}
	for _, key := range keys {
		for _, lang := range languages {
			if _, ok := l.lookup(lang, key); !ok {
				t.Errorf("%s: no label %s", lang, key)
			}
		}
	}
	tests := []struct{ name, lang, action, via, want string }{
		{"english", "en", allot.AuditSubscriptionCreate, "", "Add subscription"},
		{"french", "fr", allot.AuditSubscriptionCreate, "", "Ajouter un abonnement"},
		{"french license", "fr", allot.AuditLicenseRemove, "", "Modifier la licence de l'utilisateur"},
		{"unknown in english", "en", "widget.frob", "", "widget.frob"},
		{"unknown in french", "fr", "widget.frob", "", "widget.frob"},
		{"channel in english", "en", "", string(allot.ChannelUI), "Admin center"},
		{"channel in french", "fr", "", string(allot.ChannelCLI), "Ligne de commande"},
		{"unknown channel", "fr", "", "Pigeon", "Pigeon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base{Lang: tt.lang, loc: l}
			got := b.ActivityName(tt.action)
			if tt.via != "" {
				got = b.ChannelName(allot.Channel(tt.via))
			}
			if got != tt.want {
				t.Errorf("the label of %q%q in %s = %q, want %q", tt.action, tt.via, tt.lang, got, tt.want)
			}
		})
	}
}

// skuArchiving is a product whose French name differs from its English one.
const skuArchiving = "ee02fd1b-340e-4a4b-b355-4a514e4c8943" // EXCHANGEARCHIVE_ADDON

// TestAuditSubscriptionNames checks that a subscription's event names the
// product in the page's language, with the subscription's id below it;
// that a product's own event (its self-service policy, recorded with the
// product's id as target) names the product alone; and that the activity
// and the channel are in the page's language.
func TestAuditSubscriptionNames(t *testing.T) {
	f := newFixture(t)
	f.now = f.now.Add(time.Hour)
	sub := &allot.Subscription{SKUID: skuArchiving, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, Quantity: 2}
	if err := f.db.CreateSubscription(context.Background(), f.sysUser, sub); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SetSelfServicePolicy(context.Background(), f.sysUser, skuArchiving, allot.PolicyTrials, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang      string
		want, not []string
	}{
		{"en", []string{
			"Nov 20, 2026 11:00 UTC Add subscription · Directory test Exchange Online Archiving for Exchange Online Subscription " + sub.ID,
			"Update subscription · Directory test Exchange Online Archiving for Exchange Online System",
		}, []string{"subscription " + sub.ID, "Subscription " + skuArchiving}},
		{"fr", []string{
			"20 nov. 2026 11:00 UTC Ajouter un abonnement · Annuaire test Archivage Exchange Online pour Exchange Online Abonnement " + sub.ID,
			"Modifier l'abonnement · Annuaire test Archivage Exchange Online pour Exchange Online Système",
		}, []string{"subscription " + sub.ID, "Abonnement " + skuArchiving}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			b := f.browser(t)
			b.lang = tt.lang
			b.signIn(demo.AdminUPN)
			got := b.get("/audit?category=DirectoryManagement").text()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("audit log lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("audit log names %q (a subscription by its id alone, or the product's id as a subscription's):\n%s", n, got)
				}
			}
		})
	}
}
