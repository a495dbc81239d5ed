// Package demo seeds a database with the demo tenant Contoso
// (contoso.example), so that the admin center, the API and the CLI have
// something to show and tests have a realistic tenant to work on.
//
// The content is fixed; only the ids come from the store:
//
//   - Subscriptions: Microsoft 365 Business Premium as two subscriptions of
//     5 and 8 licenses (the Licenses view shows 13), Office 365 E3 (10),
//     Exchange Online (Plan 1) (5), a 30-day trial of Office 365 E5 (3,
//     recurring billing off) and a self-service purchase of Microsoft 365
//     Business Basic (3) by Lidia Holloway, who holds one of its seats.
//   - 31 users, listed by Users: Microsoft's demo names with usage location
//     US, French names with FR, Irvin Sayers with no usage location (and so
//     no license), and Enrico Cattaneo, whose sign-in is blocked but who
//     still holds a Business Premium license (a former employee not yet
//     cleaned up).
//   - Licenses: 11 of 13 Business Premium, 5 of 10 E3, 3 of 5 Exchange
//     Online (Plan 1), 2 of 3 E5 and 1 of 3 Business Basic are assigned; 10
//     users hold nothing. Johanna Lorenz holds Business Premium with
//     Exchange Online (Plan 1) disabled next to E3, whose Exchange Online
//     (Plan 2) would otherwise conflict with it; Grady Archie holds Business
//     Premium with Viva Engage disabled.
//   - Roles: admin@contoso.example ("MOD Administrator") is Global
//     Administrator, allan@ License Administrator, diego@ User
//     Administrator, emily@ Billing Administrator and miriam@ Global Reader.
//     Everyone else, including the purchaser lidia@, is an ordinary user.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// The demo tenant's well-known names.
const (
	TenantName   = "Contoso"
	Domain       = "contoso.example"
	AdminUPN     = "admin@" + Domain
	PurchaserUPN = "lidia@" + Domain // bought the self-service Business Basic subscription
)

// The skuIds of the products the demo tenant holds, as in the demo catalog.
const (
	SKUBusinessPremium = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46" // SPB
	SKUBusinessBasic   = "3b555118-da6a-4418-894f-7df1e2096870" // O365_BUSINESS_ESSENTIALS
	SKUOffice365E3     = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK
	SKUOffice365E5     = "c7df2760-2c81-4ef7-b578-5b5392b571df" // ENTERPRISEPREMIUM
	SKUExchangePlan1   = "4b9405b0-7788-4568-add1-99614e613b69" // EXCHANGESTANDARD
)

// The servicePlanIds of the plans some demo users have disabled.
const (
	PlanExchangeStandard = "9aaf7827-d63c-4b61-89c3-182f06f82e5c" // EXCHANGE_S_STANDARD
	PlanVivaEngage       = "7547a3fe-08ee-4ccb-b430-5077c5041653" // YAMMER_ENTERPRISE
)

// Store is what seeding needs of a storage backend; *sqlstore.DB is one.
type Store interface {
	allot.TenantService
	allot.SubscriptionService
	allot.UserService
	allot.LicenseService
	allot.RoleService
}

// User is one user of the demo tenant as Seed creates it.
type User struct {
	GivenName     string
	Surname       string
	Alias         string // the part of the UPN before @; "" means GivenName folded to lower-case ASCII
	JobTitle      string
	UsageLocation string
	Blocked       bool // sign-in blocked (accountEnabled false)
	Roles         []allot.Role
	Licenses      []allot.AssignedLicense
}

// DisplayName returns the user's display name.
func (u User) DisplayName() string { return u.GivenName + " " + u.Surname }

// UPN returns the user's userPrincipalName.
func (u User) UPN() string {
	alias := u.Alias
	if alias == "" {
		alias = foldAccents(strings.ToLower(u.GivenName))
	}
	return alias + "@" + Domain
}

// foldAccents drops the accents of the French names in the demo.
func foldAccents(s string) string {
	return strings.NewReplacer("à", "a", "â", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
		"î", "i", "ï", "i", "ô", "o", "ù", "u", "û", "u", "ü", "u").Replace(s)
}

// Users returns the users Seed creates, the administrator first. Each call
// returns a fresh slice that the caller may change.
func Users() []User {
	spb := allot.AssignedLicense{SKUID: SKUBusinessPremium}
	e3 := allot.AssignedLicense{SKUID: SKUOffice365E3}
	e5 := allot.AssignedLicense{SKUID: SKUOffice365E5}
	exo := allot.AssignedLicense{SKUID: SKUExchangePlan1}
	basic := allot.AssignedLicense{SKUID: SKUBusinessBasic}
	// E3 brings Exchange Online (Plan 2), so Business Premium's Plan 1 is off.
	spbNoExchange := allot.AssignedLicense{SKUID: SKUBusinessPremium, DisabledPlans: []string{PlanExchangeStandard}}
	spbNoEngage := allot.AssignedLicense{SKUID: SKUBusinessPremium, DisabledPlans: []string{PlanVivaEngage}}
	lic := func(ls ...allot.AssignedLicense) []allot.AssignedLicense { return ls }
	return []User{
		{GivenName: "MOD", Surname: "Administrator", Alias: "admin", JobTitle: "IT Administrator", UsageLocation: "US", Roles: []allot.Role{allot.RoleGlobalAdmin}, Licenses: lic(spb)},
		{GivenName: "Adele", Surname: "Vance", JobTitle: "Retail Manager", UsageLocation: "US", Licenses: lic(spb)},
		{GivenName: "Alex", Surname: "Wilber", JobTitle: "Marketing Assistant", UsageLocation: "US", Licenses: lic(spb)},
		{GivenName: "Allan", Surname: "Deyoung", JobTitle: "IT Admin", UsageLocation: "US", Roles: []allot.Role{allot.RoleLicenseAdmin}, Licenses: lic(spb)},
		{GivenName: "Christie", Surname: "Cline", JobTitle: "Buyer", UsageLocation: "US"},
		{GivenName: "Debra", Surname: "Berger", JobTitle: "Administrative Assistant", UsageLocation: "US"},
		{GivenName: "Diego", Surname: "Siciliani", JobTitle: "HR Manager", UsageLocation: "US", Roles: []allot.Role{allot.RoleUserAdmin}, Licenses: lic(spb)},
		{GivenName: "Emily", Surname: "Braun", JobTitle: "Budget Analyst", UsageLocation: "US", Roles: []allot.Role{allot.RoleBillingAdmin}},
		{GivenName: "Enrico", Surname: "Cattaneo", JobTitle: "Attorney", UsageLocation: "US", Blocked: true, Licenses: lic(spb)},
		{GivenName: "Grady", Surname: "Archie", JobTitle: "Designer", UsageLocation: "US", Licenses: lic(spbNoEngage)},
		{GivenName: "Henrietta", Surname: "Mueller", JobTitle: "Developer", UsageLocation: "US", Licenses: lic(e3)},
		{GivenName: "Irvin", Surname: "Sayers", JobTitle: "Director"}, // no usage location yet, so no license
		{GivenName: "Isaiah", Surname: "Langer", JobTitle: "Sales Rep", UsageLocation: "US", Licenses: lic(spb)},
		{GivenName: "Johanna", Surname: "Lorenz", JobTitle: "Senior Engineer", UsageLocation: "US", Licenses: lic(spbNoExchange, e3)},
		{GivenName: "Joni", Surname: "Sherman", JobTitle: "Paralegal", UsageLocation: "US", Licenses: lic(spb)},
		{GivenName: "Lee", Surname: "Gu", JobTitle: "Director", UsageLocation: "US", Licenses: lic(e3)},
		{GivenName: "Lidia", Surname: "Holloway", JobTitle: "Product Manager", UsageLocation: "US", Licenses: lic(basic)},
		{GivenName: "Lynne", Surname: "Robbins", JobTitle: "Planner", UsageLocation: "US"},
		{GivenName: "Megan", Surname: "Bowen", JobTitle: "Marketing Manager", UsageLocation: "US", Licenses: lic(e5)},
		{GivenName: "Miriam", Surname: "Graham", JobTitle: "Director", UsageLocation: "US", Roles: []allot.Role{allot.RoleGlobalReader}},
		{GivenName: "Nestor", Surname: "Wilke", JobTitle: "Director", UsageLocation: "US", Licenses: lic(e3)},
		{GivenName: "Patti", Surname: "Fernandez", JobTitle: "President", UsageLocation: "US", Licenses: lic(spb)},
		{GivenName: "Pradeep", Surname: "Gupta", JobTitle: "Accountant", UsageLocation: "US", Licenses: lic(e5)},
		{GivenName: "Camille", Surname: "Martin", JobTitle: "Cheffe de projet", UsageLocation: "FR", Licenses: lic(e3)},
		{GivenName: "Chloé", Surname: "Dubois", JobTitle: "Comptable", UsageLocation: "FR"},
		{GivenName: "Hugo", Surname: "Lefèvre", JobTitle: "Technicien", UsageLocation: "FR", Licenses: lic(exo)},
		{GivenName: "Inès", Surname: "Garnier", JobTitle: "Designer", UsageLocation: "FR"},
		{GivenName: "Léa", Surname: "Moreau", JobTitle: "Assistante commerciale", UsageLocation: "FR", Licenses: lic(exo)},
		{GivenName: "Louis", Surname: "Bernard", JobTitle: "Responsable logistique", UsageLocation: "FR", Licenses: lic(exo)},
		{GivenName: "Manon", Surname: "Petit", JobTitle: "Juriste", UsageLocation: "FR"},
		{GivenName: "Théo", Surname: "Laurent", JobTitle: "Développeur", UsageLocation: "FR"},
	}
}

// subscription describes one subscription Seed creates, with its dates
// relative to the seeding time.
type subscription struct {
	skuID     string
	quantity  int
	trial     bool
	age       time.Duration // how long ago it was bought
	term      time.Duration // how long until its next lifecycle step
	purchaser string        // UPN of the buyer of a self-service subscription; "" for admin-managed
}

const day = 24 * time.Hour

func subscriptions() []subscription {
	const year = 365 * day
	return []subscription{
		{skuID: SKUBusinessPremium, quantity: 5, age: 300 * day, term: year},
		{skuID: SKUOffice365E3, quantity: 10, age: 240 * day, term: year},
		{skuID: SKUExchangePlan1, quantity: 5, age: 180 * day, term: year},
		{skuID: SKUBusinessPremium, quantity: 8, age: 60 * day, term: year},
		{skuID: SKUBusinessBasic, quantity: 3, age: 20 * day, term: year, purchaser: PurchaserUPN},
		{skuID: SKUOffice365E5, quantity: 3, trial: true, age: 10 * day, term: 20 * day}, // a 30-day trial
	}
}

// Seed creates the demo tenant with its users, roles, subscriptions and
// licenses, dated relative to now, and returns the tenant. If a tenant with
// the demo domain exists, Seed returns it and changes nothing, so seeding is
// idempotent. Seeding takes many transactions: if it fails half-way, the
// partial tenant stays, and a later Seed returns it as it is.
func Seed(ctx context.Context, db Store, now time.Time) (*allot.Tenant, error) {
	t, err := db.FindTenantByDomain(ctx, Domain)
	if err == nil {
		return t, nil
	} else if allot.ErrorCode(err) != allot.ENOTFOUND {
		return nil, err
	}
	t = &allot.Tenant{Name: TenantName, Domain: Domain, CreatedAt: now.Add(-400 * day)}
	if err := db.CreateTenant(ctx, t); allot.ErrorCode(err) == allot.ECONFLICT {
		return db.FindTenantByDomain(ctx, Domain) // seeded concurrently
	} else if err != nil {
		return nil, err
	}
	s := &seeder{db: db, now: now, tenantID: t.ID, p: allot.SystemPrincipal(t.ID, "demo seed"), ids: map[string]string{}}
	for _, step := range []func(context.Context) error{s.createUsers, s.createSubscriptions, s.assignLicenses} {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("demo: seeding %s: %w", Domain, err)
		}
	}
	return t, nil
}

// seeder holds what the steps of Seed share.
type seeder struct {
	db         Store
	now        time.Time
	tenantID   string
	p          allot.Principal
	ids        map[string]string // user id by UPN
	purchasers map[string]string // UPN of the purchaser by the skuId of a self-service subscription
}

func (s *seeder) createUsers(ctx context.Context) error {
	for _, du := range Users() {
		u := &allot.User{
			UserPrincipalName: du.UPN(),
			DisplayName:       du.DisplayName(),
			GivenName:         du.GivenName,
			Surname:           du.Surname,
			JobTitle:          du.JobTitle,
			UsageLocation:     du.UsageLocation,
			AccountEnabled:    !du.Blocked,
			CreatedAt:         s.now.Add(-90 * day),
		}
		if err := s.db.CreateUser(ctx, s.p, u); err != nil {
			return fmt.Errorf("user %s: %w", u.UserPrincipalName, err)
		}
		s.ids[u.UserPrincipalName] = u.ID
		for _, r := range du.Roles {
			if err := s.db.AssignRole(ctx, s.p, u.ID, r); err != nil {
				return fmt.Errorf("role %s of %s: %w", r, u.UserPrincipalName, err)
			}
		}
	}
	return nil
}

func (s *seeder) createSubscriptions(ctx context.Context) error {
	s.purchasers = map[string]string{}
	for _, ds := range subscriptions() {
		sub := &allot.Subscription{
			SKUID:            ds.skuID,
			Status:           allot.StatusEnabled,
			Quantity:         ds.quantity,
			IsTrial:          ds.trial,
			RecurringBilling: !ds.trial,
			OwnerType:        allot.OwnerAdmin,
			CreatedAt:        s.now.Add(-ds.age),
			NextLifecycleAt:  s.now.Add(ds.term),
		}
		if ds.purchaser != "" {
			sub.OwnerType, sub.PurchasedBy = allot.OwnerUser, s.ids[ds.purchaser]
			s.purchasers[ds.skuID] = ds.purchaser
		}
		if err := s.db.CreateSubscription(ctx, s.p, sub); err != nil {
			return fmt.Errorf("subscription of %s: %w", ds.skuID, err)
		}
	}
	return nil
}

// assignLicenses gives every user its licenses: as the system from the
// admin-managed pools, and as the purchaser from a self-service
// subscription, whose seats administrators may not assign.
func (s *seeder) assignLicenses(ctx context.Context) error {
	for _, du := range Users() {
		upn := du.UPN()
		var admin, own []allot.AssignedLicense
		for _, l := range du.Licenses {
			if s.purchasers[l.SKUID] == upn {
				own = append(own, l)
			} else {
				admin = append(admin, l)
			}
		}
		purchaser := allot.Principal{TenantID: s.tenantID, UserID: s.ids[upn], Name: upn, Via: allot.ChannelSystem}
		for _, c := range []struct {
			p    allot.Principal
			adds []allot.AssignedLicense
		}{{s.p, admin}, {purchaser, own}} {
			if len(c.adds) == 0 {
				continue
			}
			if _, err := s.db.AssignLicenses(ctx, c.p, upn, allot.LicenseChange{Add: c.adds}); err != nil {
				return fmt.Errorf("licenses of %s: %w", upn, err)
			}
		}
	}
	return nil
}
