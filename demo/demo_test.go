package demo_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

var seedTime = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// openDB opens a fresh SQLite database in a temporary directory.
func openDB(t *testing.T) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{
		Now:         func() time.Time { return seedTime },
		Synchronous: "NORMAL",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seed seeds db and returns the system principal of the demo tenant.
func seed(t *testing.T, db *sqlstore.DB) allot.Principal {
	t.Helper()
	tenant, err := demo.Seed(context.Background(), db, seedTime)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if tenant.Name != demo.TenantName || tenant.Domain != demo.Domain {
		t.Fatalf("Seed returned tenant %+v, want %s (%s)", tenant, demo.TenantName, demo.Domain)
	}
	return allot.SystemPrincipal(tenant.ID, "test")
}

// skuRow is what the Licenses view shows of one product.
type skuRow struct {
	Part          string
	Enabled       int
	Consumed      int
	Subscriptions int
	AdminCapacity int
}

func TestSeedSubscribedSKUs(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := seed(t, db)
	skus, err := db.FindSubscribedSKUs(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var got []skuRow
	for _, s := range skus {
		got = append(got, skuRow{s.SKU.PartNumber, s.Prepaid.Enabled, s.Consumed, len(s.SubscriptionIDs), s.AdminPool().Capacity})
	}
	want := []skuRow{ // sorted by display name
		{"EXCHANGESTANDARD", 5, 3, 1, 5},
		{"O365_BUSINESS_ESSENTIALS", 3, 1, 1, 0}, // self-service: no admin pool
		{"SPB", 13, 11, 2, 13},
		{"ENTERPRISEPACK", 10, 5, 1, 10},
		{"ENTERPRISEPREMIUM", 3, 2, 1, 3},
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("subscribed SKUs (-want +got):\n-%+v\n+%+v", want, got)
	}
}

func TestSeedSubscriptions(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := seed(t, db)
	subs, err := db.FindSubscriptions(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	lidia, err := db.FindUser(ctx, p, demo.PurchaserUPN)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		SKUID       string
		Quantity    int
		Trial       bool
		Recurring   bool
		OwnerType   string
		PurchasedBy string
		Status      allot.SubscriptionStatus
		InFuture    bool // NextLifecycleAt after the seeding time
	}
	var got []row
	for _, s := range subs {
		got = append(got, row{s.SKUID, s.Quantity, s.IsTrial, s.RecurringBilling, s.OwnerType, s.PurchasedBy, s.Status, s.NextLifecycleAt.After(seedTime)})
	}
	want := []row{ // oldest first
		{demo.SKUBusinessPremium, 5, false, true, allot.OwnerAdmin, "", allot.StatusEnabled, true},
		{demo.SKUOffice365E3, 10, false, true, allot.OwnerAdmin, "", allot.StatusEnabled, true},
		{demo.SKUExchangePlan1, 5, false, true, allot.OwnerAdmin, "", allot.StatusEnabled, true},
		{demo.SKUBusinessPremium, 8, false, true, allot.OwnerAdmin, "", allot.StatusEnabled, true},
		{demo.SKUBusinessBasic, 3, false, true, allot.OwnerUser, lidia.ID, allot.StatusEnabled, true},
		{demo.SKUOffice365E5, 3, true, false, allot.OwnerAdmin, "", allot.StatusEnabled, true},
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("subscriptions (-want +got):\n-%+v\n+%+v", want, got)
	}
	if l := lidia.License(demo.SKUBusinessBasic); l == nil || l.SubscriptionID != subs[4].ID {
		t.Errorf("purchaser's license = %+v, want a seat of her subscription %s", l, subs[4].ID)
	}
}

func TestSeedUserCounts(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := seed(t, db)
	blocked := false
	tests := []struct {
		name   string
		filter allot.UserFilter
		want   int
	}{
		{"all", allot.UserFilter{}, 31},
		{"unlicensed", allot.UserFilter{Unlicensed: true}, 10},
		{"sign-in blocked", allot.UserFilter{Enabled: &blocked}, 1},
		{"Business Premium", allot.UserFilter{SKUID: demo.SKUBusinessPremium}, 11},
		{"Office 365 E3", allot.UserFilter{SKUID: demo.SKUOffice365E3}, 5},
		{"Office 365 E5", allot.UserFilter{SKUID: demo.SKUOffice365E5}, 2},
		{"Exchange Online (Plan 1)", allot.UserFilter{SKUID: demo.SKUExchangePlan1}, 3},
		{"Business Basic", allot.UserFilter{SKUID: demo.SKUBusinessBasic}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.CountUsers(ctx, p, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CountUsers = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestSeedUsers checks every user against Users, so that the documented
// table and the database agree.
func TestSeedUsers(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := seed(t, db)
	type row struct {
		UPN, DisplayName, UsageLocation string
		Enabled                         bool
		Roles                           []allot.Role
		Licenses                        []allot.AssignedLicense
	}
	for _, du := range demo.Users() {
		t.Run(du.UPN(), func(t *testing.T) {
			want := row{du.UPN(), du.DisplayName(), du.UsageLocation, !du.Blocked, du.Roles, du.Licenses}
			u, err := db.FindUser(ctx, p, du.UPN())
			if err != nil {
				t.Fatal(err)
			}
			roles, err := db.FindRoles(ctx, p, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := row{u.UserPrincipalName, u.DisplayName, u.UsageLocation, u.AccountEnabled, roles, nil}
			for _, l := range u.Licenses {
				a := allot.AssignedLicense{SKUID: l.SKUID}
				if len(l.DisabledPlans) > 0 {
					a.DisabledPlans = l.DisabledPlans
				}
				got.Licenses = append(got.Licenses, a)
			}
			slices.SortFunc(want.Licenses, func(a, b allot.AssignedLicense) int { return strings.Compare(a.SKUID, b.SKUID) })
			slices.SortFunc(got.Licenses, func(a, b allot.AssignedLicense) int { return strings.Compare(a.SKUID, b.SKUID) })
			if !reflect.DeepEqual(want, got) {
				t.Errorf("user (-want +got):\n-%+v\n+%+v", want, got)
			}
		})
	}
}

func TestSeedWithoutUsageLocation(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := seed(t, db)
	users, more, err := db.FindUsers(ctx, p, allot.UserFilter{Limit: 1000, WithLicenses: true})
	if err != nil || more {
		t.Fatalf("FindUsers: more=%v err=%v", more, err)
	}
	var got []string
	for _, u := range users {
		if u.UsageLocation == "" {
			got = append(got, u.UserPrincipalName)
			if len(u.Licenses) > 0 {
				t.Errorf("%s has no usage location but holds %+v", u.UserPrincipalName, u.Licenses)
			}
		}
	}
	if want := []string{"irvin@" + demo.Domain}; !reflect.DeepEqual(want, got) {
		t.Errorf("users without usage location: want %v, got %v", want, got)
	}
}

func TestSeedRoles(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := seed(t, db)
	tests := []struct {
		upn  string
		want []allot.Role
	}{
		{demo.AdminUPN, []allot.Role{allot.RoleGlobalAdmin}},
		{"allan@" + demo.Domain, []allot.Role{allot.RoleLicenseAdmin}},
		{"diego@" + demo.Domain, []allot.Role{allot.RoleUserAdmin}},
		{"emily@" + demo.Domain, []allot.Role{allot.RoleBillingAdmin}},
		{"miriam@" + demo.Domain, []allot.Role{allot.RoleGlobalReader}},
		{demo.PurchaserUPN, nil},
		{"adele@" + demo.Domain, nil},
	}
	for _, tt := range tests {
		t.Run(tt.upn, func(t *testing.T) {
			u, err := db.FindUser(ctx, p, tt.upn)
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.FindRoles(ctx, p, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tt.want, got) {
				t.Errorf("roles: want %v, got %v", tt.want, got)
			}
		})
	}
}

// snapshot is what a second Seed must leave unchanged.
type snapshot struct {
	TenantID string
	SKUs     []*allot.SubscribedSKU
	Users    int
	Events   int
}

func takeSnapshot(t *testing.T, db *sqlstore.DB, p allot.Principal) snapshot {
	t.Helper()
	ctx := context.Background()
	skus, err := db.FindSubscribedSKUs(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	users, err := db.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	events, err := db.FindAuditEvents(ctx, p, allot.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{p.TenantID, skus, users, len(events)}
}

func TestSeedTwice(t *testing.T) {
	db := openDB(t)
	p := seed(t, db)
	want := takeSnapshot(t, db, p)
	if want.Events == 0 || want.Users == 0 {
		t.Fatalf("first seed recorded nothing: %+v", want)
	}
	got := takeSnapshot(t, db, seed(t, db))
	if !reflect.DeepEqual(want, got) {
		t.Errorf("after the second Seed (-want +got):\n-%+v\n+%+v", want, got)
	}
}

func TestUsers(t *testing.T) {
	seen := map[string]bool{}
	locations := map[string]int{}
	for _, u := range demo.Users() {
		upn := u.UPN()
		if err := allot.ValidateUPN(upn); err != nil || !strings.HasSuffix(upn, "@"+demo.Domain) {
			t.Errorf("%s: not a UPN of the demo domain: %v", upn, err)
		}
		for _, r := range upn {
			if r > 0x7f || (r >= 'A' && r <= 'Z') {
				t.Errorf("%s: UPN is not lower-case ASCII", upn)
				break
			}
		}
		if seen[upn] {
			t.Errorf("%s: listed twice", upn)
		}
		seen[upn] = true
		locations[u.UsageLocation]++
	}
	if want := map[string]int{"US": 22, "FR": 8, "": 1}; !reflect.DeepEqual(want, locations) {
		t.Errorf("usage locations: want %v, got %v", want, locations)
	}
	for _, upn := range []string{demo.AdminUPN, demo.PurchaserUPN, "chloe@" + demo.Domain, "theo@" + demo.Domain} {
		if !seen[upn] {
			t.Errorf("%s: missing", upn)
		}
	}
}

func TestSeedUnknownSKU(t *testing.T) {
	// A catalog without the demo's products makes seeding fail clearly.
	c, err := allot.ParseCatalog(strings.NewReader(`{"servicePlans": [{"id": "9aaf7827-d63c-4b61-89c3-182f06f82e5c", "name": "EXCHANGE_S_STANDARD", "displayName": {"en": "Exchange"}, "service": "exchange", "data": "mailbox"}],
		"skus": [{"id": "4b9405b0-7788-4568-add1-99614e613b69", "partNumber": "EXCHANGESTANDARD", "displayName": {"en": "Exchange Online (Plan 1)"}, "plans": ["EXCHANGE_S_STANDARD"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Catalog: c, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = demo.Seed(context.Background(), db, seedTime)
	if got := allot.ErrorCode(err); got != allot.EINVALID {
		t.Errorf("Seed with a catalog lacking the demo's SKUs: code %q (%v), want %q", got, err, allot.EINVALID)
	}
}
