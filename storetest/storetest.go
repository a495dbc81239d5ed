// Package storetest is the conformance suite every allot storage backend
// must pass, in the manner of testing/fstest.TestFS: a backend's tests call
// Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// Store is what a backend provides: every domain service, its catalog and
// a check of its seat counters against the assignment rows.
type Store interface {
	allot.TenantService
	allot.SubscriptionService
	allot.UserService
	allot.LicenseService
	allot.RoleService
	allot.AuditService
	allot.TokenService
	allot.DomainService
	allot.UserImportService
	allot.DataService
	allot.HoldService
	allot.OffboardService
	allot.PasswordService
	allot.EntitlementSource
	allot.SelfServiceService
	allot.UserReadService
	allot.SeatHistoryService
	Catalog() *allot.Catalog
	// AdvanceSubscriptions runs the subscription lifecycle step at now
	// and returns how many transitions it made.
	AdvanceSubscriptions(ctx context.Context, now time.Time) (int, error)
	// CounterMismatches returns one line per seat pool whose counter
	// differs from its assignment rows.
	CounterMismatches(ctx context.Context) ([]string, error)
}

// Opener opens a new empty store whose clock is c.
type Opener func(t *testing.T, c *Clock) Store

// Clock is a settable time source for stores under test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to a fixed instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Well-known SKUs of the demo catalog used by the suite.
const (
	BusinessPremium = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
	BusinessBasic   = "3b555118-da6a-4418-894f-7df1e2096870"
	O365E3          = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	O365E5          = "c7df2760-2c81-4ef7-b578-5b5392b571df"
	ExchangePlan1   = "4b9405b0-7788-4568-add1-99614e613b69"
	ExchangePlan2   = "19ec0d23-8335-4cbd-94ac-6050e30712fa"
	ExchangeArchive = "ee02fd1b-340e-4a4b-b355-4a514e4c8943"
	M365E3          = "05e9a617-0261-4cee-bb44-138d3ef5d965"
	PlanExchange1   = "9aaf7827-d63c-4b61-89c3-182f06f82e5c" // EXCHANGE_S_STANDARD
	PlanExchange2   = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
	PlanTeams       = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1
)

// Run runs the whole suite against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Tenants", testTenants},
		{"Subscriptions", testSubscriptions},
		{"SubscriptionStatuses", testSubscriptionStatuses},
		{"BuyAddRemove", testBuyAddRemove},
		{"ReductionRace", testReductionRace},
		{"SubscriptionLifecycle", testSubscriptionLifecycle},
		{"CancelRenew", testCancelRenew},
		{"Trials", testTrials},
		{"TakeoverAdminManaged", testTakeoverAdminManaged},
		{"TakeoverMove", testTakeoverMove},
		{"Reclaim", testReclaim},
		{"SeatDays", testSeatDays},
		{"SelfServicePolicy", testSelfServicePolicy},
		{"Users", testUsers},
		{"UserFilters", testUserFilters},
		{"UserPaging", testUserPaging},
		{"UserOrder", testUserOrder},
		{"UserReads", testUserReads},
		{"DeleteRestorePurge", testDeleteRestorePurge},
		{"AssignRules", testAssignRules},
		{"AssignAtomic", testAssignAtomic},
		{"DisabledPlans", testDisabledPlans},
		{"SelfService", testSelfService},
		{"Bulk", testBulk},
		{"BulkLarge", testBulkLarge},
		{"Roles", testRoles},
		{"TenantIsolation", testTenantIsolation},
		{"Audit", testAudit},
		{"Tokens", testTokens},
		{"LastSeatRace", testLastSeatRace},
		{"AuthorizeFirst", testAuthorizeFirst},
		{"BulkRefusedFirst", testBulkRefusedFirst},
		{"DuplicateSKUs", testDuplicateSKUs},
		{"OperatorAudit", testOperatorAudit},
		{"ErrorFields", testErrorFields},
		{"RoleAssignments", testRoleAssignments},
		{"LastGlobalAdmin", testLastGlobalAdmin},
		{"LastGlobalAdminRace", testLastGlobalAdminRace},
		{"AppTokens", testAppTokens},
		{"Domains", testDomains},
		{"TenantSetup", testTenantSetup},
		{"DomainRace", testDomainRace},
		{"UserImport", testUserImport},
		{"UserImportData", testUserImportData},
		{"MailboxLifecycle", testMailboxLifecycle},
		{"Holds", testHolds},
		{"SearchablePages", testSearchablePages},
		{"DeletedUserData", testDeletedUserData},
		{"PreviewIsOutcome", testPreviewIsOutcome},
		{"BulkDataPreview", testBulkDataPreview},
		{"FileRetention", testFileRetention},
		{"Offboard", testOffboard},
		{"Passwords", testPasswords},
		{"PasswordChange", testPasswordChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// Fixture is a tenant with subscriptions, administrators and users.
type Fixture struct {
	T      *testing.T
	S      Store
	Clock  *Clock
	Tenant *allot.Tenant
	Sys    allot.Principal
	Admins map[allot.Role]allot.Principal
	Plain  allot.Principal // an ordinary user without roles
	ctx    context.Context
}

// NewFixture opens a store and fills a tenant with the given domain:
// Business Premium 5 + 8 seats, Office 365 E3 with e3Seats, Exchange Online
// Plan 1 and 2 with 3 each, the archiving add-on with 2, and one user per
// role (all with usage location FR).
func NewFixture(t *testing.T, open Opener, e3Seats int) *Fixture {
	t.Helper()
	c := NewClock()
	f := &Fixture{T: t, S: open(t, c), Clock: c, ctx: context.Background()}
	f.AddTenant("contoso.example", e3Seats)
	return f
}

// AddTenant makes the fixture's tenant a new one with the given domain.
func (f *Fixture) AddTenant(domain string, e3Seats int) {
	f.T.Helper()
	f.Tenant = &allot.Tenant{Name: domain, Domain: domain}
	must(f.T, f.S.CreateTenant(f.ctx, f.Tenant))
	f.Sys = allot.SystemPrincipal(f.Tenant.ID, "test")
	f.Sys.Via = allot.ChannelCLI
	for _, s := range []struct {
		sku string
		q   int
	}{{BusinessPremium, 5}, {BusinessPremium, 8}, {O365E3, e3Seats}, {ExchangePlan1, 3}, {ExchangePlan2, 3}, {ExchangeArchive, 2}} {
		f.Subscribe(s.sku, s.q)
	}
	f.Admins = map[allot.Role]allot.Principal{}
	for i, r := range allot.Roles {
		u := f.User(fmt.Sprintf("admin%d@%s", i, domain), "FR")
		must(f.T, f.S.AssignRole(f.ctx, f.Sys, u.ID, r))
		f.Admins[r] = allot.Principal{TenantID: f.Tenant.ID, UserID: u.ID, Name: u.UserPrincipalName, Roles: []allot.Role{r}, Via: allot.ChannelAPI}
	}
	plain := f.User("plain@"+domain, "FR")
	f.Plain = allot.Principal{TenantID: f.Tenant.ID, UserID: plain.ID, Name: plain.UserPrincipalName, Via: allot.ChannelAPI}
}

// Subscribe adds an admin-managed Enabled subscription.
func (f *Fixture) Subscribe(sku string, quantity int) *allot.Subscription {
	f.T.Helper()
	s := &allot.Subscription{SKUID: sku, Quantity: quantity, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, RecurringBilling: true,
		NextLifecycleAt: f.Clock.Now().AddDate(1, 0, 0)}
	must(f.T, f.S.CreateSubscription(f.ctx, f.Sys, s))
	return s
}

// User creates an enabled user with a usage location ("" for none).
func (f *Fixture) User(upn, location string) *allot.User {
	f.T.Helper()
	u := &allot.User{UserPrincipalName: upn, DisplayName: upn, UsageLocation: location, AccountEnabled: true}
	must(f.T, f.S.CreateUser(f.ctx, f.Sys, u))
	return u
}

// Admin returns the Global Administrator principal.
func (f *Fixture) Admin() allot.Principal { return f.Admins[allot.RoleGlobalAdmin] }

// Assign adds SKUs to a user as the Global Administrator and fails the test
// on error.
func (f *Fixture) Assign(userID string, skus ...string) *allot.User {
	f.T.Helper()
	u, err := f.S.AssignLicenses(f.ctx, f.Admin(), userID, add(skus...))
	must(f.T, err)
	return u
}

// SKU returns the tenant's aggregate of one SKU.
func (f *Fixture) SKU(id string) *allot.SubscribedSKU {
	f.T.Helper()
	s, err := f.S.FindSubscribedSKU(f.ctx, f.Sys, id)
	must(f.T, err)
	return s
}

// CheckCounters fails the test if a seat counter differs from its rows.
func (f *Fixture) CheckCounters() {
	f.T.Helper()
	bad, err := f.S.CounterMismatches(f.ctx)
	must(f.T, err)
	if len(bad) > 0 {
		f.T.Fatalf("seat counters differ from assignments:\n%v", bad)
	}
}

func add(skus ...string) allot.LicenseChange {
	var ch allot.LicenseChange
	for _, s := range skus {
		ch.Add = append(ch.Add, allot.AssignedLicense{SKUID: s})
	}
	return ch
}

func remove(skus ...string) allot.LicenseChange { return allot.LicenseChange{Remove: skus} }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantCode fails unless err carries the allot error code want ("" for nil).
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := allot.ErrorCode(err); got != want {
		t.Errorf("%s: error code = %q (%v), want %q", what, got, err, want)
	}
}

func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n-want %+v\n+got  %+v", what, want, got)
	}
}

func skuIDs(ls []allot.License) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.SKUID)
	}
	return out
}

// wantFields fails unless err is an *allot.Error with the code and fields
// of want (its message aside).
func wantFields(t *testing.T, what string, err error, want *allot.Error) {
	t.Helper()
	var e *allot.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: error %v, want %+v", what, err, *want)
		return
	}
	got := *e
	got.Message = ""
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("%s (-want +got):\n-%+v\n+%+v", what, *want, got)
	}
}
