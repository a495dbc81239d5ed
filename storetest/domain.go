package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// domainView is what the suite compares of a domain.
type domainView struct {
	Name                             string
	IsDefault, IsVerified, IsInitial bool
}

// domains lists a tenant's domains as its Global Reader sees them.
func (f *Fixture) domains(p allot.Principal) []domainView {
	f.T.Helper()
	ds, err := f.S.FindDomains(f.ctx, p)
	must(f.T, err)
	out := []domainView{}
	for _, d := range ds {
		out = append(out, domainView{d.Name, d.IsDefault, d.IsVerified, d.IsInitial})
	}
	return out
}

// testDomains checks that a tenant's users must be on its domains, that a
// domain belongs to one tenant only, and that exactly one is the default.
func testDomains(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 1)
	reader := f.Admins[allot.RoleGlobalReader]
	diff(t, "initial domains", f.domains(reader), []domainView{{"contoso.example", true, true, true}})
	_, err := f.S.FindDomains(ctx, f.Plain)
	wantCode(t, "an ordinary user lists domains", err, allot.EFORBIDDEN)

	foreign := &allot.User{UserPrincipalName: "x1@other.example", DisplayName: "X1", AccountEnabled: true}
	wantField(t, "user on a foreign domain", f.S.CreateUser(ctx, f.Admin(), foreign), allot.EINVALID, "userPrincipalName")
	_, err = f.S.FindUser(ctx, f.Sys, "x1@other.example")
	wantCode(t, "the refused user", err, allot.ENOTFOUND)
	sub := &allot.User{UserPrincipalName: "x2@eu.contoso.example", DisplayName: "X2", AccountEnabled: true}
	wantField(t, "user on a subdomain", f.S.CreateUser(ctx, f.Admin(), sub), allot.EINVALID, "userPrincipalName")

	must(t, f.S.AddDomain(ctx, f.Tenant.ID, &allot.Domain{Name: " Contoso-EU.example "}))
	f.User("eva@CONTOSO-eu.EXAMPLE", "FR")
	got, err := f.S.FindTenantByDomain(ctx, "contoso-eu.example")
	must(t, err)
	diff(t, "tenant by its second domain", got.ID, f.Tenant.ID)
	d, err := f.S.FindDomain(ctx, reader, "CONTOSO-EU.example")
	must(t, err)
	diff(t, "one domain", domainView{d.Name, d.IsDefault, d.IsVerified, d.IsInitial}, domainView{"contoso-eu.example", false, true, false})

	other := &allot.Tenant{Name: "Fabrikam", Domain: "fabrikam.example"}
	must(t, f.S.CreateTenant(ctx, other))
	theirAdmin := allot.SystemPrincipal(other.ID, "test")
	wantField(t, "another tenant adds the domain", f.S.AddDomain(ctx, other.ID, &allot.Domain{Name: "contoso-eu.example"}), allot.ECONFLICT, "domain")
	wantField(t, "a tenant made with a taken domain", f.S.CreateTenant(ctx, &allot.Tenant{Name: "X", Domain: "Contoso-EU.example"}), allot.ECONFLICT, "domain")
	wantField(t, "adding a domain twice", f.S.AddDomain(ctx, f.Tenant.ID, &allot.Domain{Name: "contoso-eu.example"}), allot.ECONFLICT, "domain")
	wantField(t, "a bad domain name", f.S.AddDomain(ctx, f.Tenant.ID, &allot.Domain{Name: "contoso"}), allot.EINVALID, "domain")
	wantCode(t, "a domain for no tenant", f.S.AddDomain(ctx, "00000000-0000-4000-8000-000000000000", &allot.Domain{Name: "nobody.example"}), allot.ENOTFOUND)
	onOurs := &allot.User{UserPrincipalName: "x3@contoso.example", DisplayName: "X3", AccountEnabled: true}
	wantField(t, "a user on another tenant's domain", f.S.CreateUser(ctx, theirAdmin, onOurs), allot.EINVALID, "userPrincipalName")
	_, err = f.S.FindDomain(ctx, reader, "fabrikam.example")
	wantCode(t, "another tenant's domain", err, allot.ENOTFOUND)

	must(t, f.S.AddDomain(ctx, f.Tenant.ID, &allot.Domain{Name: "contoso.io", IsDefault: true}))
	diff(t, "domains after a new default", f.domains(reader), []domainView{
		{"contoso.io", true, true, false}, {"contoso-eu.example", false, true, false}, {"contoso.example", false, true, true}})
	tn, err := f.S.FindTenantByID(ctx, f.Tenant.ID)
	must(t, err)
	diff(t, "the tenant's default domain", tn.Domain, "contoso.io")
	f.User("old@contoso.example", "FR") // a former default domain stays usable
	diff(t, "the other tenant's domains", f.domains(theirAdmin), []domainView{{"fabrikam.example", true, true, true}})

	events, err := f.S.FindAuditEvents(ctx, f.Sys, allot.AuditFilter{Limit: 1000})
	must(t, err)
	var actions []string
	for _, e := range events {
		if e.Action == allot.AuditDomainCreate || e.Action == allot.AuditDomainUpdate {
			actions = append(actions, e.Action+" "+e.TargetID+" by "+e.ActorName)
		}
	}
	slices.Reverse(actions)
	diff(t, "domain events", actions, []string{
		"domain.create contoso-eu.example by operator", "domain.create contoso.io by operator", "domain.update " + f.Tenant.ID + " by operator"})
}

// testTenantSetup checks that a whole organisation is made in one
// transaction, or nothing of it.
func testTenantSetup(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, NewClock())
	setup := func(domain, admin string, subs ...allot.Subscription) *allot.TenantSetup {
		return &allot.TenantSetup{Tenant: allot.Tenant{Name: "Fabrikam", Domain: domain},
			Admin: allot.User{UserPrincipalName: admin, DisplayName: "Administrator", UsageLocation: "fr", AccountEnabled: true}, Subscriptions: subs}
	}
	fab := setup("Fabrikam.example", "Admin@fabrikam.EXAMPLE", allot.Subscription{SKUID: O365E3, Quantity: 25}, allot.Subscription{SKUID: BusinessPremium, Quantity: 5})
	must(t, s.SetUpTenant(ctx, fab))
	tn, err := s.FindTenantByDomain(ctx, "fabrikam.example")
	must(t, err)
	diff(t, "tenant", []string{tn.ID, tn.Name, tn.Domain}, []string{fab.Tenant.ID, "Fabrikam", "fabrikam.example"})
	secret, _, err := s.CreateToken(ctx, tn.ID, "admin@fabrikam.example", time.Hour)
	must(t, err)
	admin, err := s.Authenticate(ctx, secret)
	must(t, err)
	diff(t, "the administrator's roles", admin.Roles, []allot.Role{allot.RoleGlobalAdmin})
	u, err := s.FindUser(ctx, admin, admin.UserID)
	must(t, err)
	diff(t, "the administrator", []string{u.ID, u.UserPrincipalName, u.DisplayName, u.UsageLocation}, []string{fab.Admin.ID, "Admin@fabrikam.EXAMPLE", "Administrator", "FR"})
	skus, err := s.FindSubscribedSKUs(ctx, admin)
	must(t, err)
	totals := map[string]int{}
	for _, k := range skus {
		totals[k.SKU.ID] = k.Total()
	}
	diff(t, "the products", totals, map[string]int{O365E3: 25, BusinessPremium: 5})
	must(t, s.CreateUser(ctx, admin, &allot.User{UserPrincipalName: "eva@fabrikam.example", DisplayName: "Eva", AccountEnabled: true}))

	events, err := s.FindAuditEvents(ctx, admin, allot.AuditFilter{Limit: 1000})
	must(t, err)
	slices.Reverse(events)
	var got []string
	for _, e := range events[:5] {
		got = append(got, e.Action+" by "+e.ActorName+" via "+string(e.Via))
	}
	by := " by operator via " + string(allot.ChannelSystem)
	diff(t, "the setup's audit", got, []string{"tenant.create" + by, "user.create" + by, "role.assign" + by, "subscription.create" + by, "subscription.create" + by})

	must(t, s.AddDomain(ctx, tn.ID, &allot.Domain{Name: "fabrikam.io"}))
	refused := []struct {
		name  string
		setup *allot.TenantSetup
		code  string
	}{
		{"the default domain of another tenant", setup("FABRIKAM.example", "admin@fabrikam.example"), allot.ECONFLICT},
		// The tenant's row is written before its domain's is refused.
		{"another domain of another tenant", setup("fabrikam.io", "admin@fabrikam.io", allot.Subscription{SKUID: O365E3, Quantity: 1}), allot.ECONFLICT},
		{"an unknown SKU", setup("northwind.example", "admin@northwind.example", allot.Subscription{SKUID: "00000000-0000-4000-8000-000000000000", Quantity: 1}), allot.EINVALID},
		{"no seats", setup("northwind.example", "admin@northwind.example", allot.Subscription{SKUID: O365E3}), allot.EINVALID},
		{"an administrator on another domain", setup("northwind.example", "admin@fabrikam.example"), allot.EINVALID},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, "setup", s.SetUpTenant(ctx, tt.setup), tt.code)
			all, err := s.FindTenants(ctx)
			must(t, err)
			diff(t, "tenants after a refused setup", len(all), 1)
			_, err = s.FindTenantByID(ctx, tt.setup.Tenant.ID)
			wantCode(t, "the refused tenant", err, allot.ENOTFOUND)
		})
	}
}

// wantField fails unless err carries the code want and names field.
func wantField(t *testing.T, what string, err error, want, field string) {
	t.Helper()
	wantCode(t, what, err, want)
	var e *allot.Error
	if errors.As(err, &e) && e.Field != field {
		t.Errorf("%s: error field = %q, want %q", what, e.Field, field)
	}
}

// testDomainRace races tenants for one domain, by setup and by adding it,
// and checks that exactly one gets it each round and the others ECONFLICT.
func testDomainRace(t *testing.T, open Opener) {
	const racers = 8
	ctx := context.Background()
	s := open(t, NewClock())
	tenants := make([]*allot.Tenant, racers)
	for i := range tenants {
		tenants[i] = &allot.Tenant{Name: fmt.Sprintf("T%d", i), Domain: fmt.Sprintf("t%d.example", i)}
		must(t, s.CreateTenant(ctx, tenants[i]))
	}
	race := func(name string, try func(i int) error) {
		t.Helper()
		errs := make([]error, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = try(i)
			}()
		}
		close(start)
		wg.Wait()
		winners := 0
		for _, err := range errs {
			switch allot.ErrorCode(err) {
			case "":
				winners++
			case allot.ECONFLICT:
			default:
				t.Fatalf("%s: a racer got %v, want success or ECONFLICT", name, err)
			}
		}
		if winners != 1 {
			t.Errorf("%s: %d tenants got the domain, want 1", name, winners)
		}
	}
	race("add", func(i int) error {
		return s.AddDomain(ctx, tenants[i].ID, &allot.Domain{Name: "shared.example", IsDefault: i%2 == 0})
	})
	race("setup", func(i int) error {
		return s.SetUpTenant(ctx, &allot.TenantSetup{Tenant: allot.Tenant{Name: "New", Domain: "new.example"},
			Admin: allot.User{UserPrincipalName: fmt.Sprintf("admin%d@new.example", i), DisplayName: "A", AccountEnabled: true}})
	})
	all, err := s.FindTenants(ctx)
	must(t, err)
	diff(t, "tenants after the races", len(all), racers+1)
}
