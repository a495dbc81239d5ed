package index_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/sqlstore"
)

// bulkFixture is a tenant imported for BulkEntitlements: users by role,
// and the self-service subscription one of them bought.
type bulkFixture struct {
	tenant                          string
	disabled, self, off, bare, gone *allot.User
	later                           *allot.User // given E3 after the index loaded
	selfSub                         string
}

// importBulkFixture imports the fixture's tenant into db.
func importBulkFixture(t *testing.T, db *sqlstore.DB) *bulkFixture {
	t.Helper()
	id := func(n int) string { return fmt.Sprintf("d0000000-0000-4000-8000-%012d", n) }
	f := &bulkFixture{tenant: id(1), selfSub: id(3)}
	user := func(n int, upn string, enabled bool, ls ...allot.License) *allot.User {
		return &allot.User{ID: id(n), UserPrincipalName: upn, DisplayName: "U", UsageLocation: "FR", AccountEnabled: enabled, Licenses: ls}
	}
	// Disabled plans out of order: the index keeps them as bits and
	// gives them sorted.
	f.disabled = user(10, "Ada.Lovelace@idx.example", true, allot.License{SKUID: e3, DisabledPlans: []string{exch2, teams}})
	f.self = user(11, "self@idx.example", true, allot.License{SKUID: bp, SubscriptionID: f.selfSub, DisabledPlans: []string{}})
	f.off = user(12, "off@idx.example", false, allot.License{SKUID: e3, DisabledPlans: []string{}})
	f.bare = user(13, "bare@idx.example", true)
	f.gone = user(14, "gone@idx.example", true, allot.License{SKUID: e3, DisabledPlans: []string{}})
	f.later = user(15, "later@idx.example", true)
	set := sqlstore.ImportSet{
		Tenant: &allot.Tenant{ID: f.tenant, Name: "Idx", Domain: "idx.example"},
		Subscriptions: []*allot.Subscription{
			{ID: id(2), SKUID: e3, Quantity: 10, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin},
			{ID: f.selfSub, SKUID: bp, Quantity: 1, Status: allot.StatusEnabled, OwnerType: allot.OwnerUser, PurchasedBy: f.self.ID},
		},
		Users: []*allot.User{f.disabled, f.self, f.off, f.bare, f.gone, f.later},
	}
	must(t, db.Import(context.Background(), set))
	must(t, db.DeleteUser(context.Background(), allot.SystemPrincipal(f.tenant, "test"), f.gone.ID))
	return f
}

// TestBulkEntitlements checks the entitlements the index gives a bulk
// change to plan from: its users named by id (in any case, spaced) or
// userPrincipalName in any case, by key in lower case; each user's
// licenses (SKU, pool, disabled plans sorted and never nil), version (the
// store's, after a change applied since the load), account state, usage
// location and userPrincipalName as spelled; and false as soon as one
// key names no user of the tenant that is not deleted, or before the load.
func TestBulkEntitlements(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	ix := index.New(db.Catalog(), db)
	if _, ok := ix.BulkEntitlements("any", nil); ok {
		t.Errorf("an index not loaded answers")
	}
	db.OnCommit(func(c allot.Change) { must(t, ix.Apply(ctx, c)) })
	f := importBulkFixture(t, db)
	other := newWorld(t, db)
	must(t, ix.Load(ctx))
	_, err := db.AssignLicenses(ctx, allot.SystemPrincipal(f.tenant, "test"), f.later.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3, DisabledPlans: []string{teams}}}})
	must(t, err)
	versions := map[string]int64{}
	es, err := db.FindEntitlements(ctx, f.tenant, []string{f.disabled.ID, f.self.ID, f.off.ID, f.bare.ID, f.later.ID})
	must(t, err)
	for _, e := range es {
		versions[e.UserID] = e.Version
	}
	if versions[f.later.ID] <= versions[f.bare.ID] {
		t.Fatalf("versions %v: the user changed since the load should be ahead", versions)
	}
	ent := func(u *allot.User, ls ...allot.License) *allot.Entitlement {
		return &allot.Entitlement{TenantID: f.tenant, UserID: u.ID, UserPrincipalName: u.UserPrincipalName,
			AccountEnabled: u.AccountEnabled, UsageLocation: "FR", Licenses: ls, Version: versions[u.ID]}
	}
	disabled := ent(f.disabled, allot.License{SKUID: e3, DisabledPlans: []string{teams, exch2}})
	tests := []struct {
		name   string
		tenant string
		keys   []string
		want   map[string]*allot.Entitlement
		wantOK bool
	}{
		{"by id", f.tenant, []string{f.disabled.ID}, map[string]*allot.Entitlement{f.disabled.ID: disabled}, true},
		{"by upper-case id, spaced", f.tenant, []string{" " + strings.ToUpper(f.disabled.ID) + "\t"}, map[string]*allot.Entitlement{f.disabled.ID: disabled}, true},
		{"by UPN in any case", f.tenant, []string{"ADA.LOVELACE@IDX.EXAMPLE", " ada.lovelace@idx.example "},
			map[string]*allot.Entitlement{"ada.lovelace@idx.example": disabled}, true},
		{"twice, by id and by UPN", f.tenant, []string{f.disabled.ID, f.disabled.UserPrincipalName, strings.ToUpper(f.disabled.ID)},
			map[string]*allot.Entitlement{f.disabled.ID: disabled, "ada.lovelace@idx.example": disabled}, true},
		{"a self-service license", f.tenant, []string{f.self.ID},
			map[string]*allot.Entitlement{f.self.ID: ent(f.self, allot.License{SKUID: bp, SubscriptionID: f.selfSub, DisabledPlans: []string{}})}, true},
		{"an account disabled", f.tenant, []string{f.off.UserPrincipalName},
			map[string]*allot.Entitlement{f.off.UserPrincipalName: ent(f.off, allot.License{SKUID: e3, DisabledPlans: []string{}})}, true},
		{"no license", f.tenant, []string{f.bare.ID}, map[string]*allot.Entitlement{f.bare.ID: ent(f.bare)}, true},
		{"changed since the load", f.tenant, []string{f.later.ID},
			map[string]*allot.Entitlement{f.later.ID: ent(f.later, allot.License{SKUID: e3, DisabledPlans: []string{teams}})}, true},
		{"no keys", f.tenant, nil, map[string]*allot.Entitlement{}, true},
		{"an unknown UPN among known users", f.tenant, []string{f.bare.ID, "ghost@idx.example"}, nil, false},
		{"not an id", f.tenant, []string{"not-a-guid"}, nil, false},
		{"a deleted user, by id", f.tenant, []string{f.bare.ID, f.gone.ID}, nil, false},
		{"a deleted user, by UPN", f.tenant, []string{f.gone.UserPrincipalName}, nil, false},
		{"another tenant's user", f.tenant, []string{other.users[0].ID}, nil, false},
		{"an unknown tenant", "no-such-tenant", []string{f.bare.ID}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, ok := ix.BulkEntitlements(tt.tenant, tt.keys)
			got := byKey(t, tt.keys, es, ok)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BulkEntitlements (-want +got):\n-%v %s\n+%v %s", tt.wantOK, showEntitlements(tt.want), ok, showEntitlements(got))
			}
		})
	}
}

// byKey keys BulkEntitlements' answer es by the keys asked, in lower case
// without spaces (nil when it declined), failing the test when es is of
// another length or one user is two entitlements in it.
func byKey(t *testing.T, keys []string, es []*allot.Entitlement, ok bool) map[string]*allot.Entitlement {
	t.Helper()
	if !ok {
		return nil
	}
	if len(es) != len(keys) {
		t.Fatalf("%d entitlements for %d keys", len(es), len(keys))
	}
	m := make(map[string]*allot.Entitlement, len(keys))
	byID := map[string]*allot.Entitlement{}
	for i, e := range es {
		if first := byID[e.UserID]; first != nil && first != e {
			t.Errorf("user %s is two entitlements", e.UserID)
		}
		byID[e.UserID] = e
		m[strings.ToLower(strings.TrimSpace(keys[i]))] = e
	}
	return m
}

func showEntitlements(m map[string]*allot.Entitlement) string {
	if m == nil {
		return "nil"
	}
	var b strings.Builder
	for k, e := range m {
		fmt.Fprintf(&b, "\n  %s: %+v", k, *e)
	}
	return b.String()
}

// TestBulkEntitlementsInexact: the index declines to a bulk change a user
// it does not copy exactly, whether it read the user in its load or from a
// change: a usage location that is not two bytes, a license of a SKU
// outside the catalog (which the index drops), or without its profile,
// whose userPrincipalName in its case the entitlement gives (a change
// without the profile after a version skipped). A later exact state of the
// user is given again.
func TestBulkEntitlementsInexact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "allot.db"), sqlstore.Options{Synchronous: "NORMAL"})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	f := importBulkFixture(t, db)
	raw, err := sql.Open("sqlite", filepath.Join(dir, "allot.db"))
	must(t, err)
	defer raw.Close()
	_, err = raw.Exec(`UPDATE users SET usage_location = 'FRA' WHERE user_id = ?`, f.bare.ID)
	must(t, err)
	_, err = raw.Exec(`INSERT INTO licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at) VALUES (?, ?, ?, '', '', 0)`,
		f.tenant, f.off.ID, "00000000-0000-4000-8000-00000000dead")
	must(t, err)
	ix := index.New(db.Catalog(), db)
	must(t, ix.Load(ctx))
	apply := func(e *allot.Entitlement) {
		t.Helper()
		must(t, ix.Apply(ctx, allot.Change{TenantID: f.tenant, Entitlements: []*allot.Entitlement{e}}))
	}
	exact := func(u *allot.User, version int64) *allot.Entitlement {
		return &allot.Entitlement{TenantID: f.tenant, UserID: u.ID, UserPrincipalName: u.UserPrincipalName, AccountEnabled: true,
			UsageLocation: "FR", Version: version, Profile: &allot.UserProfile{DisplayName: "U"}}
	}
	tests := []struct {
		name   string
		change *allot.Entitlement // applied first, if any
		user   *allot.User
		want   bool
	}{
		{"loaded: an exact user", nil, f.self, true},
		{"loaded: a usage location of three letters", nil, f.bare, false},
		{"loaded: a license outside the catalog", nil, f.off, false},
		{"changed: exact again", exact(f.bare, 100), f.bare, true},
		{"changed: a usage location of one letter", &allot.Entitlement{TenantID: f.tenant, UserID: f.bare.ID, UserPrincipalName: f.bare.UserPrincipalName,
			AccountEnabled: true, UsageLocation: "F", Version: 101}, f.bare, false},
		{"changed: exact, and a license outside the catalog", &allot.Entitlement{TenantID: f.tenant, UserID: f.off.ID, UserPrincipalName: f.off.UserPrincipalName,
			AccountEnabled: true, UsageLocation: "FR", Version: 100, Licenses: []allot.License{{SKUID: e3}, {SKUID: "00000000-0000-4000-8000-00000000beef"}}}, f.off, false},
		{"changed: exact, the license outside the catalog gone", exact(f.off, 101), f.off, true},
		{"changed: exact, a version skipped, without the profile", &allot.Entitlement{TenantID: f.tenant, UserID: f.off.ID,
			UserPrincipalName: f.off.UserPrincipalName, AccountEnabled: true, UsageLocation: "FR", Version: 103}, f.off, false},
		{"changed: the profile again", exact(f.off, 104), f.off, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.change != nil {
				apply(tt.change)
			}
			if _, ok := ix.BulkEntitlements(f.tenant, []string{tt.user.ID}); ok != tt.want {
				t.Errorf("BulkEntitlements(%s) ok = %v, want %v", tt.user.UserPrincipalName, ok, tt.want)
			}
		})
	}
}

// TestBulkEntitlementsSlices names more users than one hold of the lock
// takes (a slice of Apply's size): every key is answered, and a user named
// by id in the first slice and by UPN in a later one is one entitlement.
func TestBulkEntitlementsSlices(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	ix := index.New(db.Catalog(), db)
	f := importBulkFixture(t, db)
	must(t, ix.Load(ctx))
	keys := []string{f.disabled.ID}
	for range 5000 {
		keys = append(keys, f.bare.ID, strings.ToUpper(f.bare.ID))
	}
	keys = append(keys, f.disabled.UserPrincipalName, f.self.ID)
	es, ok := ix.BulkEntitlements(f.tenant, keys)
	got := byKey(t, keys, es, ok)
	if !ok || len(got) != 4 {
		t.Fatalf("BulkEntitlements of %d keys: %d entitlements, %v; want 4, true (keys in lower case)", len(keys), len(got), ok)
	}
	byUPN := got[strings.ToLower(f.disabled.UserPrincipalName)]
	if byUPN == nil || byUPN != got[f.disabled.ID] {
		t.Errorf("a user named by id in the first slice and by UPN in the last: %p and %p, want one entitlement", got[f.disabled.ID], byUPN)
	}
	if e := got[f.self.ID]; e == nil || e.UserID != f.self.ID {
		t.Errorf("the last key's user: %+v", e)
	}
}
